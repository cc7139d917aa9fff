from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.auth import bearer
from benefit import selectors, services
from benefit.schemas import (
    LedgerHeadOut,
    ListingPledgeIn,
    ProjectCardOut,
    ProjectOut,
    PromoterPledgeIn,
    PromoterPledgeOut,
    PublicEntryOut,
)
from marketplace.pagination import PageParams, page_schema
from marketplace.renderers import json_response
from marketplace.schemas import PathId
from producers import selectors as producer_selectors
from producers.schemas import ListingOut
from promotion import selectors as promotion_selectors

router = Router(tags=["benefit"])


@router.get("/benefit/projects", response=page_schema(ProjectCardOut))
def project_list(request: HttpRequest, params: Query[PageParams]):
    """Public-benefit projects of registered charities, with their running totals; a cursor
    page, oldest first."""
    page = selectors.project_list(params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/benefit/projects/{project_id}", response=ProjectOut)
def project_detail(request: HttpRequest, project_id: PathId):
    """A project: its charity (with the registration code), story, running totals (pledged,
    confirmed, disbursed, balance) and the videos its people post from the site."""
    return selectors.project_get(project_id=project_id)


@router.get("/benefit/projects/{project_id}/ledger", response=page_schema(PublicEntryOut))
def project_ledger(request: HttpRequest, project_id: PathId, params: Query[PageParams]):
    """The project's public ledger, oldest first: append-only entries chained by SHA-256, which
    anyone can recompute from this list alone (tools/verify_benefit.py does)."""
    page = selectors.ledger_page(project_id=project_id, params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/benefit/ledger/head", response=LedgerHeadOut)
def ledger_head(request: HttpRequest):
    """The last entry of every project's chain, signed with the platform's Ed25519 key: keep
    it, and a later change of any earlier entry shows."""
    return selectors.signed_head()


@router.put("/listings/{listing_id}/benefit", response=ListingOut, auth=bearer)
def listing_benefit_set(request: HttpRequest, listing_id: PathId, payload: ListingPledgeIn):
    """Pledge a share of each sale of the caller's listing to a public-benefit project: a
    percent of the line's goods or a fixed amount per unit. Someone else's listing is 404; a
    closed project 409 `project_closed`; an unknown one, or a value out of range, 422."""
    listing = producer_selectors.listing_owned(user=request.auth, listing_id=listing_id)
    services.listing_pledge_set(listing=listing, project_id=payload.project_id,
                                kind=payload.kind, value=payload.value)
    return json_response(producer_selectors.listing_detail(listing_id=listing_id,
                                                           owner_view=True))


@router.delete("/listings/{listing_id}/benefit", response={204: None}, auth=bearer)
def listing_benefit_remove(request: HttpRequest, listing_id: PathId):
    """Stop pledging on the caller's listing; orders already placed keep their pledge."""
    listing = producer_selectors.listing_owned(user=request.auth, listing_id=listing_id)
    services.listing_pledge_remove(listing=listing)
    return Status(204, None)


@router.put("/promoters/me/benefit", response=PromoterPledgeOut, auth=bearer)
def promoter_benefit_set(request: HttpRequest, payload: PromoterPledgeIn):
    """Pledge a percent of each of your own commissions (on orders placed from now on) to a
    public-benefit project."""
    promoter = promotion_selectors.promoter_get(user=request.auth)
    return services.promoter_pledge_set(promoter=promoter, project_id=payload.project_id,
                                        percent=payload.percent)


@router.delete("/promoters/me/benefit", response={204: None}, auth=bearer)
def promoter_benefit_remove(request: HttpRequest):
    """Stop pledging of your commissions (orders already placed keep their pledge)."""
    promoter = promotion_selectors.promoter_get(user=request.auth)
    services.promoter_pledge_remove(promoter=promoter)
    return Status(204, None)
