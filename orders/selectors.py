"""Every read the orders API needs, shaped once: a constant number of queries per page.

Who sees what: the buyer sees the whole order; a farm with a parcel in it sees its own lines
and parcel, its part of the money and the address to ship to; anyone else is told the order
does not exist.
"""

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from marketplace.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.filtering import filtered
from marketplace.money import money
from marketplace.pagination import Page, PageParams, paginate
from marketplace.periods import period_bounds, period_check
from marketplace.schemas import CURRENCY
from orders import pricing
from orders.filters import OrderFilter, ShipmentFilter
from orders.models import MAX_AMOUNT, LineLot, Order, OrderLine, Shipment
from orders.stock import listings_read, stock_refusal
from producers.models import Listing, Member, Producer, Region

BUYER, PRODUCER = "buyer", "producer"
PAYMENT_OPEN = "pending"  # payments.Payment.Status.PENDING: still open at its platform


def _producer_id(user: User) -> int | None:
    return Producer.objects.filter(user=user).values_list("pk", flat=True).first()


def _lines() -> QuerySet[OrderLine]:
    """Order lines with the harvest lots they shipped from (one query for any page)."""
    return OrderLine.objects.order_by("id").prefetch_related(
        Prefetch("lots", queryset=LineLot.objects.select_related("batch").order_by("id")))


def _orders(producer_id: int | None) -> QuerySet[Order]:
    """Orders with the lines and parcels the viewer may see (a farm: its own only)."""
    lines = _lines()
    shipments = Shipment.objects.select_related("producer").order_by("id")
    if producer_id is not None:
        lines = lines.filter(shipment__producer_id=producer_id)
        shipments = shipments.filter(producer_id=producer_id)
    money = [] if producer_id is not None else [
        # payments.Payment and payments.Refund rows, by their foreign keys to the order (the
        # payments app is above this one), each in its model's order (id)
        Prefetch("payments", to_attr="visible_payments"),
        Prefetch("refunds", to_attr="visible_refunds"),
    ]
    return Order.objects.select_related("region").prefetch_related(
        Prefetch("lines", queryset=lines, to_attr="visible_lines"),
        Prefetch("shipments", queryset=shipments, to_attr="visible_shipments"),
        *money,
    )


def _shape(orders: list[Order], view: str) -> list[Order]:
    for order in orders:
        line_ids = defaultdict(list)
        for line in order.visible_lines:
            line_ids[line.shipment_id].append(line.pk)
            line.currency = order.currency
        for shipment in order.visible_shipments:
            shipment.line_ids = line_ids[shipment.pk]
            shipment.currency = order.currency
        order.view = view
        if view == PRODUCER:  # the buyer's payment and refunds are the buyer's
            order.visible_payments, order.visible_refunds = [], []
        if view == PRODUCER:
            order.view_subtotal = sum(s.subtotal for s in order.visible_shipments)
            order.view_shipping_fee = sum(s.shipping_fee for s in order.visible_shipments)
        else:
            order.view_subtotal, order.view_shipping_fee = order.subtotal, order.shipping_fee
        order.view_total = order.view_subtotal + order.view_shipping_fee
    return orders


def order_get(*, user: User, order_id: int) -> Order:
    buyer_id = Order.objects.filter(pk=order_id).values_list("buyer_id", flat=True).first()
    producer_id = None
    if buyer_id is not None and buyer_id != user.pk:
        producer_id = (
            Shipment.objects.filter(order_id=order_id, producer__user=user)
            .values_list("producer_id", flat=True).first()
        )
    if buyer_id is None or (buyer_id != user.pk and producer_id is None):
        raise NotFound("No such order.", code="order_not_found")
    order = _orders(producer_id).get(pk=order_id)
    return _shape([order], PRODUCER if producer_id else BUYER)[0]


def order_list(*, user: User, role: str, filters: dict, params: PageParams) -> Page:
    """The caller's orders as buyer, or (role=producer) the orders with a parcel of theirs."""
    if role == PRODUCER:
        producer_id = _producer_id(user)
        if producer_id is None:
            raise PermissionDenied("You have no producer profile.", code="producer_required")
        base = _orders(producer_id).filter(shipments__producer_id=producer_id)
    else:
        producer_id = None
        base = _orders(None).filter(buyer=user)
    queryset = filtered(OrderFilter, filters, base)
    page = paginate(queryset, params, ordering=["-created_at", "-id"], scope=role)
    _shape(page.items, role)
    return page


