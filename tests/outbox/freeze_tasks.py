"""Tasks only the Redis-freeze fault test sends (tests/outbox/test_redis_freeze.py): the worker
it starts loads them with `--include`."""

import os
import signal
from pathlib import Path

from shanhuo.celery import app


@app.task(name="tests.freeze_redis", max_retries=0)
def freeze_redis(pid: int) -> None:
    """Freeze Redis (SIGSTOP) as the last thing the task does: the worker acknowledges the
    task (acks_late) right after it returns, into a Redis that does not answer."""
    os.kill(pid, signal.SIGSTOP)


@app.task(name="tests.leave_a_mark", max_retries=0)
def leave_a_mark(path: str) -> None:
    Path(path).write_text("ran")
