"""The one retry policy of every Celery task (the project's Celery app makes `ReliableTask` the
class of every task).

A transient error (the database or Redis away for a moment, a full disk, a connection reset) is
retried with exponential back-off and jitter, at most `max_retries` times; after the last
attempt the task's `give_up` hook (a dotted path, if the task names one) puts the object it
worked on into a visible `failed` state with the reason, and the outbox records the intent as
`failed` with the same reason. Tasks must be idempotent: with `acks_late` and
`reject_on_worker_lost` (settings) a task can run again after a crash.

A task whose own work has a "try again later" error (a platform that cannot be reached, a mail
server that refused) names it with `retry_on(...)` and, if it waits longer, its own
`retry_backoff`/`retry_backoff_max`/`max_retries`; it never catches and re-raises by hand.
"""

import logging

from celery import Task
from django.db import InterfaceError, OperationalError
from django.utils.module_loading import import_string
from kombu.exceptions import OperationalError as BrokerError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Errors worth another try later. OSError covers timeouts, refused connections and storage that
# is full or not writable for a while.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, OSError, RedisError, BrokerError)


def retry_on(*errors: type[BaseException]) -> tuple[type[BaseException], ...]:
    """`autoretry_for` of a task that also retries on its own errors: the transient ones too."""
    return TRANSIENT_ERRORS + errors


def failure_reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]


def _names(classes) -> set[str]:
    names = set()
    for cls in classes:
        names.add(cls.__name__)
        names |= _names(cls.__subclasses__())
    return names


def is_transient_failure(reason: str) -> bool:
    """Did the failure recorded as `reason` (failure_reason's "Name: message") come from a
    transient error, worth trying again once its cause is gone (storage full for a while), as
    opposed to the work itself (a photo that cannot be read, a time limit, a bug)?"""
    return reason.split(":", 1)[0].strip() in _names(TRANSIENT_ERRORS)


class ReliableTask(Task):
    autoretry_for = TRANSIENT_ERRORS
    max_retries = 5
    retry_backoff = 5  # seconds: 5, 10, 20, 40, 80 (each a random part of it: jitter)
    retry_backoff_max = 300
    retry_jitter = True
    # A dotted path `fn(*task_args, reason=...)` called once the task has failed for good.
    give_up: str | None = None

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if self.give_up:
            try:
                import_string(self.give_up)(*args, reason=failure_reason(exc), **kwargs)
            except Exception:
                logger.exception("give_up of %s(%s) failed", self.name, args)
        super().on_failure(exc, task_id, args, kwargs, einfo)