def _shipments() -> QuerySet[Shipment]:
    return Shipment.objects.select_related("order", "order__region").prefetch_related(
        Prefetch("lines", queryset=_lines())
    )


def _shape_shipment(shipment: Shipment) -> Shipment:
    shipment.line_ids = [line.pk for line in shipment.lines.all()]
    return shipment


def shipment_list(*, user: User, filters: dict, params: PageParams) -> Page:
    """A farm's parcels, newest first, with what to pack and where to send it."""
    producer_id = _producer_id(user)
    if producer_id is None:
        raise PermissionDenied("You have no producer profile.", code="producer_required")
    base = _shipments().filter(producer_id=producer_id)
    queryset = filtered(ShipmentFilter, filters, base)
    page = paginate(queryset, params, ordering=["-id"])
    for shipment in page.items:
        _shape_shipment(shipment)
    return page


def shipment_acted_on(*, shipment_id: int, user: User, role: str) -> Shipment:
    """The shipment, for `user` acting on it as `role` (BUYER: the order's buyer; PRODUCER: the
    farm that ships it). The other party, who sees the parcel, may not do this (403); anyone
    else is told it does not exist (404). The same rule as an order's buyer actions."""
    shipment = (
        Shipment.objects.filter(pk=shipment_id)
        .select_related("order", "producer").only("order__buyer_id", "producer__user_id").first()
    )
    parties = {BUYER: shipment.order.buyer_id, PRODUCER: shipment.producer.user_id} if shipment \
        else {}
    if user.pk not in parties.values():
        raise NotFound("No such shipment.", code="shipment_not_found")
    if parties[role] != user.pk:
        raise PermissionDenied(f"Only the {'buyer' if role == BUYER else 'farm'} can do this.")
    return shipment


def shipment_get(*, shipment_id: int) -> Shipment:
    return _shape_shipment(_shipments().get(pk=shipment_id))


def order_ids_to_expire(*, now, limit: int = 500,
                        listing_ids: list[int] | None = None) -> list[int]:
    """Unpaid orders past their payment window (holding one of `listing_ids`, if given). An
    order with a payment still open at a platform is left to the payments app, which closes
    the payment first (the buyer may be paying right now) and then expires the order."""
    orders = (Order.objects.filter(status=Order.Status.PENDING_PAYMENT, expires_at__lte=now)
              .exclude(payments__status=PAYMENT_OPEN))
    if listing_ids is not None:
        orders = orders.filter(lines__listing_id__in=listing_ids).distinct()
    return list(orders.order_by("expires_at", "id").values_list("pk", flat=True)[:limit])


def order_as_placed(*, order: Order) -> Order:
    """The buyer's view of an order `services.order_place` has just written, made from the rows
    it wrote (`placed_shipments`, `placed_lines`, the region and producers it read): no query.
    A new order has no payment, refund or harvest lot yet."""
    order.visible_shipments = sorted(order.placed_shipments, key=lambda shipment: shipment.pk)
    order.visible_lines = sorted(order.placed_lines, key=lambda line: line.pk)
    for line in order.visible_lines:
        line._prefetched_objects_cache = {"lots": LineLot.objects.none()}
    order.visible_payments, order.visible_refunds = [], []
    return _shape([order], BUYER)[0]


def order_quote(*, buyer: User | None, lines: list[dict], shipping_address: dict) -> dict:
    """What POST /orders with this body will charge, as QuoteOut: each farm's goods and its
    parcel's shipping fee, and the order's sums. The same rows (read, not locked), the same
    pricing (orders.pricing) and the same refusals in the same order as placing it: a bad
    line, address or region 422, a line to a region its template does not serve 422
    `region_not_served`, a closed pre-sale or too little stock 409. Only what depends on the
    buyer's other orders (the unpaid-order limits) is left to the order. Two statements: the
    region, then the listings with their templates."""
    merged = pricing.lines_merged(lines)
    _address, errors = pricing.address_checked(shipping_address)
    region_id = shipping_address.get("region_id")
    region = (Region.objects.filter(pk=region_id).first()
              if isinstance(region_id, int) and not isinstance(region_id, bool) else None)
    if region_error := pricing.region_error(region):
        errors["shipping_address.region_id"] = region_error
    if errors:
        raise ValidationFailed(errors)
    quantities = {line.listing_id: line.quantity for line in merged}
    listings = listings_read(list(quantities))
    pricing.refuse_unsold(buyer, merged, listings)
    parts = pricing.priced_by_farm(merged, listings, region)
    if refusal := stock_refusal(quantities, listings):
        raise refusal
    subtotal = sum((part.subtotal for part in parts), Decimal("0.00"))
    fee = sum((part.shipping_fee for part in parts), Decimal("0.00"))
    if subtotal + fee >= MAX_AMOUNT:
        raise ValidationFailed({"lines": "This order is too large; split it up."})
    return {
        "shipments": [{"producer_id": part.producer.pk, "subtotal": part.subtotal,
                       "shipping_fee": part.shipping_fee} for part in parts],
        "subtotal": subtotal, "shipping_fee": fee, "total": subtotal + fee,
        "currency": CURRENCY,
    }


