"""The harvest of a pre-sale (POST /listings/{id}/harvest): what came in is shared among the
paid pre-sale lines and the rest of the money goes back at once. The orders' part of it;
`checkout.services.harvest_record` runs the whole in one transaction, in this order:

- `harvest_start`: the listing's row taken first, so two harvests at once allocate once (the
  second answers from the record, or is 409 `harvest_recorded` with another quantity); lines
  already shipped keep what they shipped; the rest of the harvest is shared among the pending
  lines, `first_come` by payment time or `pro_rata` by largest remainder (orders.allocation);
  each line gets `allocated_quantity`;
- per order (`order_part`): an order left with nothing is cancelled (checkout's ordinary
  cancel gives back its stock and refunds what is left of its payment, and the books take back
  every share); any other order is refunded through the provider that took the money, keyed
  by harvest and order so it happens once, its unfilled units at their price plus the
  shipping fee of each of its parcels left with nothing (`parcels_cancel`: those parcels are
  cancelled); the books take back the matching share of fee, commission and pledge when the
  refund settles; `order_part_record` writes what it got;
- `harvest_finish`: the listing becomes ordinary goods in hand: its pre-sale terms end, and
  whatever the harvest brought beyond what was sold is put on sale as its stock; each buyer is
  told by e-mail what they get (once per order, after the commit).

Orders of the pre-sale still waiting for payment do not wait for it: `harvest_unpaid_orders`
names them (the listing's row taken first) and checkout cancels them as any other in the same
transaction, before the harvest is shared, so their stock goes back (hardening round three,
item 8: one unpaid order used to block the harvest for the payment window).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from accounts.models import User
from marketplace.errors import Conflict
from marketplace.money import money
from orders import allocation
from orders.models import Harvest, HarvestOrder, Order, OrderEvent, OrderLine, Shipment
from orders.tasks import notify_harvest as notify_harvest_task
from outbox import enqueue
from producers.models import Listing

REFUND_REASON = "收成不足，未能发货部分退款"
LIVE = [Order.Status.PAID, Order.Status.SHIPPED, Order.Status.COMPLETED]


def harvest_answer(harvest: Harvest) -> dict[str, Any]:
    """The answer of POST /listings/{id}/harvest, from the record."""
    return {
        "actual_quantity": harvest.actual_quantity, "policy": harvest.policy,
        "allocated": harvest.allocated, "refunded_amount": harvest.refunded_amount,
        "currency": "CNY",
        "orders": [{"order_id": share.order_id, "ordered": share.ordered,
                    "allocated": share.allocated, "refund": share.refund,
                    "cancelled": share.cancelled}
                   for share in harvest.orders.order_by("id")],
    }


def harvest_unpaid_orders(*, listing: Listing) -> list[int]:
    """The listing's row taken; the orders of its closed pre-sale still waiting for payment,
    for the harvest to cancel first. None when the harvest is recorded already; 409 when the
    listing is not a pre-sale or its pre-sale is still open."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    if Harvest.objects.filter(listing=listing).exists():
        return []
    _refuse_unless_closed(listing)
    return list(Order.objects.filter(status=Order.Status.PENDING_PAYMENT, lines__listing=listing)
                .order_by("id").values_list("pk", flat=True).distinct())


def harvest_start(*, listing: Listing, user: User, actual_quantity: int,
                  policy: str) -> tuple[Harvest, list[list[OrderLine]] | None]:
    """The harvest of the pre-sale `listing` recorded and shared among its lines, with the
    paid lines of each order (None: it was recorded before, with this quantity)."""
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    done = Harvest.objects.filter(listing=listing).first()
    if done is not None:
        if done.actual_quantity != actual_quantity:
            raise Conflict(
                f"The harvest was recorded as {done.actual_quantity}; it cannot change.",
                code="harvest_recorded",
                details={"actual_quantity": done.actual_quantity, "policy": done.policy})
        return done, None
    _refuse_unless_closed(listing)
    lines = list(OrderLine.objects.filter(listing=listing, order__status__in=LIVE)
                 .select_related("order", "shipment")
                 .order_by("order__paid_at", "order_id", "id"))
    given = _share(lines, actual_quantity, policy)
    harvest = Harvest.objects.create(
        listing=listing, actual_quantity=actual_quantity, policy=policy,
        allocated=sum(given.values()), refunded_amount=Decimal("0.00"), recorded_by=user)
    for line in lines:
        line.allocated_quantity = given[line.pk]
    OrderLine.objects.bulk_update(lines, ["allocated_quantity"])
    by_order: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        by_order[line.order_id].append(line)
    return harvest, list(by_order.values())


