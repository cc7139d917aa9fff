"""The embedded beat (shanhuo/scheduler.py): entries run when due and only then, a failing
task does not stop the others, and exactly one thread per serving process."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from celery import shared_task

from shanhuo.scheduler import Scheduler

runs: list[str] = []


@shared_task(name="tests.scheduler.record")
def record(label: str) -> None:
    runs.append(label)


@shared_task(name="tests.scheduler.broken")
def broken() -> None:
    raise RuntimeError("a task's bug")


def test_entries_run_when_their_interval_has_passed_and_a_failure_does_not_stop_the_others():
    now = [datetime(2026, 12, 1, 1, 0, tzinfo=UTC)]
    scheduler = Scheduler({
        "every-minute": {"task": "tests.scheduler.record", "schedule": 60.0,
                         "args": ("minute",)},
        "every-ten": {"task": "tests.scheduler.record", "schedule": timedelta(minutes=10),
                      "args": ("ten",)},
        "broken": {"task": "tests.scheduler.broken", "schedule": 60.0},
    }, now=lambda: now[0])
    runs.clear()
    assert scheduler.run_due() == []
    now[0] += timedelta(seconds=61)
    assert sorted(scheduler.run_due()) == ["broken", "every-minute"]
    assert scheduler.run_due() == []  # not again within the minute
    now[0] += timedelta(minutes=10)
    assert sorted(scheduler.run_due()) == ["broken", "every-minute", "every-ten"]
    assert runs == ["minute", "minute", "ten"]


def _threads_after(code: str, **env) -> str:
    import os

    environment = {k: v for k, v in os.environ.items()
                   if k not in {"DATABASE_URL", "REDIS_URL", "EMBEDDED_BEAT"}}
    environment.update(DJANGO_SETTINGS_MODULE="shanhuo.settings", DEBUG="1", **env)
    completed = subprocess.run(
        [sys.executable, "-c", "import django, threading\n" + code + "\nprint(sorted("
         "t.name for t in threading.enumerate() if t.name.startswith('shanhuo')))"],
        capture_output=True, text=True, timeout=60, env=environment, check=True)
    return completed.stdout.strip().splitlines()[-1]


def test_only_a_serving_process_starts_it_and_only_once():
    # a management command (migrate, demo, the autoreloader's watcher) sets Django up only
    assert _threads_after("django.setup()") == "[]"
    # the WSGI module (runserver's child, a gunicorn worker): one thread, however often asked
    assert _threads_after(
        "import shanhuo.wsgi\nfrom shanhuo import scheduler\n"
        "scheduler.start(); scheduler.start()") == "['shanhuo-embedded-beat']"


def test_it_is_off_with_a_broker_and_when_turned_off():
    assert _threads_after("import shanhuo.wsgi", EMBEDDED_BEAT="0") == "[]"


def test_with_a_broker_each_serving_process_runs_the_outbox_relay(tmp_path):
    """Hardening round three, item 13: the relay was a beat task only, so while beat was down
    nothing the broker refused was handed over again."""
    assert _threads_after("import shanhuo.wsgi", OUTBOX_RELAY_IN_SERVER="1", EMBEDDED_BEAT="0",
                          SQLITE_PATH=str(tmp_path / "empty.sqlite3"),
                          ) == "['shanhuo-outbox-relay']"
    # not with the embedded beat, which runs the relay among the periodic tasks
    assert _threads_after("import shanhuo.wsgi", OUTBOX_RELAY_IN_SERVER="1",
                          SQLITE_PATH=str(tmp_path / "empty.sqlite3"),
                          ) == "['shanhuo-embedded-beat']"
