"""Every write of the books: the postings the other apps' state changes cause, payouts and
weekly statements.

Each posting function runs inside the caller's transaction (`ledger.posting.post` asserts it)
and is keyed by its source event, so a retried webhook, task or click posts once. Every posting
goes through `_post`, which writes a project's public-ledger entries (benefit.ledger) with it.
The ledger itself (accounts, entries, the lock, the hash chain) is `ledger`, below this app."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Min, Sum
from django.utils import timezone

from accounts.models import User
from benefit import ledger as public_ledger
from benefit import pledges as benefit_pledges
from books.models import Payout, Statement
from ledger import posting
from ledger.amounts import fen, split, yuan
from ledger.models import Account, Entry, LedgerTransaction
from ledger.posting import Line, clearing, in_transit, platform_fees, refunds_payable
from marketplace.errors import Conflict, InvalidState, NotFound, ValidationFailed
from marketplace.money import money
from notify import notify
from orders.models import Order, OrderLine, Shipment
from producers.models import Producer
from promotion.models import Commission, Promoter

STATEMENT_ZONE = ZoneInfo("Asia/Shanghai")
TxnKind = LedgerTransaction.Kind
EntryKind = Entry.Kind
Kind = Account.Kind
Bucket = Account.Bucket
# A holder's pending money of one shipment is a component: (account kind, holder id, shipment).
Component = tuple[str, int, int | None]


def _post(*, key: str, kind: str, lines: list[Line], order_id: int | None = None,
          memo: str = "") -> LedgerTransaction | None:
    """`ledger.posting.post`, and the public entries of the projects it moves money for, in the
    same transaction under the same lock (so each project's entries are numbered in the order
    they commit)."""
    record = posting.post(key=key, kind=kind, lines=lines, order_id=order_id, memo=memo)
    if record is not None:
        public_ledger.record_posting(record, lines)
    return record


# --- Accounts -----------------------------------------------------------------------------------


def claims_expense() -> Account:
    """What the platform pays of after-sales claims the courier was liable for."""
    return posting.account(Kind.CLAIMS_EXPENSE, name="平台售后赔付")


def holder_account(kind: str, holder_id: int, bucket: str, name: str = "") -> Account:
    return posting.account(kind, holder_id, bucket, name)


# --- Payment succeeded --------------------------------------------------------------------------


@dataclass
class _Share:
    """What one shipment's money is split into when the order is paid."""

    shipment: Shipment
    fee: int = 0
    commission: int = 0
    promoter_id: int | None = None
    promoter_name: str = ""
    pledge: int = 0


def _shares(order: Order) -> list[_Share]:
    shipments = list(Shipment.objects.filter(order=order).select_related("producer")
                     .order_by("id"))
    shares = {s.pk: _Share(s) for s in shipments}
    rate = order.platform_fee_rate
    if rate:
        # rounded half up once per line (API.md), then added up per shipment
        for shipment_id, line_total in OrderLine.objects.filter(order=order).values_list(
                "shipment_id", "line_total"):
            shares[shipment_id].fee += fen(money(line_total * rate))
    for commission in Commission.objects.filter(order=order).exclude(
            status=Commission.Status.CANCELLED).select_related("promoter"):
        share = shares[commission.shipment_id]
        share.commission += fen(commission.amount)
        share.promoter_id = commission.promoter_id
        share.promoter_name = commission.promoter.display_name
    return list(shares.values())


