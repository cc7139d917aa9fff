"""The rules of a claim that are arithmetic and calendars: when a parcel may be claimed, and what
a claim is worth. No writes here; `services` applies them."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Sum

from claims.models import Claim
from marketplace.errors import Conflict, InvalidState
from marketplace.money import money
from orders.models import Order, OrderLine, Shipment
from payments.services import parcel_refundable, refundable

LOCAL = ZoneInfo("Asia/Shanghai")
# claims whose money is agreed (or paid): a later claim on the parcel gets only what is left
MONEY_AGREED = [Claim.Status.ACCEPTED, Claim.Status.DECIDED, Claim.Status.REFUNDED]


class WindowClosed(Conflict):
    code = "claim_window_closed"
    message = "这个包裹已不在售后申请期内。"


def perishable(line: OrderLine) -> bool:
    """A line whose listing is in a category that spoils (CLAIM_PERISHABLE_CATEGORIES, with
    their sub-categories)."""
    lineage = line.listing.category.lineage
    return any(f"/{slug}/" in lineage for slug in settings.CLAIM_PERISHABLE_CATEGORIES)


def window_length(line: OrderLine) -> timedelta:
    if perishable(line):
        return timedelta(hours=settings.CLAIM_WINDOW_HOURS)
    return timedelta(days=settings.RETURN_WINDOW_DAYS)


def _not_received_from(line: OrderLine, shipment: Shipment, order: Order) -> datetime:
    """When a parcel counts as not received: its line's ships_by (the end of that day), else
    when it was shipped, else when it was paid; plus CLAIM_NOT_RECEIVED_DAYS."""
    if line.ships_by is not None:
        start = datetime.combine(line.ships_by + timedelta(days=1), time(0), tzinfo=LOCAL)
    else:
        start = shipment.shipped_at or order.paid_at or order.created_at
    return start + timedelta(days=settings.CLAIM_NOT_RECEIVED_DAYS)


def window_check(*, kind: str, order: Order, shipment: Shipment, lines: list[OrderLine],
                 now: datetime) -> None:
    """409 `invalid_state` when the parcel is not where such a claim makes sense, 409
    `claim_window_closed` when `now` is outside any claimed line's window."""
    if order.status not in (Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED):
        raise InvalidState("只有已付款的订单可以申请售后。")
    if kind == Claim.Kind.NOT_RECEIVED:
        if shipment.status not in (Shipment.Status.PENDING, Shipment.Status.SHIPPED):
            raise InvalidState("包裹已签收或已取消，不能申请未收到货。")
        for line in lines:
            opens = _not_received_from(line, shipment, order)
            if now < opens:
                raise WindowClosed("包裹还在约定的发货和运输时间内，请稍后再申请未收到货。",
                                   details={"opens_at": opens.isoformat()})
            if now > opens + window_length(line):
                raise WindowClosed(details={"closed_at": (opens + window_length(line))
                                            .isoformat()})
        return
    if shipment.status != Shipment.Status.DELIVERED or shipment.delivered_at is None:
        raise InvalidState("请先确认收货，再申请售后。")
    for line in lines:
        closes = shipment.delivered_at + window_length(line)
        if now > closes:
            raise WindowClosed(details={"closed_at": closes.isoformat()})


@dataclass
class Priced:
    goods: Decimal
    shipping: Decimal
    amount: Decimal
    cap: Decimal


def units_paid(line: OrderLine) -> int:
    """What the buyer paid for and was to receive of a line (a short harvest's share)."""
    return line.allocated_quantity if line.allocated_quantity is not None else line.quantity


def price(*, shipment: Shipment, parts: list[tuple[OrderLine, int, int]],
          exclude_claim_id: int | None = None) -> Priced:
    """What claiming `parts` [(line, quantity, damage_pct)] of `shipment` is worth (API.md):
    goods = Σ unit price × quantity × damage, shipping share = the parcel's fee × goods / its
    subtotal, each rounded half up to the fen; never more than was paid for those lines and
    the parcel's shipping less what earlier claims on the parcel were given, nor more than is
    left of the payment and of what the parcel's holders were credited (the books: a harvest's
    or staff's refunds took some back)."""
    goods = money(sum((line.unit_price * quantity * damage / 100
                       for line, quantity, damage in parts), Decimal("0")))
    shipping = (money(shipment.shipping_fee * goods / shipment.subtotal)
                if shipment.subtotal else Decimal("0.00"))
    paid = sum((line.unit_price * units_paid(line) for line, _, _ in parts), Decimal("0"))
    earlier = (Claim.objects.filter(shipment=shipment, status__in=MONEY_AGREED)
               .exclude(pk=exclude_claim_id).aggregate(total=Sum("decided_amount"))["total"]
               or Decimal("0"))
    left_of_payment = refundable(order=shipment.order)
    left_of_parcel = parcel_refundable(order_id=shipment.order_id, shipment_id=shipment.pk)
    cap = max(min(money(paid + shipment.shipping_fee) - earlier, left_of_payment,
                  left_of_parcel), Decimal("0.00"))
    return Priced(goods, shipping, min(goods + shipping, cap), cap)
