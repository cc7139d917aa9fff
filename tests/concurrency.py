"""Real threads for the PostgreSQL race tests (with `django_db(transaction=True)`)."""

import threading

from django.db import connection


def run_concurrently(*calls) -> list:
    """Run each callable in its own thread, all released together by a barrier; return what
    each returned, or the exception it raised, in the order given. Each thread closes its own
    database connection."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
