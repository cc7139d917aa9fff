from typing import Any

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from accounts.models import User
from marketplace.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.pagination import Page, PageParams, paginate
from producers.filters import ListingFilter, ProducerFilter
from producers.models import Batch, Category, Listing, ListingImage, Producer, Region
from producers.tracecodes import could_be_trace_code
from promotion.models import Link, Video

# `ordering` values of GET /listings -> keyset ordering (always ending in the primary key).
LISTING_ORDERINGS = {
    "price": ["price", "id"],
    "-price": ["-price", "-id"],
    "-created": ["-created_at", "-id"],
    "-sales": ["-sales", "-id"],
}


def region_children(*, parent_id: int | None) -> QuerySet[Region]:
    if parent_id is not None and not Region.objects.filter(pk=parent_id).exists():
        raise NotFound("No such region.", code="region_not_found")
    return Region.objects.filter(parent_id=parent_id).order_by("code")


def region_get(*, region_id: int) -> Region:
    region = Region.objects.filter(pk=region_id).first()
    if region is None:
        raise NotFound("No such region.", code="region_not_found")
    return region


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("position", "id")


def _apply(filterset_class, data: dict[str, Any], queryset: QuerySet) -> QuerySet:
    filterset = filterset_class(data={k: v for k, v in data.items() if v is not None},
                                queryset=queryset)
    if not filterset.is_valid():
        raise ValidationFailed({field: " ".join(messages)
                                for field, messages in filterset.errors.items()})
    return filterset.qs


# --- Producers -------------------------------------------------------------------------------

def producer_queryset() -> QuerySet[Producer]:
    return Producer.objects.select_related("region")


def producer_list(*, filters: dict[str, Any], params: PageParams) -> Page:
    queryset = _apply(ProducerFilter, filters, producer_queryset())
    return paginate(queryset, params, ordering=["id"])


def producer_get(*, producer_id: int) -> Producer:
    producer = producer_queryset().filter(pk=producer_id).first()
    if producer is None:
        raise NotFound("No such producer.", code="producer_not_found")
    return producer


def producer_for_user(user: User) -> Producer:
    """The caller's producer profile, or 403 `producer_required`."""
    producer = Producer.objects.select_related("region").filter(user=user).first()
    if producer is None:
        raise PermissionDenied(
            "Create a producer profile first (POST /producers).", code="producer_required"
        )
    return producer


def producer_owned(*, user: User, producer_id: int) -> Producer:
    """The producer `producer_id` if `user` owns it; anyone else gets a 404."""
    producer = Producer.objects.filter(pk=producer_id, user=user).first()
    if producer is None:
        raise NotFound("No such producer of yours.", code="producer_not_found")
    return producer


# --- Listings --------------------------------------------------------------------------------

def _video_count() -> Subquery:
    """Distinct videos, not failed, linked to the listing or to one of its harvest lots.

    Two indexed look-ups (links by listing, links by the listing's lots), not one join with an
    OR across it: PostgreSQL cannot use an index for that OR and scanned every link and every
    lot for each row of a page (`make bench`: 20 -> 94 ms a catalog page from 10,000 to 100,000
    listings)."""
    to_listing = Link.objects.filter(listing=OuterRef(OuterRef("pk"))).values("video_id")
    to_lots = Link.objects.filter(batch__listing=OuterRef(OuterRef("pk"))).values("video_id")
    videos = (
        Video.objects.filter(Q(pk__in=to_listing) | Q(pk__in=to_lots))
        .exclude(status=Video.Status.FAILED)
        .order_by()
        .annotate(all=Value(1))
        .values("all")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(videos, output_field=IntegerField()), 0)


def listing_card_queryset() -> QuerySet[Listing]:
    """Listings shaped for the catalog card: a constant number of queries whatever the page
    size."""
    return (
        Listing.objects.select_related("producer__region", "category", "origin_region")
        .prefetch_related(
            Prefetch("images", queryset=ListingImage.objects.order_by("position", "id")),
        )
        .annotate(video_count=_video_count())
    )


