from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.conf import settings
from ninja import Field, Schema
from pydantic import PlainSerializer

from marketplace.money import money
from marketplace.schemas import CURRENCY, MAX_ID, TEXT, example
from promotion.video_urls import player_url

Money = Annotated[
    Decimal,
    PlainSerializer(lambda v: str(money(v)), return_type=str),
]


class PromoterIn(Schema):
    model_config = example(
        {"display_name": "山货达人小李", "bio": "专拍河南农产品的短视频。"}
    )
    display_name: str = Field(..., min_length=1, max_length=64, pattern=TEXT)
    bio: str = Field("", max_length=2000, pattern=TEXT)


class PromoterOut(Schema):
    id: int
    display_name: str
    bio: str
    created_at: datetime


class VideoIn(Schema):
    model_config = example(
        {"url": "https://v.douyin.com/iRNBho6u/", "title": "太康苹果采摘现场"}
    )
    url: str = Field(..., min_length=1, max_length=2000,
                     description="A video page or share link (Douyin, Kuaishou, Bilibili, "
                                 "YouTube, TikTok).")
    title: str = Field("", max_length=200, pattern=TEXT,
                       description="Your title; kept over the platform's.")
    kind: Literal["origin", "promo"] | None = Field(
        None, description="For an account that is both producer and promoter; default: "
                          "origin for a producer, promo for a promoter.")


def _known(obj, name: str) -> str | None:
    """A text the video does not have yet (stored empty) is null, not "" (a row or a dict)."""
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    return value or None


class VideoPublicOut(Schema):
    id: int
    platform: str
    external_id: str
    canonical_url: str
    title: str | None = Field(..., description="null until known (fetched in the background "
                                                "where the platform has oEmbed).")
    thumbnail_url: str | None = Field(..., description="null until known.")
    status: Literal["pending", "ready", "failed", "unverified"] = Field(
        ..., description="`unverified`: a promoter's video on a platform without oEmbed, shown "
                         "nowhere until staff check it or a farm approves it on its listing.")
    failure_reason: Literal[
        "unavailable", "fetch_refused", "short_link_unresolved", "unsupported_url", "duplicate",
        "gave_up",
    ] | None = Field(..., description=(
        "Why a failed video failed (null otherwise): `unavailable` (no such public video on the "
        "platform), `fetch_refused` (the link left the platform, or its answer was unusable), "
        "`short_link_unresolved`, `unsupported_url`, `duplicate` (see `duplicate_of_id`), "
        "`gave_up` (our side kept failing: the database or the network away for every retry)."))
    kind: Literal["origin", "promo"]
    player_url: str | None = Field(
        None, description="Embeddable player built from the platform id (never oEmbed HTML).")
    created_at: datetime

    @staticmethod
    def resolve_title(obj) -> str | None:
        return _known(obj, "title")

    @staticmethod
    def resolve_thumbnail_url(obj) -> str | None:
        return _known(obj, "thumbnail_url")

    @staticmethod
    def resolve_failure_reason(obj) -> str | None:
        return _known(obj, "failure_reason")

    @staticmethod
    def resolve_player_url(obj) -> str | None:
        return player_url(obj.platform, obj.external_id)  # None for an unresolved short link


class VideoOut(VideoPublicOut):
    source_url: str = Field(..., description="The URL as given, less share-tracking parameters.")
    duplicate_of_id: int | None = Field(
        None, description="Set when a short link turned out to be a video you already had.")


class LinkIn(Schema):
    model_config = example(
        {"listing_id": 14}
    )
    listing_id: int | None = Field(None, ge=1, le=MAX_ID, description="A listing, or:")
    batch_id: int | None = Field(None, ge=1, le=MAX_ID, description="a harvest lot, or:")
    project_id: int | None = Field(None, ge=1, le=MAX_ID, description=(
        "a public-benefit project (its charity's people only)."))


class LinkOut(Schema):
    id: int
    code: str
    video_id: int
    listing_id: int | None
    batch_id: int | None
    project_id: int | None
    share_url: str
    created_at: datetime

    @staticmethod
    def resolve_share_url(obj) -> str:
        return f"{settings.SITE_URL}/p/{obj.code}"


class LinkStatsOut(Schema):
    link_id: int = Field(..., alias="id")
    code: str
    video_id: int
    listing_id: int | None
    batch_id: int | None
    clicks: int = Field(..., alias="stat_clicks", description="Distinct visitors a day, summed.")
    orders: int = Field(..., alias="stat_orders", description="Orders credited, not cancelled.")
    gmv: Money
    commission_pending: Money
    commission_settled: Money
    currency: str = CURRENCY


class StatsTotals(Schema):
    links: int | None = None
    clicks: int
    orders: int
    gmv: Money
    commission_pending: Money
    commission_settled: Money
    currency: str = CURRENCY


class PromoterStatsOut(Schema):
    links: list[LinkStatsOut]
    next_cursor: str | None
    totals: StatsTotals
    currency: str = CURRENCY


class ListingPromotionOut(Schema):
    listing_id: int = Field(..., alias="id")
    title: str
    commission_rate: Decimal | None
    links: int = Field(..., alias="stat_links", description="Promoters' links to the listing.")
    clicks: int = Field(..., alias="stat_clicks")
    orders: int = Field(..., alias="stat_orders")
    gmv: Money
    commission_pending: Money
    commission_settled: Money
    currency: str = CURRENCY


class ProducerPromotionOut(Schema):
    items: list[ListingPromotionOut]
    next_cursor: str | None
    totals: StatsTotals
    currency: str = CURRENCY


class CommissionQuery(Schema):
    status: Literal["pending", "settled", "cancelled"] | None = None
    link: int | None = Field(None, ge=1, le=MAX_ID)
    listing: int | None = Field(None, ge=1, le=MAX_ID)


class CommissionOut(Schema):
    id: int
    order_id: int
    order_number: str = Field(..., alias="order.number")
    link_id: int
    link_code: str = Field(..., alias="link.code")
    listing_id: int
    rate: Decimal
    base_amount: Money
    amount: Money
    currency: str
    status: Literal["pending", "settled", "cancelled"]
    created_at: datetime
    settled_at: datetime | None
    cancelled_at: datetime | None


class LinkReviewOut(Schema):
    """A farm's word on a video shown with its listing."""

    listing_id: int
    video_id: int
    review: Literal["approved", "hidden"]
    reviewed_at: datetime
