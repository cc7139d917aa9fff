"""Celery tasks of the orders app. Each takes ids and is safe to run twice; retries follow
marketplace.retry. A task imports the service it calls inside its body (services import their
tasks at the top)."""

from celery import shared_task

from orders import notifications


@shared_task(name="orders.tasks.notify_order_paid")
def notify_order_paid(order_id: int) -> int:
    """Tell every farm of a paid order its packing list (notify: once per parcel)."""
    return notifications.order_paid(order_id=order_id)


@shared_task(name="orders.tasks.notify_shipment_shipped")
def notify_shipment_shipped(shipment_id: int) -> int:
    """Tell the buyer a parcel is on its way (once per parcel)."""
    return notifications.shipment_shipped(shipment_id=shipment_id)


@shared_task(name="orders.tasks.notify_shipment_delivered")
def notify_shipment_delivered(shipment_id: int) -> int:
    """Tell the buyer a parcel counts as delivered (once per parcel)."""
    return notifications.shipment_delivered(shipment_id=shipment_id)


@shared_task(name="orders.tasks.notify_order_cancelled")
def notify_order_cancelled(order_id: int) -> int:
    """Tell the farms of an order cancelled after payment not to ship (once per parcel)."""
    return notifications.order_cancelled(order_id=order_id)


@shared_task(name="orders.tasks.notify_harvest")
def notify_harvest(harvest_id: int) -> int:
    """Tell each buyer of a pre-sale what its harvest gives them (once per order)."""
    return notifications.harvest_recorded(harvest_id=harvest_id)
