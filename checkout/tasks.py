"""The periodic tasks of an order's life. Each is safe to run twice (every write is a
conditional UPDATE or a posting keyed by its event); a task imports its service inside its
body."""

import logging

from celery import shared_task
from django.utils import timezone

from marketplace.errors import InvalidState

logger = logging.getLogger(__name__)


@shared_task(name="checkout.tasks.expire_unpaid_orders", max_retries=3)
def expire_unpaid_orders() -> int:
    """Cancel unpaid orders past ORDER_PAYMENT_TIMEOUT and give their stock back (beat, every
    minute). Each order goes through the same conditional UPDATE as a cancel, so an order paid
    meanwhile is left alone and running twice cancels nothing twice. Orders with a payment
    still open at a platform are the reconciliation's (it closes the payment first)."""
    from checkout.services import order_expire
    from orders.selectors import order_ids_to_expire

    expired = 0
    for order_id in order_ids_to_expire(now=timezone.now()):
        try:
            order_expire(order_id=order_id)
        except InvalidState:
            continue  # paid or cancelled since the ids were read
        except Exception:
            # one order that cannot be cancelled must not hold back the others' stock forever
            logger.exception("Could not expire order %s", order_id)
            continue
        expired += 1
    if expired:
        logger.info("Expired %d unpaid orders", expired)
    return expired


@shared_task(name="checkout.tasks.reconcile_payments", max_retries=0)
def reconcile_payments() -> dict:
    """Beat, every minute: what no notification settled is asked for (see the service)."""
    from checkout.services import reconcile

    done = reconcile()
    if any(done.values()):
        logger.info("Payments reconciled: %s", done)
    return done


@shared_task(name="checkout.tasks.release_delivered_money", max_retries=3)
def release_delivered_money() -> int:
    """Beat, every ten minutes: the money of parcels delivered RETURN_WINDOW_DAYS ago (the
    farm's, its pledges', the promoter's commission) becomes available."""
    from checkout.services import delivered_money_release

    released = delivered_money_release()
    if released:
        logger.info("Released the money of %d delivered shipments and commissions", released)
    return released
