"""A listing's stock: taken when an order is placed, given back when it is cancelled; and its
`sales` (units sold and paid for, a public sort key): counted when the payment succeeds, taken
back when a paid order is cancelled and refunded. The only code that moves either.

One conditional UPDATE per listing, in listing-id order so that two orders never wait on each
other's rows the other way round, inside the caller's transaction. Nothing reads a counter and
writes it back; `CheckConstraint(stock >= 0)` is the backstop.
"""

from django.db.models import F, Q
from django.utils import timezone

from marketplace.errors import Conflict, InsufficientStock
from orders.models import OrderLine
from producers.models import Listing


def _open_presale() -> Q:
    """Not a pre-sale, or one whose ordering has not closed: checked in the statement that takes
    the stock, so nothing is taken from a closed pre-sale. An UPDATE that waited on the row
    behind a harvest sees the row the harvest left (goods in hand, no pre-sale any more)."""
    return Q(presale_closes_at__isnull=True) | Q(presale_closes_at__gt=timezone.now())


def stock_take(quantities: dict[int, int]) -> None:
    """Take `quantities` (listing id -> units) from active listings (a pre-sale only while it is
    open). The first listing that falls short stops it: what was taken is put back, and every
    short listing is reported with what it has (so the caller may free stock and try again in
    the same transaction). A closed pre-sale is 409 `presale_closed`."""
    taken: dict[int, int] = {}
    for listing_id, quantity in sorted(quantities.items()):
        updated = Listing.objects.filter(
            _open_presale(), pk=listing_id, status=Listing.Status.ACTIVE, stock__gte=quantity
        ).update(stock=F("stock") - quantity)
        if not updated:
            shortages = _shortages(quantities, taken)
            for pk, units in taken.items():
                Listing.objects.filter(pk=pk).update(stock=F("stock") + units)
            closed = sorted(Listing.objects.filter(pk__in=list(quantities))
                            .exclude(_open_presale()).values_list("pk", flat=True))
            if closed:
                raise Conflict("The pre-sale has closed: it takes no more orders.",
                               code="presale_closed", details={"listing_ids": closed})
            raise InsufficientStock(details=shortages)
        taken[listing_id] = quantity


def _shortages(quantities: dict[int, int], taken: dict[int, int]) -> list[dict]:
    """What each short listing has, counting back what this order took before it stopped (an
    inactive listing has nothing)."""
    available = {
        pk: (stock + taken.get(pk, 0) if status == Listing.Status.ACTIVE else 0)
        for pk, stock, status in Listing.objects.filter(pk__in=list(quantities))
        .values_list("pk", "stock", "status")
    }
    return [
        {"listing_id": listing_id, "available": available.get(listing_id, 0)}
        for listing_id, quantity in sorted(quantities.items())
        if available.get(listing_id, 0) < quantity
    ]


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
