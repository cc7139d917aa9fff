"""Every write of the orders app.

Two rules hold throughout:
- Stock moves only through orders/stock.py: the listings' rows locked in primary-key order, then
  one UPDATE for every line of an order, inside the order's transaction. No read-then-write of
  a counter without its row held.
- A status changes by `UPDATE ... WHERE id = ? AND status = <expected>`; zero rows is
  `InvalidState`. A change to a shipment first updates its order's row the same way, so the
  buyer, the farm, the payment webhook and the expiry task queue up on that one row and each
  order has exactly one history. Every change writes an OrderEvent.
"""

import contextlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from marketplace.errors import (
    Conflict,
    InsufficientStock,
    InvalidState,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from marketplace.money import money
from marketplace.sql import insert_unless_taken
from orders import carriers, presale, pricing, selectors
from orders import lots as line_lots
from orders.models import (
    MAX_AMOUNT,
    Order,
    OrderEvent,
    OrderLine,
    Shipment,
)
from orders.stock import (
    listings_lock,
    sales_count,
    sales_take_back,
    stock_give_back,
    stock_take,
)
from orders.tasks import notify_order_cancelled as notify_order_cancelled_task
from orders.tasks import notify_order_paid as notify_order_paid_task
from orders.tasks import notify_shipment_delivered as notify_shipment_delivered_task
from orders.tasks import notify_shipment_shipped as notify_shipment_shipped_task
from outbox import enqueue
from producers.models import Listing, Region

# Letters and digits that cannot be misread over the phone (no 0/O, 1/I/L).
_NUMBER_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _new_number() -> str:
    today = timezone.localdate().strftime("%Y%m%d")
    return "SH" + today + "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(6))


def _event(order_id: int, to_status: str, *, from_status: str = "", actor: User | None = None,
           shipment_id: int | None = None, note: str = "") -> None:
    OrderEvent.objects.create(
        order_id=order_id, shipment_id=shipment_id, actor=actor, from_status=from_status,
        to_status=to_status, note=note[:255],
    )


def _move_order(order_id: int, *, expected: str, to: str, actor: User | None, note: str = "",
                conditions: dict | None = None, **fields) -> bool:
    """`UPDATE order SET status = to WHERE status = expected` (and `conditions`), with its
    OrderEvent. False, and nothing written, if the order was not in `expected`."""
    if not Order.objects.filter(pk=order_id, status=expected, **(conditions or {})).update(
        status=to, updated_at=timezone.now(), **fields
    ):
        return False
    _event(order_id, to, from_status=expected, actor=actor, note=note)
    return True


def _lock_order(order_id: int, *, statuses: list[str], message: str) -> None:
    """Take the order's row (a no-op UPDATE while it is in one of `statuses`): every change
    to the order or its shipments queues up here."""
    updated = Order.objects.filter(pk=order_id, status__in=statuses).update(
        updated_at=timezone.now()
    )
    if not updated:
        raise InvalidState(message)


# --- Placing an order ---------------------------------------------------------------------------


def _lock_buyer(buyer: User, region_id) -> Region | None:
    """One statement: the buyer's row locked for the rest of the transaction, and the shipping
    region (None if there is no such region; nothing is locked then, and the order is refused).
    The buyer's own orders placed at once queue up on this row, so each one counts the ones
    before it (`_refuse_past_unpaid_limits`)."""
    if not isinstance(region_id, int) or isinstance(region_id, bool):
        return None
    quote = connection.ops.quote_name
    lock = " FOR UPDATE OF u" if connection.features.has_select_for_update_of else ""
    found = list(Region.objects.raw(
        f"SELECT r.* FROM {quote(Region._meta.db_table)} r "  # noqa: S608 - table names only
        f"JOIN {quote(User._meta.db_table)} u ON u.id = %s WHERE r.id = %s{lock}",
        [buyer.pk, region_id],
    ))
    return found[0] if found else None


def _unpaid_held(buyer: User, now) -> dict:
    """The buyer's open unpaid orders and the units in them, as annotations of the listing lock
    (the statement that follows the buyer's lock, so it sees every order placed before this one
    under that lock: a count made by the locking statement itself would be read from before the
    wait). Orders past their payment window do not count (expired, whether or not the periodic
    task has cancelled them yet)."""
    held = (OrderLine.objects.filter(order__buyer=buyer, order__status=Order.Status.PENDING_PAYMENT,
                                     order__expires_at__gt=now)
            .order_by().values("order__buyer"))
    here = held.filter(listing_id=OuterRef("pk"))
    return {
        "unpaid_orders": Coalesce(Subquery(
            held.annotate(n=Count("order_id", distinct=True)).values("n")), 0),
        "unpaid_units": Coalesce(Subquery(held.annotate(n=Sum("quantity")).values("n")), 0),
        # of this listing (the row the annotation rides on)
        "unpaid_here": Coalesce(Subquery(here.annotate(n=Sum("quantity")).values("n")), 0),
        "paid_before": Exists(Order.objects.filter(buyer=buyer, paid_at__isnull=False)),
    }


def _refuse_past_unpaid_limits(orders: int, held: int, units: int) -> None:
    """One account may hold at most ORDER_MAX_UNPAID open unpaid orders and
    ORDER_MAX_UNPAID_UNITS units in them (this order's included): unpaid orders take stock, so
    without a limit one account can take a whole listing off sale without paying. 409 past
    either."""
    if orders >= settings.ORDER_MAX_UNPAID:
        raise Conflict(
            f"You have {orders} unpaid orders; pay or cancel one before ordering again.",
            code="too_many_unpaid_orders",
            details={"unpaid_orders": orders, "max_unpaid_orders": settings.ORDER_MAX_UNPAID})
    if held + units > settings.ORDER_MAX_UNPAID_UNITS:
        raise Conflict(
            f"Unpaid orders may hold at most {settings.ORDER_MAX_UNPAID_UNITS} units; you hold "
            f"{held} and this order adds {units}.",
            code="too_many_unpaid_units",
            details={"unpaid_units": held, "units": units,
                     "max_unpaid_units": settings.ORDER_MAX_UNPAID_UNITS})


def _refuse_past_listing_share(quantities: dict[int, int], listings: dict[int, Listing]) -> None:
    """Of each listing, the account's unpaid orders (this one included) hold at most the larger
    of ORDER_UNPAID_LISTING_UNITS and ORDER_UNPAID_LISTING_PERCENT of its stock: what is on
    offer now plus what the account already holds of it. An order short of stock is left to
    the stock's refusal, and checked again on the rows read after expiring overdue orders made
    room (`_take_stock`). 409 `too_much_of_listing_unpaid` naming the first listing past it
    (hardening round three, item 4: a new account held all 60 units of a listing in one unpaid
    order for 30 minutes)."""
    for listing_id, units in sorted(quantities.items()):
        listing = listings.get(listing_id)
        if listing is None or listing.status != Listing.Status.ACTIVE:
            continue  # refused as short of stock
        held = listing.unpaid_here
        most = max(settings.ORDER_UNPAID_LISTING_UNITS,
                   (listing.stock + held) * settings.ORDER_UNPAID_LISTING_PERCENT // 100)
        if held + units > most and units <= listing.stock:
            raise Conflict(
                f"Unpaid orders may hold at most {most} units of this listing; you hold {held} "
                f"and this order adds {units}. Pay for what you hold first.",
                code="too_much_of_listing_unpaid",
                details={"listing_id": listing_id, "unpaid_units": held, "units": units,
                         "max_unpaid_units": most})


def _take_stock(quantities: dict[int, int], listings: dict[int, Listing], now,
                expire: Callable[[int], object],
                relock: Callable[[], dict[int, Listing]]) -> None:
    """stock_take; when it falls short, unpaid orders past their payment window that hold the
    short listings are expired first (`expire(order_id)`: their stock back), the rows are read
    again and it is tried once more. Expiry does not wait for the periodic task: stock an unpaid
    order can no longer pay for is never what turns a paying buyer away."""
    try:
        stock_take(quantities, listings)
        return
    except InsufficientStock as short:
        overdue = selectors.order_ids_to_expire(
            now=now, listing_ids=[d["listing_id"] for d in short.details])
        if not overdue:
            raise
    for order_id in overdue:
        with contextlib.suppress(InvalidState):  # paid or cancelled meanwhile
            expire(order_id)
    listings = relock()
    _refuse_past_listing_share(quantities, listings)  # on the stock that came back
    stock_take(quantities, listings)


def _create_order_row(**fields) -> Order:
    for _ in range(5):
        order = Order(number=_new_number(), **fields)
        # one INSERT, no savepoint: a number taken writes nothing, and another is drawn
        if insert_unless_taken(order, unique=["number"]):
            return order
    raise IntegrityError("Could not draw a free order number.")


def _write_shipments(order: Order, parts: list[pricing.FarmPart]) -> tuple[list[Shipment],
                                                                          list[OrderLine]]:
    """One shipment per farm (one INSERT for all of them) and the order's lines, each in its
    farm's shipment (one INSERT for all of them); the rows written, ids set."""
    shipments = Shipment.objects.bulk_create([
        Shipment(order=order, producer=part.producer, subtotal=part.subtotal,
                 shipping_fee=part.shipping_fee)
        for part in parts
    ])
    lines = OrderLine.objects.bulk_create([
        OrderLine(
            order=order, shipment=shipment, listing=listing, title=listing.title,
            unit=listing.unit, unit_price=listing.price, quantity=line.quantity,
            line_total=money(listing.price * line.quantity),
            ships_from=listing.presale_ships_from, ships_by=listing.presale_ships_by,
            closes_at=listing.presale_closes_at,
        )
        for part, shipment in zip(parts, shipments, strict=True)
        for line, listing in part.items
    ])
    return shipments, lines


def order_place(
    *, buyer: User, lines: list[dict], shipping_address: dict, expire: Callable[[int], object],
    promo_code: str = "", note: str = "",
) -> Order:
    """Take the stock and create the order, one shipment per farm. Short -> 409 with what is
    available and nothing taken, after `expire(order_id)` has cancelled the overdue unpaid
    orders holding the short listings (checkout's expiry: cancelling reaches apps above this
    one). The order's commission and pledges are checkout's to write, in the same transaction.

    It joins the caller's transaction without a savepoint: an error rolls back the caller's
    transaction with it (call it outside one, as checkout does, or let the error end yours).

    It runs seven statements (eight with the request's sign-in) whatever the number of lines
    and farms: the buyer's row locked with the shipping region read; the listings' rows locked
    in id order with what the order needs of them and the buyer's unpaid orders counted; one
    UPDATE taking every line's stock; the order's INSERT; one INSERT for its shipments, one for
    its lines; its event. The order returned carries the rows written (`placed_shipments`,
    `placed_lines`), for the answer to be made from them (`selectors.order_as_placed`)."""
    merged = pricing.lines_merged(lines)
    address, errors = pricing.address_checked(shipping_address)
    units = sum(line.quantity for line in merged)
    quantities = {line.listing_id: line.quantity for line in merged}
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        region = _lock_buyer(buyer, shipping_address.get("region_id"))
        if region_error := pricing.region_error(region):
            errors["shipping_address.region_id"] = region_error
        if errors:
            raise ValidationFailed(errors)
        listings = listings_lock(list(quantities), **_unpaid_held(buyer, now))
        pricing.refuse_unsold(buyer, merged, listings)
        first = listings[merged[0].listing_id]
        _refuse_past_unpaid_limits(first.unpaid_orders, first.unpaid_units, units)
        _refuse_past_listing_share(quantities, listings)
        # each farm's goods and parcel fee, from the rows just locked (their freight templates
        # came with them): a region a template does not serve is refused here, nothing taken
        parts = pricing.priced_by_farm(merged, listings, region)
        subtotal = sum((part.subtotal for part in parts), Decimal("0.00"))
        fee = sum((part.shipping_fee for part in parts), Decimal("0.00"))
        _take_stock(quantities, listings, now, expire,
                    relock=lambda: listings_lock(list(quantities), **_unpaid_held(buyer, now)))
        if subtotal + fee >= MAX_AMOUNT:
            # more than the money columns hold: refused, and the stock taken goes back
            raise ValidationFailed({"lines": "This order is too large; split it up."})
        order = _create_order_row(
            buyer=buyer, subtotal=subtotal, shipping_fee=fee, total=subtotal + fee,
            promo_code=(promo_code or "").strip(), note=(note or "").strip(),
            platform_fee_rate=settings.PLATFORM_FEE_RATE,
            # an account that never paid holds stock for a shorter while
            expires_at=now + timedelta(seconds=settings.ORDER_PAYMENT_TIMEOUT if first.paid_before
                                       else settings.ORDER_PAYMENT_TIMEOUT_NEW_BUYER),
            region=region, **address,
        )
        order.placed_shipments, order.placed_lines = _write_shipments(order, parts)
        _event(order.pk, Order.Status.PENDING_PAYMENT, actor=buyer, note="placed")
    return order


# --- Access -------------------------------------------------------------------------------------


def order_of_buyer(*, order_id: int, user: User, lock: bool = False) -> Order:
    """The order if `user` bought it (its row locked for the rest of the transaction with
    `lock`). A farm with a parcel in it may see it but not act as the buyer (403); anyone else
    is told it does not exist (404)."""
    orders = Order.objects.select_for_update() if lock else Order.objects
    order = orders.filter(pk=order_id).first()
    if order is None:
        raise NotFound("No such order.", code="order_not_found")
    if order.buyer_id != user.pk:
        if Shipment.objects.filter(order_id=order_id, producer__user=user).exists():
            raise PermissionDenied("Only the buyer can do this.")
        raise NotFound("No such order.", code="order_not_found")
    return order


# --- Paying -------------------------------------------------------------------------------------


def order_mark_paid(order_id: int, *, actor: User | None, now, note: str,
                    conditions: dict | None = None) -> bool:
    """pending_payment -> paid, its sales counted (the payments app calls it when a provider
    took the money, in its transaction, and then posts the payment to the books); each farm
    gets its packing list once this commits. False: the order was no longer waiting for its
    payment."""
    if not _move_order(order_id, expected=Order.Status.PENDING_PAYMENT, to=Order.Status.PAID,
                       actor=actor, note=note, conditions=conditions, paid_at=now):
        return False
    sales_count(order_id=order_id)
    enqueue(notify_order_paid_task, order_id)
    return True


# --- Cancelling ---------------------------------------------------------------------------------


def _move_to_cancelled(order: Order, *, actor: User | None, reason: str, expected: list[str],
                       conditions: dict) -> str:
    """The order's conditional UPDATE to cancelled, from whichever of `expected` it is in; the
    status it had. One UPDATE per status it may be in, so that the event records the status the
    row really had. None matched -> InvalidState."""
    now = timezone.now()
    for previous in expected:
        if _move_order(order.pk, expected=previous, to=Order.Status.CANCELLED, actor=actor,
                       note=reason, conditions=conditions, cancelled_at=now,
                       cancel_reason=reason):
            return previous
    raise InvalidState("This order can no longer be cancelled.")


def _cancel_shipments(order: Order, *, actor: User | None, reason: str) -> None:
    """Every parcel of the order cancelled, each with its event. Called with the order's row
    taken: no parcel can ship meanwhile, so one already shipped is InvalidState."""
    if Shipment.objects.filter(order=order).exclude(status=Shipment.Status.PENDING).exists():
        raise InvalidState("Part of this order has already shipped.")
    shipment_ids = list(order.shipments.values_list("pk", flat=True))
    Shipment.objects.filter(pk__in=shipment_ids, status=Shipment.Status.PENDING).update(
        status=Shipment.Status.CANCELLED
    )
    OrderEvent.objects.bulk_create([
        OrderEvent(order=order, shipment_id=pk, actor=actor, from_status="pending",
                   to_status=Shipment.Status.CANCELLED, note=reason)
        for pk in shipment_ids
    ])


def order_cancel_move(order: Order, *, actor: User | None, reason: str, expected: list[str],
                      **conditions) -> str:
    """The orders' part of cancelling `order` if it is still in one of `expected` (and matches
    `conditions`), in the caller's transaction: the order's row moved (taken for the rest of
    the transaction: what follows happens once per order), its parcels cancelled, its stock
    given back and, if it was paid, its sales taken back. Returns the status it had; none of
    `expected` -> InvalidState. The rest of a cancel (commissions, the books, refunds) is
    checkout's."""
    previous = _move_to_cancelled(order, actor=actor, reason=reason, expected=expected,
                                  conditions=conditions)
    _cancel_shipments(order, actor=actor, reason=reason)
    stock_give_back(order_id=order.pk)
    if previous == Order.Status.PAID:
        sales_take_back(order_id=order.pk)
    return previous


def order_cancel_check(*, order_id: int, user: User) -> Order:
    """The buyer's order, if the buyer may cancel it now: before anything has shipped, and not a
    pre-sale order already committed to its harvest."""
    order = order_of_buyer(order_id=order_id, user=user)
    if order.status not in (Order.Status.PENDING_PAYMENT, Order.Status.PAID):
        raise InvalidState(f"The order is {order.status}; it can no longer be cancelled.")
    if order.status == Order.Status.PAID:
        presale.refuse_committed_cancel(order_id=order.pk)
    return order


def order_cancelled_tell_farms(*, order_id: int) -> None:
    """The farms already asked to ship a paid order are told not to, once this commits."""
    enqueue(notify_order_cancelled_task, order_id)


# --- Fulfilment ---------------------------------------------------------------------------------


def _live_statuses(order_id: int) -> set[str]:
    return set(
        Shipment.objects.filter(order_id=order_id)
        .exclude(status=Shipment.Status.CANCELLED)
        .values_list("status", flat=True)
    )


def shipment_ship(*, shipment_id: int, user: User, tracking_number: str, carrier: str = "",
                  carrier_code: str | None = None, lots: list[dict] | None = None) -> Shipment:
    """The farm hands its parcel to a carrier (a name, a code, or both: orders.carriers),
    naming the harvest lots it packed if it wants (`lots`: orders.lots). The order must be
    paid; once every live parcel is on its way the order is `shipped`."""
    carrier, carrier_code, tracking_number = carriers.carrier_resolve(
        carrier=carrier, carrier_code=carrier_code, tracking_number=tracking_number)
    shipment = selectors.shipment_acted_on(shipment_id=shipment_id, user=user,
                                           role=selectors.PRODUCER)
    with transaction.atomic():
        _lock_order(shipment.order_id, statuses=[Order.Status.PAID],
                    message="Only a paid order can be shipped.")
        now = timezone.now()
        if not Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.PENDING).update(
            status=Shipment.Status.SHIPPED, carrier=carrier, carrier_code=carrier_code,
            tracking_number=tracking_number, shipped_at=now,
        ):
            raise InvalidState("This shipment is not waiting to be shipped.")
        if lots:
            # checked with the order's row taken: what ships of each line is settled
            line_lots.lots_take(line_lots.lots_check(shipment_id=shipment.pk, lots=lots))
        _event(shipment.order_id, Shipment.Status.SHIPPED, from_status=Shipment.Status.PENDING,
               actor=user, shipment_id=shipment.pk, note=f"{carrier} {tracking_number}")
        if _live_statuses(shipment.order_id) <= {Shipment.Status.SHIPPED,
                                                 Shipment.Status.DELIVERED}:
            _move_order(shipment.order_id, expected=Order.Status.PAID, to=Order.Status.SHIPPED,
                        actor=user, note="every parcel shipped")
        enqueue(notify_shipment_shipped_task, shipment.pk)
    shipment.refresh_from_db()
    return shipment


def shipment_confirm(*, shipment_id: int, user: User) -> Shipment:
    """The buyer confirms a parcel arrived. Once every live parcel has, the order is
    `completed`."""
    shipment = selectors.shipment_acted_on(shipment_id=shipment_id, user=user,
                                           role=selectors.BUYER)
    with transaction.atomic():
        _lock_order(shipment.order_id, statuses=[Order.Status.PAID, Order.Status.SHIPPED],
                    message="This order has nothing on its way.")
        if not Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.SHIPPED).update(
            status=Shipment.Status.DELIVERED, delivered_at=timezone.now()
        ):
            raise InvalidState("Only a shipped parcel can be confirmed.")
        _event(shipment.order_id, Shipment.Status.DELIVERED, from_status=Shipment.Status.SHIPPED,
               actor=user, shipment_id=shipment.pk)
        if _live_statuses(shipment.order_id) == {Shipment.Status.DELIVERED}:
            _move_order(shipment.order_id, expected=Order.Status.SHIPPED,
                        to=Order.Status.COMPLETED, actor=user, note="every parcel delivered")
        enqueue(notify_shipment_delivered_task, shipment.pk)
    shipment.refresh_from_db()
    return shipment