CARD_DEFERRED = (
    "description", "story", "growing_method", "search_text", "producer__story",
    "producer__search_text", "producer__phone",
)


def listing_queryset() -> QuerySet[Listing]:
    """Listings shaped for the full output, with their harvest lots."""
    return listing_card_queryset().prefetch_related(
        Prefetch("batches", queryset=Batch.objects.order_by("-harvested_on", "-id")),
    )


def listing_catalog(*, filters: dict[str, Any], ordering: str, params: PageParams) -> Page:
    """GET /listings: active listings, filtered, one keyset page."""
    low, high = filters.get("min_price"), filters.get("max_price")
    if low is not None and high is not None and low > high:
        raise ValidationFailed({"max_price": "max_price is below min_price."})
    # the card shows none of the long texts: they are not read either
    queryset = listing_card_queryset().filter(status=Listing.Status.ACTIVE).defer(*CARD_DEFERRED)
    queryset = _apply(ListingFilter, filters, queryset)
    return paginate(queryset, params, ordering=LISTING_ORDERINGS[ordering])


def listing_get(*, listing_id: int, viewer: User | None) -> Listing:
    """An active listing for anyone; a draft or archived one only for its owner."""
    listing = listing_queryset().filter(pk=listing_id).first()
    visible = listing is not None and (
        listing.status == Listing.Status.ACTIVE
        or (viewer is not None and listing.producer.user_id == viewer.pk)
    )
    if not visible:
        raise NotFound("No such listing.", code="listing_not_found")
    return listing


def listing_get_output(*, listing_id: int) -> Listing:
    """A listing just written by its owner, shaped like GET /listings/{id}."""
    return listing_queryset().get(pk=listing_id)


def listing_owned(*, user: User, listing_id: int) -> Listing:
    """The listing `listing_id` if `user`'s producer owns it; anyone else gets a 404."""
    queryset = Listing.objects.select_related("producer__region", "category", "origin_region")
    listing = queryset.filter(pk=listing_id, producer__user=user).first()
    if listing is None:
        raise NotFound("No such listing of yours.", code="listing_not_found")
    return listing


# --- Harvest lots and trace codes -------------------------------------------------------------

def trace_batch(*, trace_code: str) -> Batch:
    if not could_be_trace_code(trace_code):
        raise NotFound("No harvest lot has this trace code.", code="trace_code_not_found")
    batch = (
        Batch.objects.select_related(
            "listing__producer__region", "listing__origin_region", "listing__category"
        )
        .filter(trace_code=trace_code)
        .first()
    )
    if batch is None:
        raise NotFound("No harvest lot has this trace code.", code="trace_code_not_found")
    return batch


def trace_videos(*, batch: Batch) -> list[Video]:
    """The farm's own footage: origin videos linked to this lot, or linked to its listing by
    the producer; never failed ones."""
    producer_user_id = batch.listing.producer.user_id
    return list(
        Video.objects.filter(kind=Video.Kind.ORIGIN)
        .exclude(status=Video.Status.FAILED)
        .filter(Q(links__batch=batch) | Q(links__listing_id=batch.listing_id,
                                          owner_id=producer_user_id))
        .distinct()
        .order_by("-created_at", "-id")[:20]
    )


def trace_label_warning(batch: Batch) -> bool:
    return batch.scans > settings.TRACE_SCAN_WARNING_THRESHOLD


def trace_view(*, trace_code: str) -> dict[str, Any]:
    """Everything the trace JSON and the trace page show about one harvest lot."""
    batch = trace_batch(trace_code=trace_code)
    listing = batch.listing
    return {
        "batch": batch,
        "listing": listing,
        "producer": listing.producer,
        "origin_region": listing.origin_region or listing.producer.region,
        "videos": trace_videos(batch=batch),
        "photo": listing.images.filter(status=ListingImage.Status.READY)
        .order_by("position", "id").first(),
        "scans": batch.scans,
        "first_scanned_at": batch.first_scanned_at,
        "label_warning": trace_label_warning(batch),
    }
