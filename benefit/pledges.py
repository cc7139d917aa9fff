"""Pledges as money: what an order's pledges are worth (snapshotted when it is placed) and the
ledger lines that move them from the farm's or the promoter's share to the project when the
order is paid. Used by `books.services.payment_post`; imports only the books' ledger, so the
books may import it."""

from collections import defaultdict
from decimal import Decimal

from benefit.models import LinePledge, PledgeKind
from ledger import posting
from ledger.amounts import fen
from ledger.models import Account, Entry
from ledger.posting import Line
from marketplace.money import money


def pledge_amount(*, kind: str, value: Decimal, unit_price: Decimal, quantity: int,
                  line_total: Decimal) -> Decimal:
    """A pledge on one order line, rounded half up to the fen once (API.md): a percent of the
    line's goods, or a fixed amount per unit (never more than the line's goods)."""
    if kind == PledgeKind.PERCENT:
        return money(line_total * value / 100)
    return min(money(value * quantity), line_total)


def of_order(order_id: int) -> dict[int, list[LinePledge]]:
    """The order's pledges by shipment, in the order they were made."""
    found: dict[int, list[LinePledge]] = defaultdict(list)
    for pledge in (LinePledge.objects.filter(order_id=order_id)
                   .select_related("line", "project").order_by("id")):
        found[pledge.line.shipment_id].append(pledge)
    return found


def lines(pledges: list[LinePledge], *, shipment_id: int, farm: Account, farm_net: int,
          promoter: Account | None, promoter_net: int) -> list[Line]:
    """Each pledge moves from the farm's share (what it is owed for the shipment after fee and
    commission) or the promoter's commission to the project's pending account; never more than
    that share has left, so no one is owed less than nothing."""
    result: list[Line] = []
    for pledge in pledges:
        amount = fen(pledge.amount)
        if pledge.source == LinePledge.Source.FARM:
            giver, amount = farm, min(amount, max(farm_net, 0))
            farm_net -= amount
        else:
            if promoter is None:
                continue
            giver, amount = promoter, min(amount, max(promoter_net, 0))
            promoter_net -= amount
        if amount <= 0:
            continue
        project = posting.account(Account.Kind.BENEFIT_PROJECT, pledge.project_id,
                                  Account.Bucket.PENDING, pledge.project.title)
        result += [
            Line(giver, Entry.Kind.BENEFIT_PLEDGE, -amount, shipment_id),
            Line(project, Entry.Kind.BENEFIT_PLEDGE, amount, shipment_id,
                 listing_id=pledge.line.listing_id),
        ]
    return result