def payment_post(*, order_id: int) -> LedgerTransaction | None:
    """The order was paid (in the transaction that marks it paid): the provider holds its
    total; each farm is owed its shipment's goods and shipping less the platform fee, the
    promoter's commission and its public-benefit pledge, all pending until the shipment has
    been delivered for RETURN_WINDOW_DAYS. A pledge moves from the farm's share (or the
    promoter's commission) to its project's pending account."""
    order = Order.objects.get(pk=order_id)
    lines = [Line(clearing(), EntryKind.RECEIVED, -fen(order.total),
                  memo=f"订单 {order.number} 付款")]
    fees = platform_fees()
    pledges = benefit_pledges.of_order(order.pk)
    for share in _shares(order):
        shipment = share.shipment
        farm = holder_account(Kind.FARM, shipment.producer_id, Bucket.PENDING,
                              shipment.producer.name)
        sid = shipment.pk
        lines += [
            Line(farm, EntryKind.SALE, fen(shipment.subtotal), sid),
            Line(farm, EntryKind.SHIPPING, fen(shipment.shipping_fee), sid),
            Line(farm, EntryKind.PLATFORM_FEE, -share.fee, sid),
            Line(fees, EntryKind.PLATFORM_FEE, share.fee, sid),
        ]
        promoter = None
        if share.commission:
            promoter = holder_account(Kind.PROMOTER, share.promoter_id, Bucket.PENDING,
                                      share.promoter_name)
            lines += [Line(farm, EntryKind.COMMISSION, -share.commission, sid),
                      Line(promoter, EntryKind.COMMISSION, share.commission, sid)]
        lines += benefit_pledges.lines(
            pledges.get(sid, []), shipment_id=sid, farm=farm, promoter=promoter,
            farm_net=fen(shipment.subtotal) + fen(shipment.shipping_fee) - share.fee
            - share.commission, promoter_net=share.commission)
    return _post(key=f"payment:order:{order.pk}", kind=TxnKind.PAYMENT, lines=lines,
                       order_id=order.pk, memo=f"订单 {order.number}")


# --- Refunds and cancellation -----------------------------------------------------------------


def _components(order_id: int) -> tuple[dict, dict, dict]:
    """For each holder's share of the order (a component): what it was credited when the order
    was paid, what is left of it now, and how much of that is still pending."""
    paid: dict[Component, int] = defaultdict(int)
    left: dict[Component, int] = defaultdict(int)
    pending: dict[Component, int] = defaultdict(int)
    rows = (Entry.objects.filter(order_id=order_id)
            .exclude(account__kind__in=[Kind.PROVIDER_CLEARING, Kind.REFUNDS_PAYABLE])
            .values_list("account__kind", "account__holder_id", "account__bucket",
                         "shipment_id", "transaction__kind", "amount_fen"))
    for kind, holder_id, bucket, shipment_id, txn_kind, amount in rows:
        component = (kind, holder_id, shipment_id)
        if txn_kind == TxnKind.PAYMENT:
            paid[component] += amount
        left[component] += amount
        if bucket != Bucket.AVAILABLE:
            pending[component] += amount
    return paid, left, pending


def _owed_back_fen(order_id: int) -> int:
    """What a cancellation took back from the holders of the order and the provider has not
    yet given back to the buyer."""
    return Entry.objects.filter(order_id=order_id, account__kind=Kind.REFUNDS_PAYABLE).aggregate(
        total=Sum("amount_fen"))["total"] or 0


def _holder_lines(order_id: int, amount_fen: int, shipment_id: int | None = None) -> list[Line]:
    """Take `amount_fen` back from the order's holders (of one parcel with `shipment_id`): each
    gives back the same proportion of what it was credited, from pending money first, then from
    available. More than is left -> 409."""
    paid, left, pending = _components(order_id)
    components = sorted(c for c in paid if shipment_id is None or c[2] == shipment_id)
    remaining = (_parcel_left_fen(left, shipment_id) if shipment_id is not None
                 else sum(left[c] for c in components))
    if amount_fen > remaining:
        raise Conflict(
            f"The refund ({amount_fen / 100:.2f}) is more than is left of the order's payment "
            f"({remaining / 100:.2f}).", code="refund_exceeds_payment",
        )
    if amount_fen <= 0:
        return []
    taken = split(amount_fen, [paid[c] for c in components],
                  [max(left[c], 0) for c in components])
    lines = []
    for component, take in zip(components, taken, strict=True):
        if not take:
            continue
        account_kind, holder_id, shipment_id = component
        if account_kind == Kind.PLATFORM_FEES:
            lines.append(Line(platform_fees(), EntryKind.REFUND, -take, shipment_id))
            continue
        from_pending = min(take, max(pending[component], 0))
        if from_pending:
            lines.append(Line(holder_account(account_kind, holder_id, Bucket.PENDING),
                              EntryKind.REFUND, -from_pending, shipment_id))
        if take - from_pending:
            lines.append(Line(holder_account(account_kind, holder_id, Bucket.AVAILABLE),
                              EntryKind.REFUND, -(take - from_pending), shipment_id))
    return lines


