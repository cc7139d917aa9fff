"""Celery's signals tell the outbox what became of a handed-over task."""

import logging

from celery.signals import task_failure, task_retry, task_success

from marketplace.retry import failure_reason

logger = logging.getLogger(__name__)


def _safely(action, *args) -> None:
    # The task's own outcome stands whatever happens here; the relay redelivers an intent that
    # could not be marked (a second, idempotent run).
    try:
        action(*args)
    except Exception:
        logger.exception("Could not record a task's outcome in the outbox")


def on_success(sender=None, **kwargs) -> None:
    from outbox.services import intent_done

    _safely(intent_done, sender.request.id)


def on_failure(sender=None, task_id=None, exception=None, **kwargs) -> None:
    from outbox.services import intent_failed

    _safely(intent_failed, task_id, failure_reason(exception))


def on_retry(sender=None, request=None, reason=None, **kwargs) -> None:
    from outbox.services import intent_retrying

    _safely(intent_retrying, getattr(request, "id", None), str(reason))


def connect() -> None:
    task_success.connect(on_success, weak=False, dispatch_uid="outbox.success")
    task_failure.connect(on_failure, weak=False, dispatch_uid="outbox.failure")
    task_retry.connect(on_retry, weak=False, dispatch_uid="outbox.retry")
