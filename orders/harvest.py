"""The harvest of a pre-sale (POST /listings/{id}/harvest): what came in is shared among the
paid pre-sale lines and the rest of the money goes back at once.

Once per listing, in one transaction with the listing's row taken first, so two harvests at
once allocate once (the second answers from the record, or is 409 `harvest_recorded` with
another quantity):
- lines already shipped keep what they shipped; the rest of the harvest is shared among the
  pending lines, `first_come` by payment time or `pro_rata` by largest remainder
  (orders.allocation); each line gets `allocated_quantity`;
- an order left with nothing is cancelled: the ordinary cancel path gives back its stock and
  refunds what is left of its payment, and the books take back every share;
- any other order is refunded, through the provider that took the money
  (`payments.services.refund_request`, keyed by harvest and order so it happens once), its
  unfilled units at their price, plus the shipping fee of each of its parcels left with
  nothing (those parcels are cancelled); the books take back the matching share of fee,
  commission and pledge when the refund settles;
- the listing becomes ordinary goods in hand: its pre-sale terms end, and whatever the harvest
  brought beyond what was sold is put on sale as its stock;
- each buyer is told by e-mail what they get (once per order, after the commit).

Every pre-sale order must be settled first: while one is still waiting for payment the harvest
is 409 `presale_payments_open` (it expires within ORDER_PAYMENT_TIMEOUT of the close).
"""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from marketplace.errors import Conflict
from marketplace.money import money
from orders import allocation
from orders.models import Harvest, HarvestOrder, Order, OrderEvent, OrderLine, Shipment
from orders.services import order_cancel_for_harvest
from orders.tasks import notify_harvest as notify_harvest_task
from outbox import enqueue
from payments.services import refund_request
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


def harvest_record(*, listing: Listing, user: User, actual_quantity: int,
                   policy: str) -> dict[str, Any]:
    """Record the harvest of the pre-sale `listing` (see the module's docstring)."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing.pk)
        done = Harvest.objects.filter(listing=listing).first()
        if done is not None:
            if done.actual_quantity != actual_quantity:
                raise Conflict(
                    f"The harvest was recorded as {done.actual_quantity}; it cannot change.",
                    code="harvest_recorded",
                    details={"actual_quantity": done.actual_quantity, "policy": done.policy})
            return harvest_answer(done)
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
        refunded = Decimal("0.00")
        unfilled_kept = 0
        for order_lines in by_order.values():
            share = _settle_order(harvest, order_lines, user)
            refunded += share.refund
            if not share.cancelled:
                unfilled_kept += share.ordered - share.allocated
        # goods in hand now: the terms end, the harvest beyond what was sold goes on sale
        Listing.objects.filter(pk=listing.pk).update(
            stock=max(actual_quantity - harvest.allocated, 0), sales=F("sales") - unfilled_kept,
            presale_closes_at=None, presale_ships_from=None, presale_ships_by=None,
            presale_expected_quantity=None, updated_at=timezone.now())
        Harvest.objects.filter(pk=harvest.pk).update(refunded_amount=refunded)
        harvest.refresh_from_db()
        enqueue(notify_harvest_task, harvest.pk)
    return harvest_answer(harvest)


def _refuse_unless_closed(listing: Listing) -> None:
    if listing.presale_closes_at is None:
        raise Conflict("This listing is not a pre-sale.", code="not_a_presale")
    if listing.presale_closes_at > timezone.now():
        raise Conflict("The pre-sale is still open: record the harvest after it closes.",
                       code="presale_open",
                       details={"closes_at": listing.presale_closes_at.isoformat()})
    unpaid = (Order.objects.filter(status=Order.Status.PENDING_PAYMENT, lines__listing=listing)
              .distinct().count())
    if unpaid:
        raise Conflict(f"{unpaid} orders of the pre-sale are still waiting for payment; they "
                       "are paid or expire within the payment window.",
                       code="presale_payments_open", details={"unpaid_orders": unpaid})


def _share(lines: list[OrderLine], actual_quantity: int, policy: str) -> dict[int, int]:
    """line id -> units. A line already on its way keeps what it shipped; the pending lines,
    in payment order, share the rest by `policy`."""
    shipped = [line for line in lines if line.shipment.status != Shipment.Status.PENDING]
    pending = [line for line in lines if line.shipment.status == Shipment.Status.PENDING]
    available = max(actual_quantity - sum(line.quantity for line in shipped), 0)
    shares = allocation.allocate(policy, [line.quantity for line in pending], available)
    return ({line.pk: line.quantity for line in shipped}
            | {line.pk: units for line, units in zip(pending, shares, strict=True)})


def _settle_order(harvest: Harvest, lines: list[OrderLine], user: User) -> HarvestOrder:
    """One order's part: cancelled when nothing is left of it, else refunded what it will not
    get (and its emptied parcels cancelled)."""
    order = lines[0].order
    ordered = sum(line.quantity for line in lines)
    allocated = sum(line.allocated_quantity for line in lines)
    short = {line.pk: line.quantity - line.allocated_quantity for line in lines}
    emptied = _emptied_shipments(order, lines)
    live = set(order.shipments.exclude(status=Shipment.Status.CANCELLED)
               .values_list("pk", flat=True))
    if live and live <= emptied:
        refund = order.total
        order_cancel_for_harvest(order=order, actor=user)
        cancelled = True
    else:
        refund = sum((money(line.unit_price * short[line.pk]) for line in lines),
                     Decimal("0.00"))
        refund += sum((s.shipping_fee for s in Shipment.objects.filter(pk__in=emptied)),
                      Decimal("0.00"))
        _cancel_emptied(order, emptied, user)
        if refund:
            refund_request(order=order, amount=refund, reason=REFUND_REASON,
                           key=f"harvest:{harvest.listing_id}:order:{order.pk}")
        cancelled = False
    if ordered != allocated or cancelled:
        OrderEvent.objects.create(
            order=order, actor=user, from_status=order.status,
            to_status=Order.Status.CANCELLED if cancelled else order.status,
            note=f"harvest: {allocated} of {ordered} allocated, {refund} refunded")
    return HarvestOrder.objects.create(harvest=harvest, order=order, ordered=ordered,
                                       allocated=allocated, refund=refund, cancelled=cancelled)


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


def _cancel_emptied(order: Order, shipment_ids: set[int], user: User) -> None:
    for shipment_id in sorted(shipment_ids):
        if Shipment.objects.filter(pk=shipment_id, status=Shipment.Status.PENDING).update(
                status=Shipment.Status.CANCELLED):
            OrderEvent.objects.create(
                order=order, shipment_id=shipment_id, actor=user,
                from_status=Shipment.Status.PENDING, to_status=Shipment.Status.CANCELLED,
                note="harvest: nothing left to ship")