def refund_post(*, order_id: int, amount: Decimal, key: str, reason: str = "",
                shipment_id: int | None = None,
                platform_pays: bool = False) -> LedgerTransaction | None:
    """Money the provider gave back to the buyer (whole or partial), posted in the transaction
    that records the refund as done; other apps call it there. `key` names the refund (e.g.
    "refund:42"): posting it twice does nothing.

    Of a cancelled order, the refund settles what the cancellation took back (`refunds
    payable`). Otherwise every holder gives back the same proportion of what it was credited
    for the order: the farm its goods and shipping net of fee and commission, the platform its
    fee, the promoter its commission, the project its pledge; from pending money first, then
    from available (which may go below zero: the farm owes it back). A payment that was never
    booked (the order was not paid by it) posts nothing. More than is left -> 409.

    A refund of one parcel (`shipment_id`: an after-sales claim) takes back only from that
    parcel's holders, in the same proportions; one the platform pays (`platform_pays`: the
    courier was liable) is the platform's claims expense and takes nothing from them."""
    order = Order.objects.get(pk=order_id)
    amount_fen = fen(amount)
    posting.lock()  # before reading what is left: two refunds at once take back once each
    if posting.posted(key) or amount_fen <= 0:
        return None
    if not posting.posted(f"payment:order:{order_id}"):
        return None
    memo = (f"订单 {order.number} 退款" + (f"：{reason}" if reason else ""))[:255]
    if platform_pays:
        lines = [Line(clearing(), EntryKind.REFUND, amount_fen, memo=memo),
                 Line(claims_expense(), EntryKind.REFUND, -amount_fen, shipment_id)]
        return _post(key=key, kind=TxnKind.REFUND, lines=lines, order_id=order_id, memo=memo)
    owed_back = 0 if shipment_id else min(amount_fen, max(_owed_back_fen(order_id), 0))
    lines = [Line(clearing(), EntryKind.REFUND, amount_fen, memo=memo),
             Line(refunds_payable(), EntryKind.REFUND, -owed_back),
             *_holder_lines(order_id, amount_fen - owed_back, shipment_id)]
    return _post(key=key, kind=TxnKind.REFUND, lines=lines, order_id=order_id, memo=memo)


def _parcel_left_fen(left: dict, shipment_id: int) -> int:
    """What the buyer may still get back of one parcel: what its holders have left of it, less
    what the platform already paid the buyer for it (a courier-liable claim: the claims
    expense, negative, on the parcel). The holders keep that money, so their own balance
    overstates the parcel by it."""
    return sum(amount for component, amount in left.items() if component[2] == shipment_id)


def shipment_refundable_fen(*, order_id: int, shipment_id: int) -> int:
    """What may still be given back of one parcel's payment (0 if never paid): what its holders
    have left less what the platform paid for it. Every refund of the parcel is checked against
    this one sum."""
    _, left, _ = _components(order_id)
    return _parcel_left_fen(left, shipment_id)


def refundable_fen(*, order_id: int) -> int:
    """What is left of the order's payment to give back: what its holders still have of it and
    what a cancellation took back and the provider has not refunded yet (0 if never paid)."""
    _, left, _ = _components(order_id)
    return sum(left.values()) + max(_owed_back_fen(order_id), 0)


def cancellation_post(*, order_id: int) -> LedgerTransaction | None:
    """A paid order was cancelled (in the cancelling transaction): everything its holders still
    have of its payment is taken back and owed to the buyer (`refunds payable`) until the
    provider's refund is posted by `refund_post`. Nothing happens for an order never paid."""
    order = Order.objects.get(pk=order_id)
    posting.lock()
    key = f"cancellation:order:{order_id}"
    if posting.posted(key):
        return None
    _, left, _ = _components(order_id)
    amount_fen = sum(left.values())
    memo = f"订单 {order.number} 付款后取消，全额退款"
    lines = [Line(refunds_payable(), EntryKind.REFUND, amount_fen, memo=memo),
             *_holder_lines(order_id, amount_fen)]
    return _post(key=key, kind=TxnKind.CANCELLATION, lines=lines, order_id=order_id,
                       memo=memo)


