from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.auth import bearer
from benefit import selectors, services
from benefit.schemas import (
    LedgerHeadOut,
    ProjectCardOut,
    ProjectOut,
    PromoterPledgeIn,
    PromoterPledgeOut,
    PublicEntryOut,
)
from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import PathId
from promotion import selectors as promotion_selectors
from promotion.schemas import LinkIn, LinkOut, VideoIn, VideoOut

router = Router(tags=["benefit"])
# Adding a video and linking it are promotion's operations (their section says so): they are
# routed here because a charity's people film its projects, which only benefit knows, and
# ninja serves a path from one router (GET /videos comes with POST /videos).
PROMOTION = ["promotion"]


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


# --- Videos and their links (promotion's) -------------------------------------------------------

@router.post("/videos", response={200: VideoOut, 201: VideoOut}, auth=bearer,
             tags=PROMOTION)
@idempotent(VideoOut, status=201)
def video_create(request: HttpRequest, payload: VideoIn):
    """Add a video by its URL (Douyin, Kuaishou, Bilibili, YouTube, TikTok; short links too). A
    producer's is origin footage, a promoter's a promotion. The same video again answers the
    existing one with 200. Title and thumbnail follow in the background."""
    video, created = services.video_submit(user=request.auth, url=payload.url,
                                           title=payload.title, kind=payload.kind)
    return Status(201 if created else 200, video)


@router.get("/videos", response=page_schema(VideoOut), auth=bearer, tags=PROMOTION)
def video_list(request: HttpRequest, params: Query[PageParams]):
    """The caller's videos, newest first; a cursor page."""
    page = promotion_selectors.video_list(user=request.auth, params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.post("/videos/{video_id}/links", response={200: LinkOut, 201: LinkOut}, auth=bearer,
             tags=PROMOTION)
@idempotent(LinkOut, status=201)
def link_create(request: HttpRequest, video_id: PathId, payload: LinkIn):
    """Link the caller's video to a listing (a promoter: listings open to promotion), to one of
    the producer's own harvest lots, or (a charity's people) to one of its public-benefit
    projects; the link's `share_url` is the short link to share. The same link again answers
    the existing one with 200."""
    link, created = services.video_link_create(user=request.auth, video_id=video_id,
                                               listing_id=payload.listing_id,
                                               batch_id=payload.batch_id,
                                               project_id=payload.project_id)
    return Status(201 if created else 200, link)
