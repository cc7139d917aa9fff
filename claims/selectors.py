"""Every read of claims a handler needs: one claim or a page of them, each shaped once (lines,
evidence, timeline, refund) in a constant number of queries."""

from django.db.models import Prefetch, QuerySet

from accounts.models import User
from claims.filters import ClaimFilter
from claims.models import Claim, ClaimEvent, ClaimLine, Evidence
from marketplace.errors import NotFound, PermissionDenied
from marketplace.filtering import filtered
from marketplace.pagination import Page, PageParams, paginate
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
