"""The routes that answer with what the public sees of a listing, a harvest lot or a farm: the
catalog, a listing's detail (also the answer to the farm's writes of a listing and of its
pledge, which the farm's and benefit's services make), the trace JSON and a farm's profile
(with its claim rate, which producers may not read). ninja serves one path from one router,
so every method of /listings, /listings/{id}, /listings/{id}/benefit and /producers/{id} is
here; each operation keeps the section clients' generated code knows it by (its `tags`)."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.auth import bearer, caller, optional_bearer
from benefit import services as benefit_services
from benefit.schemas import ListingPledgeIn
from checkout import services as checkout_services
from marketplace import microcache
from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema
from marketplace.renderers import dumps, json_response
from marketplace.schemas import PathId
from producers import selectors as producer_selectors
from producers import services as producer_services
from producers.schemas import ListingIn, ListingPatch, ProducerOwnOut, ProducerPatch
from storefront import selectors
from storefront.schemas import (
    ListingCardOut,
    ListingDetailQuery,
    ListingOut,
    ListingQuery,
    ProducerProfileOut,
    TraceOut,
)
from storefront.trace import etag as trace_etag
from storefront.trace import trace_json
from storefront.views import count_look

router = Router()
# the sections these operations had when they were producers' and benefit's routes
FARM, BENEFIT = ["producers"], ["benefit"]


# --- Listings ----------------------------------------------------------------------------------

@router.get("/listings", response=page_schema(ListingCardOut, "ListingPage"), tags=FARM)
def listing_list(request: HttpRequest, filters: Query[ListingQuery], page: Query[PageParams]):
    """The catalog: active listings as cards, filtered (region, category, producer, price, stock,
    promotable, search) and ordered; a cursor page."""
    values = filters.dict()
    key = microcache.normalised_key(
        "listings", request.path, {**values, "limit": page.limit, "cursor": page.cursor})
    ordering = values.pop("ordering")

    def build() -> bytes:
        result = selectors.listing_catalog(filters=values, ordering=ordering, params=page)
        return dumps({"items": result.items, "next_cursor": result.next_cursor})

    return json_response(body=microcache.cached("listings", key, build))


@router.post("/listings", response={201: ListingOut}, auth=bearer, tags=FARM)
@idempotent(ListingOut, status=201)
def listing_create(request: HttpRequest, payload: ListingIn):
    """A producer lists goods (draft or active). Price and commission rate are decimal strings."""
    producer = producer_selectors.producer_for_user(request.auth)
    listing = producer_services.listing_create(producer=producer, **payload.dict())
    return json_response(selectors.listing_detail(listing_id=listing.pk, owner_view=True),
                         status=201)


@router.get("/listings/{listing_id}", response=ListingOut, auth=optional_bearer,
            tags=FARM)
def listing_detail(request: HttpRequest, listing_id: PathId, query: Query[ListingDetailQuery]):
    """A listing with its photos and harvest lots. Anyone sees an active one; its owner (signed in)
    also sees it as a draft or archived. `shipping` is one unit's fee to `?region=` (else to the
    signed-in buyer's last shipping region; a region the listing is not sent to says so), and
    `no_ship_regions` its 不发货地区."""
    return json_response(selectors.listing_detail(listing_id=listing_id, viewer=caller(request),
                                                  region_id=query.region))


@router.patch("/listings/{listing_id}", response=ListingOut, auth=bearer, tags=FARM)
def listing_update(request: HttpRequest, listing_id: PathId, payload: ListingPatch):
    """Change the owner's listing (only the fields sent). Someone else's is 404. An open
    pre-sale that orders hold (paid or unpaid) cannot be removed nor its close or shipping
    window moved: 409 `presale_has_orders`."""
    listing = producer_selectors.listing_owned(user=request.auth, listing_id=listing_id)
    checkout_services.listing_update(listing=listing, **payload.dict(exclude_unset=True))
    return json_response(selectors.listing_detail(listing_id=listing_id, owner_view=True))


@router.delete("/listings/{listing_id}", response={204: None}, auth=bearer, tags=FARM)
def listing_archive(request: HttpRequest, listing_id: PathId):
    """Take the owner's listing off sale for good; orders keep their history."""
    listing = producer_selectors.listing_owned(user=request.auth, listing_id=listing_id)
    producer_services.listing_archive(listing=listing)
    return Status(204, None)


# --- A listing's public-benefit pledge -------------------------------------------------------

@router.put("/listings/{listing_id}/benefit", response=ListingOut, auth=bearer, tags=BENEFIT)
def listing_benefit_set(request: HttpRequest, listing_id: PathId, payload: ListingPledgeIn):
    """Pledge a share of each sale of the caller's listing to a public-benefit project: a
    percent of the line's goods or a fixed amount per unit. Someone else's listing is 404; a
    closed project 409 `project_closed`; an unknown one, or a value out of range, 422."""
    listing = producer_selectors.listing_owned(user=request.auth, listing_id=listing_id)
    benefit_services.listing_pledge_set(listing=listing, project_id=payload.project_id,
                                        kind=payload.kind, value=payload.value)
    return json_response(selectors.listing_detail(listing_id=listing_id, owner_view=True))


@router.delete("/listings/{listing_id}/benefit", response={204: None}, auth=bearer,
               tags=BENEFIT)
def listing_benefit_remove(request: HttpRequest, listing_id: PathId):
    """Stop pledging on the caller's listing; orders already placed keep their pledge."""
    listing = producer_selectors.listing_owned(user=request.auth, listing_id=listing_id)
    benefit_services.listing_pledge_remove(listing=listing)
    return Status(204, None)


# --- Trace -------------------------------------------------------------------------------------

@router.get("/trace/{trace_code}", response=TraceOut, tags=FARM)
def trace(request: HttpRequest, trace_code: str):
    """Where a harvest lot came from. A look counts once per visitor a day (crawlers and link
    previews never); `scans` is distinct visitors a day, summed, and `label_warning` turns
    true when so many people looked that the label has probably been copied. The weak `ETag`
    leaves the count out: while nothing else changed, If-None-Match gets a 304."""
    view = selectors.trace_view(trace_code=trace_code, look=count_look(request))
    data = trace_json(view)
    response = json_response(data)
    response["ETag"] = trace_etag(data, "json")
    return response


# --- A farm's profile --------------------------------------------------------------------------

@router.get("/producers/{producer_id}", response=ProducerProfileOut, tags=FARM)
def producer_detail(request: HttpRequest, producer_id: PathId):
    """A farm or cooperative as anyone sees it, with its 90-day claim rate."""
    return selectors.producer_profile(producer_id=producer_id)


@router.patch("/producers/{producer_id}", response=ProducerOwnOut, auth=bearer, tags=FARM)
def producer_update(request: HttpRequest, producer_id: PathId, payload: ProducerPatch):
    """Change the caller's own producer profile (only the fields sent). Someone else's is 404."""
    producer = producer_selectors.producer_owned(user=request.auth, producer_id=producer_id)
    producer_services.producer_update(producer=producer, **payload.dict(exclude_unset=True))
    return producer_selectors.producer_get(producer_id=producer_id)
