"""Pre-sale orders (全款预售): paid in full for a harvest still in the field.

A paid pre-sale line binds both sides between the close and the promised last shipping day:
the farm plans its harvest on what was sold, so the buyer cannot walk away then; before the
close the buyer may still cancel (the units go back on offer), and once `ships_by` has passed
with the parcel still pending the buyer may cancel and is refunded in full (the ordinary cancel
path refunds a paid order).
"""

from django.utils import timezone

from marketplace.errors import Conflict
from orders.models import Order, OrderLine, Shipment

# The orders whose pre-sale lines bind the listing's terms: waiting for payment (it would pay
# for the terms it was placed on) or paid and not cancelled.
BINDING = [Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.SHIPPED,
           Order.Status.COMPLETED]


def refuse_committed_cancel(*, order_id: int) -> None:
    """409 `presale_committed` when the paid order holds a pre-sale line whose pre-sale has
    closed and whose last shipping day has not passed (Asia/Shanghai). Both are the line's own
    terms, as they were when it was ordered: what the listing says now cannot move them."""
    now = timezone.now()
    today = timezone.localdate(now)
    lines = (OrderLine.objects.filter(order_id=order_id, ships_by__gte=today,
                                      shipment__status=Shipment.Status.PENDING)
             .values_list("ships_by", "closes_at", "listing__presale_closes_at"))
    for ships_by, line_closes_at, listing_closes_at in lines:
        # a line from before lines kept their close: its listing's, while it has one
        closes_at = line_closes_at or listing_closes_at
        if closes_at is None or closes_at <= now:
            raise Conflict(
                f"This pre-sale has closed and the farm has until {ships_by.isoformat()} to "
                "ship; the order can be cancelled once that day has passed.",
                code="presale_committed", details={"ships_by": ships_by.isoformat()})


def refuse_terms_change(*, listing_id: int) -> None:
    """409 `presale_has_orders` when orders of the listing's pre-sale, paid or waiting for
    payment, hold lines on it: its close and shipping window are theirs as much as the farm's
    (hardening round three, item 7: a pre-sale withdrawn after buyers paid left them unable to
    cancel until `ships_by` and the harvest impossible to record)."""
    orders = set(Order.objects.filter(status__in=BINDING, lines__listing_id=listing_id,
                                      lines__ships_by__isnull=False)
                 .order_by().values_list("pk", "status"))
    unpaid = sum(1 for _, status in orders if status == Order.Status.PENDING_PAYMENT)
    counts = {"paid": len(orders) - unpaid, "unpaid": unpaid}
    if counts["paid"] or counts["unpaid"]:
        raise Conflict(
            f"{counts['paid']} paid and {counts['unpaid']} unpaid orders hold this pre-sale: "
            "it cannot be removed, nor its close or shipping window moved, until its harvest "
            "is recorded (unpaid orders expire within the payment window).",
            code="presale_has_orders",
            details={"paid_orders": counts["paid"], "unpaid_orders": counts["unpaid"]})
