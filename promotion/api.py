from django.http import HttpRequest
from ninja import Query, Router, Status

from accounts.auth import bearer
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import PathId
from promotion import selectors, services
from promotion.schemas import (
    CommissionOut,
    CommissionQuery,
    LinkReviewOut,
    ProducerPromotionOut,
    PromoterIn,
    PromoterOut,
    PromoterStatsOut,
    VideoOut,
    VideoPublicOut,
)

router = Router(tags=["promotion"])


@router.post("/promoters", response={201: PromoterOut}, auth=bearer)
def promoter_create(request: HttpRequest, payload: PromoterIn):
    """Make the caller a promoter (a short-video creator). One per account: a second is 409
    `promoter_exists`."""
    promoter = services.promoter_create(user=request.auth, display_name=payload.display_name,
                                        bio=payload.bio)
    return Status(201, promoter)


@router.get("/promoters/me", response=PromoterOut, auth=bearer)
def promoter_me(request: HttpRequest):
    """The caller's promoter profile."""
    return selectors.promoter_get(user=request.auth)


@router.get("/promoters/me/stats", response=PromoterStatsOut, auth=bearer)
def promoter_stats(request: HttpRequest, params: Query[PageParams]):
    """Per link (one page, newest first): clicks (distinct visitors a day), orders, GMV and
    commission pending and settled; totals over all links. Clicks are rolled up every minute."""
    return selectors.promoter_stats(user=request.auth, params=params)


@router.get("/promoters/me/commissions", response=page_schema(CommissionOut), auth=bearer)
def commission_list(request: HttpRequest, query: Query[CommissionQuery],
                    params: Query[PageParams]):
    """The promoter's commissions, newest first, optionally by status; a cursor page."""
    page = selectors.commission_list(user=request.auth, filters=query.dict(), params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/producers/me/promotion", response=ProducerPromotionOut, auth=bearer)
def producer_promotion(request: HttpRequest, params: Query[PageParams]):
    """For each of the producer's listings: promotion links, clicks, orders, GMV and the
    commission owed (pending) and paid (settled)."""
    return selectors.producer_promotion(user=request.auth, params=params)


@router.get("/videos/{video_id}", response=VideoOut, auth=bearer)
def video_detail(request: HttpRequest, video_id: PathId):
    """One of the caller's videos, with its status and why it failed if it did."""
    return selectors.video_get(user=request.auth, video_id=video_id)


@router.post("/listings/{listing_id}/videos/{video_id}/approve", response=LinkReviewOut,
             auth=bearer)
def listing_video_approve(request: HttpRequest, listing_id: PathId, video_id: PathId):
    """The farm vouches for a video linked to its own listing: shown there even when the
    platform could not verify it (Douyin, Kuaishou, Bilibili). Also undoes a hide."""
    return services.link_review(user=request.auth, listing_id=listing_id, video_id=video_id,
                                review="approved")


@router.post("/listings/{listing_id}/videos/{video_id}/hide", response=LinkReviewOut,
             auth=bearer)
def listing_video_hide(request: HttpRequest, listing_id: PathId, video_id: PathId):
    """The farm keeps a video off its own listing (its share link still works)."""
    return services.link_review(user=request.auth, listing_id=listing_id, video_id=video_id,
                                review="hidden")


@router.get("/listings/{listing_id}/videos", response=page_schema(VideoPublicOut))
def listing_videos(request: HttpRequest, listing_id: PathId, params: Query[PageParams]):
    """The videos that show an active listing (promotions and the farm's own footage); a cursor
    page."""
    page = selectors.listing_videos(listing_id=listing_id, params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}
