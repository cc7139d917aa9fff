"""Every read of claims a handler needs: one claim or a page of them, each shaped once (lines,
evidence, timeline, refund) in a constant number of queries."""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from accounts.models import User
from claims.filters import ClaimFilter
from claims.models import Claim, ClaimEvent, ClaimLine, Evidence
from marketplace.errors import NotFound, PermissionDenied
from marketplace.filtering import filtered
from marketplace.pagination import Page, PageParams, paginate
from marketplace.periods import period_bounds
from marketplace.schemas import CURRENCY
from orders.models import Shipment
from producers.models import Producer

BUYER, FARM = "buyer", "farm"


def _claims() -> QuerySet[Claim]:
    return Claim.objects.select_related("refund").prefetch_related(
        Prefetch("lines", queryset=ClaimLine.objects.select_related("line").order_by("id")),
        Prefetch("events", queryset=ClaimEvent.objects.order_by("created_at", "id")),
        # the parcel's packing evidence shows with every claim on it
        Prefetch("shipment__evidence", queryset=Evidence.objects.order_by("id"),
                 to_attr="all_evidence"),
    )


def _shape(claims: list[Claim]) -> list[Claim]:
    for claim in claims:
        claim.shown_evidence = [item for item in claim.shipment.all_evidence
                                if item.claim_id in (None, claim.pk)]
    return claims


def claim_get(*, user: User, claim_id: int) -> Claim:
    """The claim for its buyer or its farm; anyone else 404."""
    claim = _claims().filter(pk=claim_id).first()
    if claim is None or user.pk not in (claim.buyer_id, _farm_user_id(claim.producer_id)):
        raise NotFound("No such claim.", code="claim_not_found")
    return _shape([claim])[0]


def _farm_user_id(producer_id: int) -> int | None:
    return Producer.objects.filter(pk=producer_id).values_list("user_id", flat=True).first()


def claim_list(*, user: User, role: str, filters: dict, params: PageParams) -> Page:
    """The caller's claims as the buyer, or (role=farm) the claims on its parcels; newest
    first. role=farm without a producer profile -> 403 producer_required."""
    if role == FARM:
        producer_id = Producer.objects.filter(user=user).values_list("pk", flat=True).first()
        if producer_id is None:
            raise PermissionDenied("You have no producer profile.", code="producer_required")
        base = _claims().filter(producer_id=producer_id)
    else:
        base = _claims().filter(buyer=user)
    page = paginate(filtered(ClaimFilter, filters, base), params,
                    ordering=["-created_at", "-id"], scope=f"claims:{role}")
    _shape(page.items)
    return page


def shipment_held(*, shipment_id: int) -> bool:
    """Whether a claim on the parcel is going on (its money must not be released, its
    commission not settle, its pledge not confirm): any claim not yet over, accepted ones
    waiting for their refund included."""
    return Claim.objects.filter(shipment_id=shipment_id, active=True).exists()


REPORT_HEADER = ["申请时间", "订单号", "包裹编号", "商家", "类型", "状态", "申请金额",
                 "商家方案金额", "最终金额", "币种", "快递责任", "处理截止", "商家处理时间",
                 "退款状态", "需人工审核"]
_KINDS = dict(Claim.Kind.choices)
_STATUSES = dict(Claim.Status.choices)
_REFUND_STATUSES = {"pending": "退款中", "succeeded": "已退款", "failed": "退款失败"}


def report_rows(*, producer_id: int | None, start, end, chunk: int = 2000):
    """The claims opened in the period (a farm's parcels, or every farm's for staff: None),
    oldest first, for the `claims` report: (count, rows). Nothing about the buyer."""
    since, until = period_bounds(start, end)
    claims = Claim.objects.filter(created_at__gte=since, created_at__lt=until)
    if producer_id is not None:
        claims = claims.filter(producer_id=producer_id)
    values = claims.order_by("created_at", "id").values_list(
        "created_at", "order__number", "shipment_id", "producer__name", "kind", "status",
        "amount", "proposed_amount", "decided_amount", "courier_liable", "respond_by",
        "answered_at", "refund__status", "staff_reasons")

    def rows():
        for (created_at, number, shipment_id, farm, kind, status, amount, proposed, decided,
             courier, respond_by, answered_at, refund_status,
             reasons) in values.iterator(chunk_size=chunk):
            yield (created_at, number, shipment_id, farm, _KINDS.get(kind),
                   _STATUSES.get(status), amount, proposed, decided, CURRENCY,
                   "是" if courier else "否", respond_by,
                   answered_at, _REFUND_STATUSES.get(refund_status, ""),
                   "是" if reasons else "否")

    return claims.count(), rows()


# --- The public record (the trace page, /l/{id}, the farm's profile) -----------------------

SHIPPED = ["shipped", "delivered"]


HOUR_US = 3600 * 1_000_000


def median_hours(waits_us: list[int]) -> Decimal | None:
    """The median of waits in microseconds, in hours to a tenth (half up); None for none.
    Exact (integers and decimals), so every reader of the record gets the same digits."""
    if not waits_us:
        return None
    waits, middle = sorted(waits_us), len(waits_us) // 2
    mid = (Decimal(waits[middle]) if len(waits) % 2
           else (Decimal(waits[middle - 1]) + Decimal(waits[middle])) / 2)
    return (mid / HOUR_US).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _record(shipments) -> dict:
    """shipped, claimed, refunded parcels and the median hours the farm took to answer, of
    the parcels in `shipments` (a queryset of shipments), in two queries. Withdrawn claims do
    not count; a claim the farm let lapse counts as answered at its deadline."""
    shipped = shipments.filter(status__in=SHIPPED)
    claimed, refunded, waits = set(), set(), []
    for shipment_id, status, created_at, answered_at, respond_by in (
            Claim.objects.filter(shipment__in=shipped.values("pk"))
            .exclude(status=Claim.Status.WITHDRAWN)
            .values_list("shipment_id", "status", "created_at", "answered_at", "respond_by")):
        claimed.add(shipment_id)
        if status == Claim.Status.REFUNDED:
            refunded.add(shipment_id)
        if answered_at is not None:
            waits.append((answered_at - created_at) // timedelta(microseconds=1))
        elif status != Claim.Status.OPEN:
            waits.append((respond_by - created_at) // timedelta(microseconds=1))
    return {"shipped": shipped.count(), "claimed": len(claimed), "refunded": len(refunded),
            "median_hours_to_answer": median_hours(waits)}


def farm_record(*, producer_id: int) -> dict:
    """A farm's claim record, all time, bad numbers included."""
    return _record(Shipment.objects.filter(producer_id=producer_id))


def lot_record(*, batch_id: int) -> dict:
    """The claim record of the parcels that carried a harvest lot."""
    return _record(Shipment.objects.filter(lines__lots__batch_id=batch_id).distinct())


def farm_claim_rate_90d(*, producer_id: int, now=None) -> Decimal | None:
    """Of the farm's parcels shipped in the last 90 days, the share with a claim (withdrawn
    ones aside), to the percent's tenth; None when it shipped nothing."""
    now = now or timezone.now()
    shipped = Shipment.objects.filter(producer_id=producer_id, status__in=SHIPPED,
                                      shipped_at__gte=now - timedelta(days=90))
    total = shipped.count()
    if not total:
        return None
    claimed = (Claim.objects.filter(shipment__in=shipped.values("pk"))
               .exclude(status=Claim.Status.WITHDRAWN).values("shipment_id").distinct().count())
    return (Decimal(claimed * 100) / total).quantize(Decimal("0.1"))
