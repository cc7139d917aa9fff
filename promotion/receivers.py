"""What promotion does when the orders app speaks (inside the order's transaction)."""

from promotion import services


def on_order_placed(sender, order, promo_visit: str = "", **kwargs) -> None:
    services.commission_for_order(order=order, promo_visit=promo_visit)


def on_order_cancelled(sender, order, **kwargs) -> None:
    services.commissions_cancel_for_order(order=order)