def last_shipping_region_id(*, buyer: User) -> int | None:
    """The region the buyer's latest order was sent to (the account keeps no address of its
    own), or None if they never ordered. One statement."""
    return (Order.objects.filter(buyer=buyer).order_by("-created_at", "-id")
            .values_list("region_id", flat=True).first())


# --- What a cooperative's members sold (their lots' shipped lines) --------------------------

def _member_shipped(*, producer_id: int, start: date, end: date,
                    member_id: int | None = None) -> QuerySet:
    """The units shipped from the cooperative's members' lots in the period (by the day the
    parcel shipped, Asia/Shanghai), with their price, oldest first."""
    since, until = period_bounds(start, end)
    shipped = LineLot.objects.filter(
        batch__member__producer_id=producer_id, line__shipment__shipped_at__gte=since,
        line__shipment__shipped_at__lt=until)
    if member_id is not None:
        shipped = shipped.filter(batch__member_id=member_id)
    return shipped.order_by("line__shipment__shipped_at", "id")


def member_sales(*, member: Member, start: date, end: date) -> dict[str, Any]:
    """What was shipped from the member's lots in the period, per lot and in total: units and
    their amount at the price each line was sold at (exact, in fen)."""
    period_check(start, end)
    rows = _member_shipped(producer_id=member.producer_id, start=start, end=end,
                           member_id=member.pk).values_list(
        "batch_id", "batch__lot_code", "batch__trace_code", "batch__listing_id",
        "batch__listing__title", "quantity", "line__unit_price")
    lots: dict[int, dict[str, Any]] = {}
    for batch_id, lot_code, code, listing_id, title, quantity, unit_price in rows:
        lot = lots.setdefault(batch_id, {
            "batch_id": batch_id, "lot_code": lot_code, "trace_code": code,
            "listing_id": listing_id, "listing_title": title, "quantity": 0,
            "amount": Decimal("0.00")})
        lot["quantity"] += quantity
        lot["amount"] += money(unit_price * quantity)
    items = sorted(lots.values(), key=lambda lot: lot["batch_id"])
    return {
        "member": {"id": member.pk, "name": member.name},
        "period_start": start, "period_end": end,
        "lots": items,
        "total": {"quantity": sum(lot["quantity"] for lot in items),
                  "amount": sum((lot["amount"] for lot in items), Decimal("0.00"))},
        "currency": CURRENCY,
    }



MEMBER_SALES_HEADER = ["发货时间", "社员编号", "社员", "批次号", "溯源码", "商品编号", "商品",
                       "数量", "单位", "单价", "金额", "币种", "订单号"]
_UNIT_NAMES = dict(Listing.Unit.choices)


def member_sales_rows(*, producer_id: int, start: date, end: date,
                      chunk: int = 2000) -> tuple[int, Iterator[tuple]]:
    """The cooperative's member sales report: one row per lot of a line shipped in the period,
    oldest first, read in chunks (the reports app streams them into CSV or XLSX)."""
    shipped = _member_shipped(producer_id=producer_id, start=start, end=end)
    values = shipped.values_list(
        "line__shipment__shipped_at", "batch__member_id", "batch__member__name",
        "batch__lot_code", "batch__trace_code", "line__listing_id", "line__title", "quantity",
        "line__unit", "line__unit_price", "line__order__number")

    def rows() -> Iterator[tuple]:
        for (shipped_at, member_id, name, lot_code, code, listing_id, title, quantity, unit,
             unit_price, number) in values.iterator(chunk_size=chunk):
            yield (shipped_at, member_id, name, lot_code, code, listing_id, title, quantity,
                   _UNIT_NAMES.get(unit, unit), unit_price, money(unit_price * quantity),
                   CURRENCY, number)

    return shipped.count(), rows()
