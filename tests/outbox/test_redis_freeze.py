"""Hardening round three, item 15: a brief Redis stall must not leave the Celery worker deaf.

A real worker process (prefork, as production runs it) consumes from this test's own Redis.
Its task freezes Redis (SIGSTOP) as its last step, so the worker's acknowledgement meets a
Redis that does not answer ("Couldn't ack ..., reason: TimeoutError" in its log). The test
thaws Redis once the worker has logged that, enqueues another task, and that task must run
within 30 s. Ten times in a row, on one worker."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.redis_server import wait_for

# no database: it runs once, in the PostgreSQL pass (CI's SQLite pass deselects it)
pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="SIGSTOP and /proc"),
              pytest.mark.backend_independent]

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 10


def _state(pid: int) -> str:
    """The process state letter from /proc (T: stopped)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def _worker(redis_url: str, log: Path) -> subprocess.Popen:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "shanhuo.test_settings",
        # its tasks use no database; the outbox's bookkeeping goes to an empty file of its own
        "SQLITE_PATH": str(log.parent / "worker.sqlite3"),
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shanhuo", "worker", "--pool=prefork",
         "--concurrency=1", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "--include=tests.outbox.freeze_tasks"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def test_the_worker_hears_new_tasks_after_redis_froze_during_an_ack(
        own_redis, celery_broker, tmp_path):
    from shanhuo.celery import app

    celery_broker(own_redis.url, eager=False)
    log = tmp_path / "worker.log"
    worker = _worker(own_redis.url, log)
    redis_pid = own_redis.process.pid
    try:
        # the worker is up and consuming
        ready = tmp_path / "ready"
        app.send_task("tests.leave_a_mark", args=[str(ready)])
        wait_for(ready.exists, timeout=60, what="the worker to run its first task")

        for round_ in range(ROUNDS):
            failed_acks = log.read_text(errors="replace").count("Couldn't ack")
            # when Redis freezes right as the worker acknowledges a task
            app.send_task("tests.freeze_redis", args=[redis_pid])
            wait_for(lambda: _state(redis_pid) == "T", what="the task to freeze Redis")
            wait_for(lambda n=failed_acks: log.read_text(errors="replace").count(
                "Couldn't ack") > n, what=f"round {round_}: the worker's ack to fail")
            own_redis.thaw()

            # then a task enqueued afterwards runs within 30 s
            mark = tmp_path / f"ran-{round_}"
            app.send_task("tests.leave_a_mark", args=[str(mark)])
            wait_for(mark.exists, timeout=30,
                     what=f"round {round_}: the task after the freeze to run "
                          f"(worker log: {log.read_text(errors='replace')[-2000:]})")
    finally:
        own_redis.thaw()
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=10)
