"""A listing's stock: taken when an order is placed, given back when it is cancelled; and its
`sales` (units sold and paid for, a public sort key): counted when the payment succeeds, taken
back when a paid order is cancelled and refunded. The only code that moves either.

Placing an order locks its listings' rows first, in listing-id order (`SELECT ... ORDER BY id
FOR UPDATE`, `listings_lock`), so that two orders never wait on each other's rows the other way
round; everything is checked in Python on those locked, current rows, and then ONE UPDATE takes
every line's stock (`stock_take`), its WHERE still saying `stock >= quantity` for each listing.
Giving back and sales: one UPDATE per listing, in listing-id order. All inside the caller's
transaction. Nothing reads a counter and writes it back without holding its row;
`CheckConstraint(stock >= 0)` is the backstop. (SQLite has no FOR UPDATE: its transactions are
IMMEDIATE, so writers run one at a time and what they read is current.)
"""

from functools import reduce
from operator import or_

from django.db.models import Case, F, PositiveIntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from marketplace.errors import Conflict, DomainError, InsufficientStock, ServiceUnavailable
from orders.models import OrderLine
from producers.models import Listing


def _listings_for_order(listing_ids: list[int], **annotations) -> QuerySet[Listing]:
    """The listings by id in id order, with their producer, their farm's pledge
    (`benefit_pledge` and its project: the pledge snapshot of a new order reads them from here
    instead of asking again) and their freight template (its rules price the parcel): one
    statement. `annotations` ride along in it."""
    return (Listing.objects.filter(pk__in=listing_ids)
            .select_related("producer", "benefit_pledge__project", "freight_template")
            .defer("description", "story", "search_text", "producer__story",
                   "producer__search_text", "benefit_pledge__project__story",
                   "freight_template__name", "freight_template__producer",
                   "freight_template__created_at", "freight_template__updated_at")
            .annotate(**annotations).order_by("pk"))


def listings_lock(listing_ids: list[int], **annotations) -> dict[int, Listing]:
    """The listings by id as an order needs them (`_listings_for_order`), their rows locked
    for the rest of the transaction, taken in id order. Only the listings' rows are locked, not
    their producers' nor their templates'."""
    rows = _listings_for_order(listing_ids, **annotations).select_for_update(of=("self",))
    return {listing.pk: listing for listing in rows}


def listings_read(listing_ids: list[int]) -> dict[int, Listing]:
    """The same rows as `listings_lock` reads, without locking them (a quote)."""
    return {listing.pk: listing for listing in _listings_for_order(listing_ids)}


def _open_presale(listing: Listing, now) -> bool:
    """Not a pre-sale, or one whose ordering has not closed. Read on the locked row: a harvest
    recorded before the lock was granted left the row with goods in hand and no pre-sale."""
    return listing.presale_closes_at is None or listing.presale_closes_at > now


def stock_refusal(quantities: dict[int, int], listings: dict[int, Listing]) -> DomainError | None:
    """409 `presale_closed` naming every closed pre-sale among them; else InsufficientStock with
    what every short listing has (an inactive or missing listing has nothing); else None."""
    now = timezone.now()
    closed = sorted(pk for pk in quantities if pk in listings
                    and not _open_presale(listings[pk], now))
    if closed:
        return Conflict("The pre-sale has closed: it takes no more orders.",
                        code="presale_closed", details={"listing_ids": closed})
    available = {pk: listing.stock if listing.status == Listing.Status.ACTIVE else 0
                 for pk, listing in listings.items()}
    shortages = [
        {"listing_id": listing_id, "available": available.get(listing_id, 0)}
        for listing_id, quantity in sorted(quantities.items())
        if available.get(listing_id, 0) < quantity
    ]
    return InsufficientStock(details=shortages) if shortages else None


def stock_take(quantities: dict[int, int], listings: dict[int, Listing]) -> None:
    """Take `quantities` (listing id -> units) from `listings`, their rows as `listings_lock`
    read them in this transaction. A closed pre-sale is 409 `presale_closed`; a short listing is
    InsufficientStock with what every short listing has (the caller may free stock, lock the
    rows again and retry in the same transaction); nothing is taken then. Otherwise one UPDATE
    takes every line's stock: the rows are held, so it cannot fall short; should it ever (a row
    changed under its lock), 503 `stock_moved`, which ends the caller's transaction: part of
    the stock may have been taken by then, and a retry in the same transaction would take it
    twice."""
    refusal = stock_refusal(quantities, listings)
    if refusal is not None:
        raise refusal
    ordered = sorted(quantities.items())
    taken = Listing.objects.filter(
        reduce(or_, (Q(pk=pk, stock__gte=quantity) for pk, quantity in ordered))
    ).update(stock=F("stock") - Case(
        *(When(pk=pk, then=Value(quantity)) for pk, quantity in ordered),
        output_field=PositiveIntegerField(),
    ))
    if taken != len(ordered):
        # The rows are held, so this cannot happen short of a bug; but some rows may have been
        # taken from by now, so it must not be answered as a shortage, which the caller may
        # retry in this transaction and so take twice: the error ends the transaction instead.
        raise ServiceUnavailable("The stock moved while the order was placed; nothing was "
                                 "ordered. Try again.", code="stock_moved")


def stock_give_back(*, order_id: int) -> None:
    """Every unit of the order's lines back to its listing (a cancel). The caller's conditional
    status change makes this happen once per order."""
    for listing_id, quantity in (
        OrderLine.objects.filter(order_id=order_id).order_by("listing_id")
        .values_list("listing_id", "quantity")
    ):
        Listing.objects.filter(pk=listing_id).update(stock=F("stock") + quantity)


def _move_sales(order_id: int, sign: int) -> None:
    for listing_id, quantity in (
        OrderLine.objects.filter(order_id=order_id).order_by("listing_id")
        .values_list("listing_id", "quantity")
    ):
        Listing.objects.filter(pk=listing_id).update(sales=F("sales") + sign * quantity)


def sales_count(*, order_id: int) -> None:
    """The order's units count as sold (its payment succeeded). The caller's conditional move
    to `paid` makes this happen once per order."""
    _move_sales(order_id, +1)


def sales_take_back(*, order_id: int) -> None:
    """A paid order was cancelled and refunded: its units no longer count as sold."""
    _move_sales(order_id, -1)