# --- Pending -> available -----------------------------------------------------------------------


def _release(*, key: str, kind: str, account_kind: str, holder_id: int, shipment_id: int,
             order_id: int, memo: str) -> LedgerTransaction | None:
    posting.lock()
    pending = holder_account(account_kind, holder_id, Bucket.PENDING)
    amount = Entry.objects.filter(account=pending, shipment_id=shipment_id).aggregate(
        total=Sum("amount_fen"))["total"] or 0
    if amount <= 0:
        return None
    available = holder_account(account_kind, holder_id, Bucket.AVAILABLE, pending.name)
    return _post(key=key, kind=kind, order_id=order_id, memo=memo, lines=[
        Line(pending, EntryKind.RELEASE, -amount, shipment_id),
        Line(available, EntryKind.RELEASE, amount, shipment_id),
    ])


def shipment_release(*, shipment_id: int) -> LedgerTransaction | None:
    """The farm's pending money of a shipment delivered RETURN_WINDOW_DAYS ago becomes
    available. Once per shipment."""
    shipment = Shipment.objects.select_related("order").get(pk=shipment_id)
    released = _release(key=f"release:shipment:{shipment_id}", kind=TxnKind.RELEASE,
                        account_kind=Kind.FARM, holder_id=shipment.producer_id,
                        shipment_id=shipment_id, order_id=shipment.order_id,
                        memo=f"订单 {shipment.order.number} 退货期满")
    # the shipment's pledges are confirmed with it (the public ledger's `confirm`)
    for project_id in (Entry.objects.filter(account__kind=Kind.BENEFIT_PROJECT,
                                            account__bucket=Bucket.PENDING,
                                            shipment_id=shipment_id)
                       .order_by("account__holder_id")
                       .values_list("account__holder_id", flat=True).distinct()):
        released = _release(
            key=f"release:shipment:{shipment_id}:project:{project_id}", kind=TxnKind.RELEASE,
            account_kind=Kind.BENEFIT_PROJECT, holder_id=project_id, shipment_id=shipment_id,
            order_id=shipment.order_id, memo=f"订单 {shipment.order.number} 公益认捐确认",
        ) or released
    return released


def commission_settled_post(*, commission: Commission) -> LedgerTransaction | None:
    """A commission was settled (in the settling transaction): the promoter's pending share
    of that order becomes available."""
    return _release(key=f"commission_settled:{commission.pk}", kind=TxnKind.COMMISSION_SETTLED,
                    account_kind=Kind.PROMOTER, holder_id=commission.promoter_id,
                    shipment_id=commission.shipment_id, order_id=commission.order_id,
                    memo="佣金结算")


