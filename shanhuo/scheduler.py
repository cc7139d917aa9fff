"""The beat schedule run inside the server, for the embedded default (`make run`).

Without Redis there is no broker, no worker and no `celery beat`: tasks run eagerly, and
nothing would ever expire unpaid orders, settle commissions or roll up clicks and looks. Here
one daemon thread per server process runs CELERY_BEAT_SCHEDULE itself: each entry once its
interval has passed, in the thread, one at a time; a task that fails is logged and runs again
at its next turn (every task of the schedule is idempotent).

It starts from shanhuo/wsgi.py, which only a serving process imports: runserver's child
(not the autoreloader's watcher process), a gunicorn worker. EMBEDDED_BEAT turns it on (the
default when Celery is eager, i.e. without REDIS_URL) or off (tests; production, where one
`celery beat` runs the schedule). With a broker, each serving process runs the outbox relay
alone in such a thread (OUTBOX_RELAY_IN_SERVER), so that what the broker refused is handed
over again while beat is down too.
"""

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_thread: threading.Thread | None = None
TICK_SECONDS = 1.0


class Scheduler:
    """Runs the entries of `schedule` (CELERY_BEAT_SCHEDULE's shape) when they are due."""

    def __init__(self, schedule: dict[str, dict], *, now=None):
        from shanhuo.celery import app

        app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
        self._now = now or (lambda: datetime.now(UTC))
        started = self._now()
        self.entries = {
            name: {"task": entry["task"], "schedule": entry["schedule"],
                   "last_run": started, "args": entry.get("args", ()),
                   "kwargs": entry.get("kwargs", {})}
            for name, entry in schedule.items()
        }

    def _due(self, schedule, last_run: datetime) -> bool:
        if isinstance(schedule, (int, float)):
            schedule = timedelta(seconds=schedule)
        schedule = getattr(schedule, "run_every", schedule)  # celery's `schedule(...)`
        if isinstance(schedule, timedelta):
            return self._now() - last_run >= schedule
        return schedule.is_due(last_run)[0]  # a crontab

    def run_due(self) -> list[str]:
        """Run every entry that is due now; returns their names."""
        from shanhuo.celery import app

        ran = []
        for name, entry in self.entries.items():
            if not self._due(entry["schedule"], entry["last_run"]):
                continue
            entry["last_run"] = self._now()
            try:
                app.tasks[entry["task"]].apply(args=entry["args"], kwargs=entry["kwargs"],
                                               throw=True)
            except Exception:
                logger.exception("periodic task %s (%s) failed", name, entry["task"])
            ran.append(name)
        return ran


def _loop(scheduler: Scheduler) -> None:
    while True:
        try:
            close_old_connections()
            scheduler.run_due()
        except Exception:  # the loop itself must never die
            logger.exception("embedded beat")
        finally:
            connections.close_all()  # this thread's own connections, not held between turns
        time.sleep(TICK_SECONDS)


def _relay_loop() -> None:
    from outbox.services import relay

    while True:
        try:
            close_old_connections()
            relay()
        except Exception:  # the loop itself must never die
            logger.exception("in-server outbox relay")
        finally:
            connections.close_all()
        time.sleep(settings.OUTBOX_RELAY_INTERVAL)  # a period, not a wait for something


def start() -> bool:
    """Start the one scheduler thread of this process if EMBEDDED_BEAT is on, else the one
    outbox relay thread if OUTBOX_RELAY_IN_SERVER is (so hand-overs do not depend on beat
    alone; relays running at once skip each other's rows); idempotent. Returns whether a
    thread runs now."""
    global _thread
    if not settings.EMBEDDED_BEAT:
        if not settings.OUTBOX_RELAY_IN_SERVER:
            return False
        with _lock:
            if _thread is None or not _thread.is_alive():
                _thread = threading.Thread(target=_relay_loop, daemon=True,
                                           name="shanhuo-outbox-relay")
                _thread.start()
        return True
    with _lock:
        if _thread is None or not _thread.is_alive():
            scheduler = Scheduler(settings.CELERY_BEAT_SCHEDULE)
            _thread = threading.Thread(target=_loop, args=(scheduler,), daemon=True,
                                       name="shanhuo-embedded-beat")
            _thread.start()
            logger.info("embedded beat: %d periodic tasks in this process",
                        len(scheduler.entries))
    return True


def running() -> bool:
    return _thread is not None and _thread.is_alive()
