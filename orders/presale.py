"""Pre-sale orders (全款预售): paid in full for a harvest still in the field.

A paid pre-sale line binds both sides between the close and the promised last shipping day:
the farm plans its harvest on what was sold, so the buyer cannot walk away then; before the
close the buyer may still cancel (the units go back on offer), and once `ships_by` has passed
with the parcel still pending the buyer may cancel and is refunded in full (the ordinary cancel
path refunds a paid order).
"""

from django.utils import timezone

from marketplace.errors import Conflict
from orders.models import OrderLine, Shipment


def refuse_committed_cancel(*, order_id: int) -> None:
    """409 `presale_committed` when the paid order holds a pre-sale line whose pre-sale has
    closed and whose last shipping day has not passed (Asia/Shanghai)."""
    now = timezone.now()
    today = timezone.localdate(now)
    lines = (OrderLine.objects.filter(order_id=order_id, ships_by__gte=today,
                                      shipment__status=Shipment.Status.PENDING)
             .values_list("ships_by", "listing__presale_closes_at"))
    for ships_by, closes_at in lines:
        if closes_at is None or closes_at <= now:
            raise Conflict(
                f"This pre-sale has closed and the farm has until {ships_by.isoformat()} to "
                "ship; the order can be cancelled once that day has passed.",
                code="presale_committed", details={"ships_by": ships_by.isoformat()})