def releases_due(*, now: datetime | None = None, with_order: bool = False) -> list:
    """Shipments delivered more than RETURN_WINDOW_DAYS ago whose farm (or a project it
    pledged to) still has pending money from them (ids; with `with_order`, (id, order id))."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.RETURN_WINDOW_DAYS)
    pending = (Entry.objects.filter(account__kind__in=[Kind.FARM, Kind.BENEFIT_PROJECT],
                                    account__bucket=Bucket.PENDING,
                                    shipment_id__isnull=False)
               .values("shipment_id").annotate(total=Sum("amount_fen"))
               .filter(total__gt=0).values("shipment_id"))
    due = Shipment.objects.filter(
        pk__in=pending, status=Shipment.Status.DELIVERED, delivered_at__lte=cutoff,
    ).order_by("pk")
    if with_order:
        return list(due.values_list("pk", "order_id"))
    return list(due.values_list("pk", flat=True))


def release_due(*, now: datetime | None = None) -> int:
    """Release every due shipment, each in its own short transaction; safe to run twice."""
    released = 0
    for shipment_id in releases_due(now=now):
        with transaction.atomic():
            if shipment_release(shipment_id=shipment_id) is not None:
                released += 1
    return released


# --- Payouts ------------------------------------------------------------------------------------


def payout_create(*, account_id: int, amount: Decimal, staff: User | None,
                  method: str = Payout.Method.BANK_TRANSFER) -> Payout:
    """Staff send a farm or promoter money out of its available balance. Never more than that
    balance: the check and the posting happen under the ledger's lock, so two staff clicking at
    once cannot both spend it. Too much -> 422 on `amount`, nothing written."""
    amount_fen = fen(amount) if amount is not None else 0
    if amount_fen <= 0:
        raise ValidationFailed({"amount": "The amount must be at least 0.01."})
    with transaction.atomic():
        posting.lock()
        account = Account.objects.filter(
            pk=account_id, bucket=Bucket.AVAILABLE, kind__in=[Kind.FARM, Kind.PROMOTER]
        ).first()
        if account is None:
            raise NotFound("No such available balance.", code="account_not_found")
        if amount_fen > account.balance_fen:
            raise ValidationFailed(
                {"amount": f"More than the available balance ({account.balance_fen / 100:.2f})."},
                code="payout_exceeds_balance",
            )
        payout = Payout.objects.create(account=account, amount_fen=amount_fen, method=method,
                                       created_by=staff)
        _post(key=f"payout_created:{payout.pk}", kind=TxnKind.PAYOUT_CREATED,
                    memo=f"提现 {payout.pk}", lines=[
                        Line(account, EntryKind.PAYOUT, -amount_fen),
                        Line(in_transit(), EntryKind.PAYOUT, amount_fen),
                    ])
    return payout


def _payout_move(payout_id: int, to: str, **fields) -> Payout:
    if not Payout.objects.filter(pk=payout_id, status=Payout.Status.PENDING).update(
            status=to, **fields):
        raise InvalidState("Only a payout that is still being sent can be marked.")
    return Payout.objects.select_related("account").get(pk=payout_id)


def payout_mark_paid(*, payout_id: int, reference: str) -> Payout:
    """The transfer went through: `reference` is the bank's or provider's."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationFailed({"reference": "The transfer's reference is required."})
    with transaction.atomic():
        payout = _payout_move(payout_id, Payout.Status.PAID, reference=reference[:128],
                              paid_at=timezone.now())
        _post(key=f"payout_paid:{payout.pk}", kind=TxnKind.PAYOUT_PAID,
                    memo=f"提现 {payout.pk} 已打款 {reference}"[:255], lines=[
                        Line(in_transit(), EntryKind.PAYOUT, -payout.amount_fen),
                        Line(clearing(), EntryKind.PAYOUT, payout.amount_fen),
                    ])
        user_id = _holder_user_id(payout.account)
        if user_id is not None:
            notify(user_id=user_id, event="payout_paid", key=f"payout:{payout.pk}",
                   title=f"{yuan(payout.amount_fen)} 元已打款",
                   body=f"您申请的 {yuan(payout.amount_fen)} 元已打款，流水号 {reference}。",
                   data={"payout_id": payout.pk, "amount": str(yuan(payout.amount_fen)),
                         "currency": "CNY", "reference": reference[:128]})
    return payout


def _holder_user_id(account: Account) -> int | None:
    """The person behind a farm's or a promoter's account (a project has none)."""
    model = {Account.Kind.FARM: Producer, Account.Kind.PROMOTER: Promoter}.get(account.kind)
    if model is None:
        return None
    return model.objects.filter(pk=account.holder_id).values_list("user_id", flat=True).first()


def payout_mark_failed(*, payout_id: int, reason: str = "") -> Payout:
    """The transfer failed: the money is available again."""
    with transaction.atomic():
        payout = _payout_move(payout_id, Payout.Status.FAILED,
                              failure_reason=(reason or "").strip()[:255],
                              failed_at=timezone.now())
        _post(key=f"payout_failed:{payout.pk}", kind=TxnKind.PAYOUT_FAILED,
                    memo=f"提现 {payout.pk} 打款失败，退回可提现余额", lines=[
                        Line(in_transit(), EntryKind.PAYOUT, -payout.amount_fen),
                        Line(payout.account, EntryKind.PAYOUT, payout.amount_fen),
                    ])
    return payout


# --- Weekly statements --------------------------------------------------------------------------

