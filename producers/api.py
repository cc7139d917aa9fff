from functools import wraps
from typing import Annotated

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Path, Query, Router, Status, UploadedFile
from ninja.decorators import decorate_view

from accounts.auth import bearer
from accounts.throttling import account_throttle
from freight.schemas import FreightTemplateIn, FreightTemplateOut
from marketplace.errors import PayloadTooLarge, domain_error_response
from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import TEXT, PathId
from producers import selectors, services
from producers.schemas import (
    BatchIn,
    BatchOut,
    CategoryOut,
    ImageOut,
    MemberIn,
    MemberOut,
    MemberPatch,
    ProducerIn,
    ProducerOut,
    ProducerOwnOut,
    ProducerQuery,
    RegionOut,
    RegionQuery,
)

router = Router(tags=["producers"])

# Room for the multipart boundaries and headers around the photo itself.
MULTIPART_OVERHEAD = 64 * 1024


def refuse_oversized_body(run):
    """A 413 before the body is read when its Content-Length already says the photo is over
    LISTING_IMAGE_MAX_BYTES: a 2 GB upload is never spooled to disk."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.LISTING_IMAGE_MAX_BYTES
        if length > limit + MULTIPART_OVERHEAD:
            return domain_error_response(PayloadTooLarge(
                f"The upload is {length:,} bytes; a photo may have at most {limit:,} bytes.",
                code="image_too_large", details={"size": length, "max_bytes": limit},
            ))
        return run(request, *args, **kwargs)

    return wrapper


# --- Places and kinds --------------------------------------------------------------------------

@router.get("/regions", response=list[RegionOut])
def region_list(request: HttpRequest, query: Query[RegionQuery]):
    """Regions one level below `parent` (no parent: the provinces), each with its official code and
    full path."""
    return selectors.region_children(parent_id=query.parent)


@router.get("/regions/{region_id}", response=RegionOut)
def region_detail(request: HttpRequest, region_id: PathId):
    """One region, with its official code and full path."""
    return selectors.region_get(region_id=region_id)


@router.get("/categories", response=list[CategoryOut])
def category_list(request: HttpRequest):
    """Every kind of goods, with its parent for sub-categories."""
    return selectors.category_list()


# --- Producers ---------------------------------------------------------------------------------

@router.post("/producers", response={201: ProducerOwnOut}, auth=bearer)
def producer_create(request: HttpRequest, payload: ProducerIn):
    """Make the caller a producer (a farmer or a cooperative). One per account: a second is 409
    `producer_exists`."""
    producer = services.producer_create(user=request.auth, **payload.dict())
    return Status(201, selectors.producer_get(producer_id=producer.pk))


@router.get("/producers", response=page_schema(ProducerOut))
def producer_list(request: HttpRequest, filters: Query[ProducerQuery], page: Query[PageParams]):
    """Farms and cooperatives, filtered by region (and everywhere under it), kind or a search; a
    cursor page."""
    result = selectors.producer_list(filters=filters.dict(), params=page)
    return {"items": result.items, "next_cursor": result.next_cursor}


# GET and PATCH /producers/{producer_id} are storefront's: the public profile carries the
# farm's claim rate, which producers, below claims, may not read.


# --- A cooperative's members ------------------------------------------------------------------

def _cooperative(request: HttpRequest):
    """The caller's producer profile if it is a cooperative: 403 `producer_required` without
    one, 403 `cooperative_required` for a farmer."""
    producer = selectors.producer_for_user(request.auth)
    services.cooperative_check(producer)
    return producer


@router.post("/producers/me/members", response={201: MemberOut}, auth=bearer)
def member_create(request: HttpRequest, payload: MemberIn):
    """A cooperative records a member family. A farmer: 403 `cooperative_required`."""
    member = services.member_create(producer=_cooperative(request), **payload.dict())
    return Status(201, selectors.member_owned(producer=member.producer, member_id=member.pk))


@router.get("/producers/me/members", response=page_schema(MemberOut), auth=bearer)
def member_list(request: HttpRequest, params: Query[PageParams]):
    """The cooperative's members (active or not), oldest first; a cursor page."""
    page = selectors.member_list(producer=_cooperative(request), params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.patch("/producers/me/members/{member_id}", response=MemberOut, auth=bearer)
def member_update(request: HttpRequest, member_id: PathId, payload: MemberPatch):
    """Change a member (only the fields sent); `active: false` stops new lots naming it.
    Another cooperative's member: 404."""
    producer = _cooperative(request)
    member = selectors.member_owned(producer=producer, member_id=member_id)
    services.member_update(member=member, **payload.dict(exclude_unset=True))
    return selectors.member_owned(producer=producer, member_id=member_id)


@router.delete("/producers/me/members/{member_id}", response={204: None}, auth=bearer)
def member_remove(request: HttpRequest, member_id: PathId):
    """Remove a member. One that lots name (its sales stay its own) is made inactive instead of
    deleted; GET still lists it with `active: false`."""
    member = selectors.member_owned(producer=_cooperative(request), member_id=member_id)
    services.member_remove(member=member)
    return Status(204, None)


# --- Freight templates -------------------------------------------------------------------------

TemplateName = Annotated[str, Path(min_length=1, max_length=64, pattern=TEXT,
                                   description="The template's name, the farm's own.")]


@router.get("/producers/me/freight-templates", response=page_schema(FreightTemplateOut),
            auth=bearer)
def freight_template_list(request: HttpRequest, params: Query[PageParams]):
    """The caller's freight templates, by name; a cursor page."""
    page = selectors.freight_template_list(producer=selectors.producer_for_user(request.auth),
                                           params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/producers/me/freight-templates/{name}", response=FreightTemplateOut, auth=bearer)
def freight_template_detail(request: HttpRequest, name: TemplateName):
    """One of the caller's freight templates; a name the farm has none of: 404."""
    return selectors.freight_template_get(producer=selectors.producer_for_user(request.auth),
                                          name=name)


@router.put("/producers/me/freight-templates/{name}",
            response={200: FreightTemplateOut, 201: FreightTemplateOut}, auth=bearer)
@idempotent(FreightTemplateOut, status=200)
def freight_template_put(request: HttpRequest, name: TemplateName,
                         payload: FreightTemplateIn):
    """Save a freight template whole: 201 when it is new, 200 when it replaced the one of
    this name (its listings are priced by the new rules from now on). Fees are yuan strings;
    `units` are kilograms for `weight`, pieces for `piece`; regions are ids (a province or
    below). The rule of the most specific region holds (village, township, county,
    prefecture, province, then the default rule). Bad input is 422: a negative fee, zero
    units, an unknown region or one named twice, a rule inside a region not served,
    `no_ship` that is the whole country, no default rule while some region has no rule."""
    producer = selectors.producer_for_user(request.auth)
    template, created = services.freight_template_put(producer=producer, name=name,
                                                      **payload.dict())
    return Status(201 if created else 200,
                  selectors.freight_template_get(producer=producer, name=template.name))


@router.delete("/producers/me/freight-templates/{name}", response={204: None}, auth=bearer)
def freight_template_delete(request: HttpRequest, name: TemplateName):
    """Delete a freight template no listing names; one in use: 409 `freight_template_in_use`
    with the listings' ids."""
    services.freight_template_delete(producer=selectors.producer_for_user(request.auth),
                                     name=name)
    return Status(204, None)


# --- Listings ----------------------------------------------------------------------------------

@router.post("/listings/{listing_id}/images", response={201: ImageOut}, auth=bearer,
             throttle=account_throttle("IMAGE_UPLOAD_THROTTLE_RATE", "listing-image"))
@decorate_view(refuse_oversized_body)
@idempotent(ImageOut, status=201)
def listing_image_add(request: HttpRequest, listing_id: PathId, file: File[UploadedFile]):
    """A JPEG, PNG or WebP photo (multipart field `file`). EXIF (and so GPS) is removed;
    thumbnails are made in the background (`status`: processing -> ready | failed)."""
    listing = selectors.listing_owned(user=request.auth, listing_id=listing_id)
    image = services.listing_image_add(listing=listing, file=file, size=file.size)
    return Status(201, image)


@router.post("/listings/{listing_id}/batches", response={201: BatchOut}, auth=bearer)
@idempotent(BatchOut, status=201)
def batch_create(request: HttpRequest, listing_id: PathId, payload: BatchIn):
    """Record a harvest lot of the owner's listing; it gets a trace code, a trace page and a QR
    label."""
    listing = selectors.listing_owned(user=request.auth, listing_id=listing_id)
    batch = services.batch_create(listing=listing, **payload.dict())
    return Status(201, batch)