def harvest_finish(harvest: Harvest, *, refunded: Decimal, unfilled_kept: int) -> Harvest:
    """Goods in hand now: the pre-sale's terms end, the harvest beyond what was sold goes on
    sale, the units the harvest did not fill leave the listing's sales; the buyers are told."""
    Listing.objects.filter(pk=harvest.listing_id).update(
        stock=max(harvest.actual_quantity - harvest.allocated, 0),
        sales=F("sales") - unfilled_kept,
        presale_closes_at=None, presale_ships_from=None, presale_ships_by=None,
        presale_expected_quantity=None, updated_at=timezone.now())
    Harvest.objects.filter(pk=harvest.pk).update(refunded_amount=refunded)
    harvest.refresh_from_db()
    enqueue(notify_harvest_task, harvest.pk)
    return harvest


def _refuse_unless_closed(listing: Listing) -> None:
    if listing.presale_closes_at is None:
        raise Conflict("This listing is not a pre-sale.", code="not_a_presale")
    if listing.presale_closes_at > timezone.now():
        raise Conflict("The pre-sale is still open: record the harvest after it closes.",
                       code="presale_open",
                       details={"closes_at": listing.presale_closes_at.isoformat()})


def _share(lines: list[OrderLine], actual_quantity: int, policy: str) -> dict[int, int]:
    """line id -> units. A line already on its way keeps what it shipped; the pending lines,
    in payment order, share the rest by `policy`."""
    shipped = [line for line in lines if line.shipment.status != Shipment.Status.PENDING]
    pending = [line for line in lines if line.shipment.status == Shipment.Status.PENDING]
    available = max(actual_quantity - sum(line.quantity for line in shipped), 0)
    shares = allocation.allocate(policy, [line.quantity for line in pending], available)
    return ({line.pk: line.quantity for line in shipped}
            | {line.pk: units for line, units in zip(pending, shares, strict=True)})


@dataclass
class OrderPart:
    """What the harvest gives one order: `cancelled` when nothing is left of it, else the
    `refund` of what it will not get and its parcels left with nothing (`emptied`)."""

    order: Order
    ordered: int
    allocated: int
    cancelled: bool
    refund: Decimal
    emptied: set[int] = field(default_factory=set)


def order_part(lines: list[OrderLine]) -> OrderPart:
    """One order's part of the harvest, from its lines with their `allocated_quantity`."""
    order = lines[0].order
    ordered = sum(line.quantity for line in lines)
    allocated = sum(line.allocated_quantity for line in lines)
    emptied = _emptied_shipments(order, lines)
    live = set(order.shipments.exclude(status=Shipment.Status.CANCELLED)
               .values_list("pk", flat=True))
    if live and live <= emptied:
        return OrderPart(order, ordered, allocated, cancelled=True, refund=order.total)
    short = {line.pk: line.quantity - line.allocated_quantity for line in lines}
    refund = sum((money(line.unit_price * short[line.pk]) for line in lines), Decimal("0.00"))
    refund += sum((s.shipping_fee for s in Shipment.objects.filter(pk__in=emptied)),
                  Decimal("0.00"))
    return OrderPart(order, ordered, allocated, cancelled=False, refund=refund, emptied=emptied)


def order_part_record(harvest: Harvest, part: OrderPart, user: User) -> HarvestOrder:
    """The order's event (when it did not get all it ordered) and its line of the harvest."""
    order = part.order
    if part.ordered != part.allocated or part.cancelled:
        OrderEvent.objects.create(
            order=order, actor=user, from_status=order.status,
            to_status=Order.Status.CANCELLED if part.cancelled else order.status,
            note=f"harvest: {part.allocated} of {part.ordered} allocated, {part.refund} "
                 f"refunded")
    return HarvestOrder.objects.create(harvest=harvest, order=order, ordered=part.ordered,
                                       allocated=part.allocated, refund=part.refund,
                                       cancelled=part.cancelled)


def _emptied_shipments(order: Order, lines: list[OrderLine]) -> set[int]:
    """The order's pending parcels whose every line is left with nothing (lines of other
    listings ship as ordered)."""
    nothing = {line.pk for line in lines if line.allocated_quantity == 0}
    candidates = {line.shipment_id for line in lines if line.pk in nothing
                  and line.shipment.status == Shipment.Status.PENDING}
    emptied = set()
    for shipment_id in candidates:
        others = OrderLine.objects.filter(shipment_id=shipment_id).exclude(pk__in=nothing)
        if not others.exists():
            emptied.add(shipment_id)
    return emptied


def parcels_cancel(part: OrderPart, user: User) -> None:
    """The order's parcels the harvest left with nothing are cancelled, each with its event."""
    order, shipment_ids = part.order, part.emptied
    for shipment_id in sorted(shipment_ids):
        if Shipment.objects.filter(pk=shipment_id, status=Shipment.Status.PENDING).update(
                status=Shipment.Status.CANCELLED):
            OrderEvent.objects.create(
                order=order, shipment_id=shipment_id, actor=user,
                from_status=Shipment.Status.PENDING, to_status=Shipment.Status.CANCELLED,
                note="harvest: nothing left to ship")