STATEMENT_COLUMNS = {
    EntryKind.SALE: "sales_fen",
    EntryKind.SHIPPING: "shipping_fen",
    EntryKind.PLATFORM_FEE: "platform_fees_fen",
    EntryKind.COMMISSION: "commissions_fen",
    EntryKind.BENEFIT_PLEDGE: "benefit_pledges_fen",
    EntryKind.REFUND: "refunds_fen",
    EntryKind.PAYOUT: "payouts_fen",
    EntryKind.ADJUSTMENT: "adjustments_fen",
}


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _boundary(day: date) -> datetime:
    """Midnight at the start of `day`, Asia/Shanghai."""
    return datetime.combine(day, time(0), tzinfo=STATEMENT_ZONE)


def _last_seq_before(moment: datetime) -> int:
    """The last entry posted before `moment`. Read under the ledger's lock after `moment`:
    every entry up to it has committed, and every later one is posted after `moment`."""
    with transaction.atomic():
        posting.lock()
        return Entry.objects.filter(created_at__lt=moment).aggregate(
            last=Max("seq"))["last"] or 0


def statements_close(*, now: datetime | None = None) -> int:
    """Close every farm's weeks that have ended and have no statement yet (the Monday task;
    it catches up on weeks missed). Returns the number of statements written."""
    now = now or timezone.now()
    this_week = week_start(now.astimezone(STATEMENT_ZONE).date())
    farms = (Account.objects.filter(kind=Kind.FARM).order_by("holder_id")
             .values_list("holder_id", flat=True).distinct())
    cutoffs: dict[date, int] = {}
    written = 0
    for producer_id in farms:
        last = Statement.objects.filter(producer_id=producer_id).order_by("-period_start").first()
        if last is None:  # the farm's first week: the week of its first entry
            first = Entry.objects.filter(account__kind=Kind.FARM,
                                         account__holder_id=producer_id).aggregate(
                first=Min("created_at"))["first"]
            if first is None:
                continue
        start = (last.period_end + timedelta(days=1) if last
                 else week_start(first.astimezone(STATEMENT_ZONE).date()))
        opening = last.closing_fen if last else 0
        first_seq = last.last_seq + 1 if last else 1
        while start < this_week:
            end = start + timedelta(days=6)
            if end not in cutoffs:
                cutoffs[end] = _last_seq_before(_boundary(end + timedelta(days=1)))
            statement = _statement_write(producer_id, start, end, first_seq, cutoffs[end],
                                         opening, now)
            written += 1
            opening, first_seq = statement.closing_fen, statement.last_seq + 1
            start = end + timedelta(days=1)
    return written


def _statement_write(producer_id: int, start: date, end: date, first_seq: int, last_seq: int,
                     opening: int, now: datetime) -> Statement:
    last_seq = max(last_seq, first_seq - 1)
    sums = dict(
        Entry.objects.filter(account__kind=Kind.FARM, account__holder_id=producer_id,
                             seq__gte=first_seq, seq__lte=last_seq)
        .exclude(kind=EntryKind.RELEASE)
        .values("kind").annotate(total=Sum("amount_fen")).values_list("kind", "total")
    )
    columns = {column: sums.get(kind, 0) for kind, column in STATEMENT_COLUMNS.items()}
    closing = opening + sum(columns.values())
    with transaction.atomic():
        statement, created = Statement.objects.get_or_create(
            producer_id=producer_id, period_start=start,
            defaults={"period_end": end, "first_seq": first_seq, "last_seq": last_seq,
                      "opening_fen": opening, "closing_fen": closing, "closed_at": now,
                      **columns},
        )
        user_id = Producer.objects.filter(pk=producer_id).values_list("user_id", flat=True).first()
        if created and user_id is not None:
            notify(user_id=user_id, event="statement_ready", key=f"statement:{statement.pk}",
                   title=f"{start:%m月%d日}–{end:%m月%d日} 结算单已生成",
                   body=(f"{start:%Y年%m月%d日}至{end:%m月%d日}的结算单已生成：期初 "
                         f"{yuan(opening)} 元，期末 {yuan(closing)} 元。"),
                   data={"statement_id": statement.pk, "period_start": start.isoformat(),
                         "period_end": end.isoformat(), "closing": str(yuan(closing)),
                         "currency": "CNY"})
    return statement
