"""Every read of the farm's own side: places and kinds, producers, the owner's listings, freight
templates, photos waiting for thumbnails and a cooperative's members. What the public sees of
a listing (cards, the catalog, the listing's and the trace's pages) is `storefront`'s."""

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet

from accounts.models import User
from freight import selectors as freight_selectors
from marketplace.errors import NotFound, PermissionDenied
from marketplace.filtering import filtered
from marketplace.pagination import Page, PageParams, paginate
from marketplace.retry import is_transient_failure
from marketplace.schemas import MAX_ID
from outbox.models import Intent
from outbox.services import last_intents
from producers.filters import ProducerFilter
from producers.models import Category, Listing, ListingImage, Member, Producer, Region
from producers.regions import FreightRegionBook


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
    # `verification`: the certificates app's row of the farm (a reverse one-to-one), shown on
    # the producer without a query of its own
    return Producer.objects.select_related("region", "verification")


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

def listing_owned(*, user: User, listing_id: int) -> Listing:
    """The listing `listing_id` if `user`'s producer owns it; anyone else gets a 404."""
    queryset = Listing.objects.select_related("producer__region", "category", "origin_region")
    listing = queryset.filter(pk=listing_id, producer__user=user).first()
    if listing is None:
        raise NotFound("No such listing of yours.", code="listing_not_found")
    return listing


# --- Freight templates -----------------------------------------------------------------------

def _template_views(templates: list) -> list[dict[str, Any]]:
    """Templates as FreightTemplateOut, the regions of all of them read in one query."""
    ids = set().union(*(freight_selectors.region_ids(t.document) for t in templates))
    areas = FreightRegionBook().find(ids) if ids else {}
    return [freight_selectors.template_view(template, areas) for template in templates]


def freight_template_list(*, producer: Producer, params: PageParams) -> Page:
    """The farm's freight templates by name; a cursor page (two queries for any size)."""
    page = paginate(freight_selectors.templates_of(producer_id=producer.pk), params,
                    ordering=["name", "id"])
    page.items = _template_views(page.items)
    return page


def freight_template_get(*, producer: Producer, name: str) -> dict[str, Any]:
    template = freight_selectors.template_of(producer_id=producer.pk, name=name)
    return _template_views([template])[0]


# --- Photos ----------------------------------------------------------------------------------

THUMBNAILS_TASK = "producers.tasks.make_listing_image_thumbnails"
# A photo failed for a transient cause is taken back to work by the sweeper for this long after
# its upload; past it, staff re-process it in the admin.
RETAKE_FAILED_FOR = timedelta(days=7)


def images_failed_transiently(*, older_than) -> list[int]:
    """Photos `failed` because their task's last try met a transient error (storage full or
    unwritable, the database away) longer than its retries lasted, before `older_than`, and
    uploaded within RETAKE_FAILED_FOR: the cause may be gone. Not those that cannot be read,
    ran past their time limit or hit a bug."""
    candidates = list(ListingImage.objects.filter(
        status=ListingImage.Status.FAILED, created_at__gte=older_than - RETAKE_FAILED_FOR,
    ).order_by("-id").values_list("id", flat=True)[:500])
    return sorted(
        pk for pk, intent in last_intents(THUMBNAILS_TASK, candidates).items()
        if intent.status == Intent.Status.FAILED and intent.finished_at is not None
        and intent.finished_at < older_than and is_transient_failure(intent.error))


def images_stuck(*, older_than) -> list[int]:
    """Photos still waiting for their thumbnails (uploaded before `older_than`): the sweeper
    re-enqueues them."""
    return list(ListingImage.objects.filter(
        status=ListingImage.Status.PROCESSING, created_at__lt=older_than,
    ).order_by("id").values_list("id", flat=True)[:500])


# --- Cooperatives' members -------------------------------------------------------------------

def member_list(*, producer: Producer, params: PageParams) -> Page:
    """The cooperative's members, oldest first (one query a page)."""
    return paginate(Member.objects.filter(producer=producer).select_related("region"), params,
                    ordering=["id"])


def member_owned(*, producer: Producer, member_id: int) -> Member:
    """The cooperative's own member; anyone else's is not there (404)."""
    member = (Member.objects.select_related("region")
              .filter(pk=member_id, producer=producer).first() if 0 < member_id <= MAX_ID
              else None)
    if member is None:
        raise NotFound("No such member of your cooperative.", code="member_not_found")
    return member
