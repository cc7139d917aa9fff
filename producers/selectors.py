from typing import Any

from django.conf import settings
from django.db.models import Prefetch, QuerySet

from accounts.models import User
from marketplace.errors import NotFound, PermissionDenied, ValidationFailed
from marketplace.filtering import filtered
from marketplace.pagination import Page, PageParams, paginate
from producers.filters import ListingFilter, ProducerFilter
from producers.models import Batch, Category, Listing, ListingImage, Producer, Region
from producers.tracecodes import could_be_trace_code
from promotion.selectors import (
    listing_video_count,
    origin_videos_of_batch,
    origin_videos_of_listing,
)

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


# --- Producers -------------------------------------------------------------------------------

def producer_queryset() -> QuerySet[Producer]:
    return Producer.objects.select_related("region")


def producer_list(*, filters: dict[str, Any], params: PageParams) -> Page:
    queryset = filtered(ProducerFilter, filters, producer_queryset())
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

def listing_card_queryset() -> QuerySet[Listing]:
    """Listings shaped for the catalog card: a constant number of queries whatever the page
    size."""
    return (
        Listing.objects.select_related("producer__region", "category", "origin_region")
        .prefetch_related(
            Prefetch("images", queryset=ListingImage.objects.order_by("position", "id")),
        )
        .annotate(video_count=listing_video_count())
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
    queryset = filtered(ListingFilter, filters, queryset)
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
        "videos": origin_videos_of_batch(batch=batch),
        "photo": listing.images.filter(status=ListingImage.Status.READY)
        .order_by("position", "id").first(),
        "scans": batch.scans,
        "first_scanned_at": batch.first_scanned_at,
        "label_warning": trace_label_warning(batch),
    }


def images_stuck(*, older_than) -> list[int]:
    """Photos still waiting for their thumbnails (uploaded before `older_than`): the sweeper
    re-enqueues them."""
    return list(ListingImage.objects.filter(
        status=ListingImage.Status.PROCESSING, created_at__lt=older_than,
    ).order_by("id").values_list("id", flat=True)[:500])


def listing_page(*, listing_id: int) -> dict[str, Any]:
    """What the page for people at /l/{id} shows of an active listing (a draft or archived one
    is not found): its photos, price, farm and story, and the farm's own videos."""
    listing = (Listing.objects.select_related("producer__region", "origin_region", "category")
               .filter(pk=listing_id, status=Listing.Status.ACTIVE).first())
    if listing is None:
        raise NotFound("No such listing.", code="listing_not_found")
    return {
        "listing": listing,
        "producer": listing.producer,
        "origin_region": listing.origin_region or listing.producer.region,
        "photos": list(listing.images.filter(status=ListingImage.Status.READY)
                       .order_by("position", "id")[:9]),
        "videos": origin_videos_of_listing(listing_id=listing.pk),
        "app_url": settings.APP_LINK_URL.format(listing_id=listing.pk),
    }
