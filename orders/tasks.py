"""Celery tasks of the orders app. Each takes ids and is safe to run twice; retries follow
marketplace.retry. A task imports the service it calls inside its body (services import their
tasks at the top)."""

import logging

from celery import shared_task

from marketplace.retry import retry_on
from orders import notifications

logger = logging.getLogger(__name__)

# A mail server that refused or could not be reached: tried again a minute later, then longer.
MAIL_RETRIES = {"autoretry_for": retry_on(notifications.SendFailed), "max_retries": 5,
                "retry_backoff": 60, "retry_backoff_max": 600}


@shared_task(name="orders.tasks.notify_order_paid", **MAIL_RETRIES)
def notify_order_paid(order_id: int) -> int:
    """E-mail every farm of a paid order its packing list (once per parcel)."""
    return notifications.order_paid(order_id=order_id)


@shared_task(name="orders.tasks.notify_shipment_shipped", **MAIL_RETRIES)
def notify_shipment_shipped(shipment_id: int) -> int:
    """E-mail the buyer that a parcel is on its way (once per parcel)."""
    return notifications.shipment_shipped(shipment_id=shipment_id)


@shared_task(name="orders.tasks.notify_order_cancelled", **MAIL_RETRIES)
def notify_order_cancelled(order_id: int) -> int:
    """E-mail the farms already asked to ship a cancelled order not to (once per parcel)."""
    return notifications.order_cancelled(order_id=order_id)


@shared_task(name="orders.tasks.notify_harvest", **MAIL_RETRIES)
def notify_harvest(harvest_id: int) -> int:
    """E-mail each buyer of a pre-sale what its harvest gives them (once per order)."""
    return notifications.harvest_recorded(harvest_id=harvest_id)
