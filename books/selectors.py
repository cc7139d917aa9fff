"""Every read of the books: balances, ledger lists, statements, payouts for the API, and the
line queries a background report streams from (`statement_lines`, `statement_entries`)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import OuterRef, QuerySet, Subquery, Sum

from accounts.models import User
from books.models import Payout, Statement
from books.services import STATEMENT_ZONE
from ledger.amounts import yuan
from ledger.models import Account, Entry
from marketplace.errors import PermissionDenied
from marketplace.pagination import Page, PageParams, paginate
from orders.models import Order
from producers.models import Producer
from promotion.models import Promoter

FARM, PROMOTER = Account.Kind.FARM, Account.Kind.PROMOTER
# what a farm or promoter sees in its ledger; the ledger's own moves (pending -> available)
# change nothing it is owed
VISIBLE_KINDS = [
    Entry.Kind.SALE, Entry.Kind.SHIPPING, Entry.Kind.PLATFORM_FEE, Entry.Kind.COMMISSION,
    Entry.Kind.BENEFIT_PLEDGE, Entry.Kind.REFUND, Entry.Kind.PAYOUT, Entry.Kind.ADJUSTMENT,
]


@dataclass(frozen=True)
class Holder:
    kind: str  # Account.Kind.FARM or PROMOTER
    holder_id: int


def farm_of(user: User) -> Holder:
    producer_id = Producer.objects.filter(user=user).values_list("pk", flat=True).first()
    if producer_id is None:
        raise PermissionDenied("Create a producer profile first (POST /producers).",
                               code="producer_required")
    return Holder(FARM, producer_id)


def promoter_of(user: User) -> Holder:
    promoter_id = Promoter.objects.filter(user=user).values_list("pk", flat=True).first()
    if promoter_id is None:
        raise PermissionDenied("Create a promoter profile first (POST /promoters).",
                               code="promoter_required")
    return Holder(PROMOTER, promoter_id)


def balance(holder: Holder) -> dict:
    """{pending, available, paid_out, payout_pending, currency}: pending until the return
    window of a delivered shipment has passed, available to pay out, paid out so far, and on
    its way (payouts created, not yet marked paid)."""
    buckets = dict(Account.objects.filter(kind=holder.kind, holder_id=holder.holder_id)
                   .values_list("bucket", "balance_fen"))
    payouts = dict(Payout.objects.filter(account__kind=holder.kind,
                                         account__holder_id=holder.holder_id,
                                         status__in=[Payout.Status.PAID, Payout.Status.PENDING])
                   .values("status").annotate(total=Sum("amount_fen"))
                   .values_list("status", "total"))
    return {
        "pending": yuan(buckets.get(Account.Bucket.PENDING, 0)),
        "available": yuan(buckets.get(Account.Bucket.AVAILABLE, 0)),
        "paid_out": yuan(payouts.get(Payout.Status.PAID) or 0),
        "payout_pending": yuan(payouts.get(Payout.Status.PENDING) or 0),
        "currency": "CNY",
    }


def ledger_page(holder: Holder, params: PageParams) -> Page:
    """The holder's entries, newest first (cursor list)."""
    entries = Entry.objects.filter(
        account__kind=holder.kind, account__holder_id=holder.holder_id, kind__in=VISIBLE_KINDS,
    ).only("id", "seq", "created_at", "kind", "amount_fen", "order_id", "memo")
    return paginate(entries, params, ordering=["-seq", "-id"], scope=holder.kind)


def statement_page(holder: Holder, params: PageParams) -> Page:
    statements = Statement.objects.filter(producer_id=holder.holder_id)
    return paginate(statements, params, ordering=["-period_start", "-id"])


def payout_page(holder: Holder, params: PageParams) -> Page:
    payouts = Payout.objects.filter(account__kind=holder.kind,
                                    account__holder_id=holder.holder_id)
    return paginate(payouts, params, ordering=["-created_at", "-id"], scope=holder.kind)


# --- For reports: querysets to stream (`.iterator(chunk_size=...)`), never loaded whole ------


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=STATEMENT_ZONE)


def statement_lines(*, producer_id: int, period_start: date, period_end: date) -> QuerySet:
    """A farm's ledger lines posted from `period_start` to `period_end` (whole days, Asia/
    Shanghai), oldest first, as dicts: seq, created_at, kind, amount_fen, order_id,
    order_number, memo. Amounts in fen, signed (+ owed to the farm); `ledger.amounts.yuan`
    turns them into yuan."""
    order_numbers = Order.objects.filter(pk=OuterRef("order_id")).values("number")[:1]
    return (
        Entry.objects.filter(account__kind=FARM, account__holder_id=producer_id,
                             kind__in=VISIBLE_KINDS, created_at__gte=_moment(period_start),
                             created_at__lt=_moment(period_end + timedelta(days=1)))
        .annotate(order_number=Subquery(order_numbers))
        .order_by("seq")
        .values("seq", "created_at", "kind", "amount_fen", "order_id", "order_number", "memo")
    )


def statement_entries(*, statement: Statement) -> QuerySet:
    """Exactly the ledger lines one closed statement adds up (its `seq` range), in the same
    shape as `statement_lines`."""
    order_numbers = Order.objects.filter(pk=OuterRef("order_id")).values("number")[:1]
    return (
        Entry.objects.filter(account__kind=FARM, account__holder_id=statement.producer_id,
                             kind__in=VISIBLE_KINDS, seq__gte=statement.first_seq,
                             seq__lte=statement.last_seq)
        .annotate(order_number=Subquery(order_numbers))
        .order_by("seq")
        .values("seq", "created_at", "kind", "amount_fen", "order_id", "order_number", "memo")
    )
