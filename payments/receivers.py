"""What the payments app does when the orders app tells it something (orders.signals)."""

from payments import services


def on_order_cancelled(sender, order, **kwargs) -> None:
    services.order_cancelled(order=order)
