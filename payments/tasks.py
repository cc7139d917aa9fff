"""Celery tasks of the payments app. Each takes ids, is safe to run twice (every write is a
conditional UPDATE; the platforms refund once per refund number) and retries with back-off while
a platform cannot be reached. A task imports its service inside its body."""

import logging

from celery import shared_task

from payments.providers.base import ProviderUnavailable

logger = logging.getLogger(__name__)

# 30 s, 1, 2, 4 ... minutes, then every hour; the reconciliation task takes over after that.
RETRIES = 12


def _backoff(retries: int) -> int:
    return min(30 * 2**retries, 3600)


def _retrying(task, service: str, **kwargs) -> str:
    """Run `payments.services.<service>`; a platform that cannot be reached is tried again
    after the back-off."""
    from payments import services

    try:
        return getattr(services, service)(**kwargs)
    except ProviderUnavailable as exc:
        raise task.retry(exc=exc, countdown=_backoff(task.request.retries)) from exc


@shared_task(name="payments.tasks.refund_submit", bind=True, max_retries=RETRIES,
             acks_late=True)
def refund_submit(self, refund_id: int) -> str:
    """Ask the platform for a refund (once the refund row is committed)."""
    return _retrying(self, "refund_submit", refund_id=refund_id)


@shared_task(name="payments.tasks.payment_close", bind=True, max_retries=RETRIES,
             acks_late=True)
def payment_close(self, payment_id: int) -> str:
    """Close an open payment at its platform (its order was cancelled)."""
    return _retrying(self, "payment_close", payment_id=payment_id)


@shared_task(name="payments.tasks.reconcile", max_retries=0)
def reconcile() -> dict:
    """Beat, every minute: what no notification settled is asked for (see the service)."""
    from payments.services import reconcile as run

    done = run()
    if any(done.values()):
        logger.info("Payments reconciled: %s", done)
    return done
