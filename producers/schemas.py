from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from ninja import Field, Schema
from pydantic import AwareDatetime

from marketplace.schemas import CURRENCY, Id, Text, example
from producers.images import is_upload
from producers.search import TEXT_MAX
from producers.tracecodes import qr_url, trace_url

Certification = Annotated[Text, Field(min_length=1, max_length=64)]


def absolute_media_url(field) -> str | None:
    """Photo URLs are absolute (SITE_URL + MEDIA_URL + name): phones cannot resolve relative
    ones against the API host they were given."""
    if not field:
        return None
    url = field.url
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}{url}"


# --- Places and kinds --------------------------------------------------------------------------

class RegionOut(Schema):
    id: int
    code: str
    name: str
    level: str
    parent_id: int | None
    path: str


class RegionQuery(Schema):
    parent: int | None = Field(None, description="A region's id: its children. None: provinces.")


class CategoryOut(Schema):
    id: int
    slug: str
    name: str
    parent_id: int | None


# --- Producers ---------------------------------------------------------------------------------

class ProducerIn(Schema):
    model_config = example(
        {"name": "秀英家庭农场",
         "kind": "farmer",
         "region_id": 5,
         "story": "我家在太康县二郎庙村，种了二十多年红薯和小麦。",
         "phone": "13800000000"}
    )
    name: Text = Field(..., min_length=1, max_length=100)
    kind: Literal["farmer", "cooperative"]
    region_id: Id
    story: Text = Field("", max_length=TEXT_MAX)
    phone: Text = Field("", max_length=32)


class ProducerPatch(Schema):
    model_config = example(
        {"story": "三代人种苹果，不打膨大剂。"}
    )
    name: Text = Field(None, min_length=1, max_length=100)
    kind: Literal["farmer", "cooperative"] = None
    region_id: Id = None
    story: Text = Field(None, max_length=TEXT_MAX)
    phone: Text = Field(None, max_length=32)


class ProducerVerificationOut(Schema):
    """The seller's verification as anyone sees it (never its id number)."""

    kind: str = Field(..., description="individual_farmer | individual_business | company | "
                                       "cooperative (an open enumeration).")
    status: Literal["pending", "verified", "rejected", "expired"]
    verified_at: datetime | None
    recheck_due: date | None


class ProducerOut(Schema):
    id: int
    name: str
    kind: str
    region: RegionOut
    story: str
    created_at: datetime
    verification: ProducerVerificationOut | None = Field(
        None, description="The seller's verification (POST /producers/me/verification); null "
                          "when none was asked for.")

    @staticmethod
    def resolve_verification(obj) -> dict | None:
        # the certificates app's row (a reverse one-to-one, joined by producer_queryset)
        try:
            verification = obj.verification
        except ObjectDoesNotExist:
            return None
        return {"kind": verification.kind, "status": verification.status,
                "verified_at": verification.verified_at,
                "recheck_due": verification.recheck_due}


class ProducerOwnOut(ProducerOut):
    """What the owner sees of their own profile: also the phone number."""

    phone: str


class ProducerQuery(Schema):
    region: Id | None = Field(None, description="A region's id: producers in it or under it.")
    kind: Literal["farmer", "cooperative"] | None = None
    q: Text | None = Field(None, max_length=100,
                          description="Words of the name or story, in Chinese or pinyin.")


class ProducerBrief(Schema):
    id: int
    name: str
    region: RegionOut


# --- Listings ----------------------------------------------------------------------------------

Unit = Literal["kg", "jin", "box", "piece", "bag", "bottle", "jar", "bundle"]


class PresaleIn(Schema):
    closes_at: AwareDatetime = Field(
        ..., description="When ordering closes (with its offset); in the future.")
    ships_from: date = Field(..., description="Not before the day the pre-sale closes.")
    ships_by: date = Field(..., description="Not before ships_from.")
    expected_quantity: int = Field(..., ge=1, le=2_000_000_000,
                                   description="What the farm expects to harvest.")


class PresaleOut(Schema):
    closes_at: datetime
    ships_from: date
    ships_by: date
    expected_quantity: int


class ListingIn(Schema):
    model_config = example(
        {"title": "太康县红富士苹果 5斤装",
         "description": "脆甜多汁，现摘现发。",
         "category": "apples",
         "unit": "box",
         "price": "39.90",
         "stock": 100,
         "story": "山坡上的老果园。",
         "harvest_start": "2026-10-01",
         "harvest_end": "2026-11-15",
         "net_weight_g": 2500,
         "commission_rate": "0.10",
         "status": "active"}
    )
    title: Text = Field(..., min_length=1, max_length=120)
    description: Text = Field("", max_length=TEXT_MAX)
    category: Text = Field(..., max_length=64, description="A category slug (GET /categories).")
    unit: Unit
    price: Decimal = Field(..., description='Yuan, e.g. "12.50": more than 0, two decimals.')
    stock: int = Field(0, ge=0, le=2_000_000_000)
    origin_region_id: Id | None = None
    story: Text = Field("", max_length=TEXT_MAX)
    growing_method: Text = Field("", max_length=255)
    harvest_start: date | None = None
    harvest_end: date | None = None
    net_weight_g: int | None = Field(None, ge=1, le=2_000_000_000)
    commission_rate: Decimal | None = Field(
        None, description='Share of the price paid to promoters, "0.00" to "0.50"; null: not '
                          "open to promotion.")
    status: Literal["draft", "active"] = "draft"
    presale: PresaleIn | None = Field(
        None, description="全款预售 of a coming harvest: orders close at closes_at and ship "
                          "between ships_from and ships_by; `stock` is what is on offer.")
    freight_template: Text | None = Field(
        None, min_length=1, max_length=64,
        description="The name of one of the farm's freight templates "
                    "(PUT /producers/me/freight-templates/{name}); null: the flat fee. On a "
                    "`weight` template a listing needs `net_weight_g` to be active.")


class ListingPatch(Schema):
    model_config = example(
        {"price": "35.00", "stock": 80}
    )
    title: Text = Field(None, min_length=1, max_length=120)
    description: Text = Field(None, max_length=TEXT_MAX)
    category: Text = Field(None, max_length=64)
    unit: Unit = None
    price: Decimal = None
    stock: int = Field(None, ge=0, le=2_000_000_000)
    origin_region_id: Id | None = None
    story: Text = Field(None, max_length=TEXT_MAX)
    growing_method: Text = Field(None, max_length=255)
    harvest_start: date | None = None
    harvest_end: date | None = None
    net_weight_g: int | None = Field(None, ge=1, le=2_000_000_000)
    commission_rate: Decimal | None = None
    status: Literal["draft", "active"] = None
    presale: PresaleIn | None = Field(
        None, description="New pre-sale terms, or null for none; once closed: 409 "
                          "`presale_closed`.")
    freight_template: Text | None = Field(
        None, min_length=1, max_length=64,
        description="Another of the farm's freight templates, or null for the flat fee.")


class ThumbnailsOut(Schema):
    small: str | None
    medium: str | None


class ImageOut(Schema):
    id: int
    status: Literal["processing", "ready", "failed"]
    original_url: str | None
    thumbnails: ThumbnailsOut
    width: int
    height: int

    @staticmethod
    def resolve_original_url(obj) -> str | None:
        # null until the worker has cleaned the upload (images.is_upload)
        return absolute_media_url(obj.original) if not is_upload(obj.original.name) else None

    @staticmethod
    def resolve_thumbnails(obj) -> dict:
        return {"small": absolute_media_url(obj.small), "medium": absolute_media_url(obj.medium)}


class BatchIn(Schema):
    model_config = example(
        {"harvested_on": "2026-10-20",
         "quantity": 500,
         "lot_code": "TK-2026-10-20",
         "notes": "东坡果园第一批",
         "certifications": ["绿色食品"]}
    )
    harvested_on: date
    quantity: int | None = Field(None, ge=0, le=2_000_000_000)
    lot_code: Text | None = Field(None, max_length=64,
                                 description="Your own lot number; made from the date if left out.")
    notes: Text = Field("", max_length=5000)
    certifications: list[Certification] = Field(default_factory=list, max_length=20)
    member_id: Id | None = Field(
        None, description="A cooperative: the active member who grew the lot "
                          "(GET /producers/me/members).")


class BatchMemberOut(Schema):
    """Who grew a cooperative's lot, as anyone may see it: a name, never a phone."""

    id: int
    name: str


class BatchOut(Schema):
    id: int
    lot_code: str
    trace_code: str
    harvested_on: date
    quantity: int | None
    shipped: int = Field(..., description="Units shipped to buyers from this lot so far.")
    notes: str
    certifications: list[str]
    member: BatchMemberOut | None = Field(
        ..., description="The cooperative member who grew it; null for a farm's own lot.")
    trace_url: str
    qr_url: str

    @staticmethod
    def resolve_member(obj) -> dict | None:
        member = obj.member if obj.member_id else None
        return {"id": member.pk, "name": member.name} if member else None

    @staticmethod
    def resolve_trace_url(obj) -> str:
        return trace_url(obj.trace_code)

    @staticmethod
    def resolve_qr_url(obj) -> str:
        return qr_url(obj.trace_code)


# --- Cooperatives' members ---------------------------------------------------------------------

class MemberIn(Schema):
    model_config = example(
        {"name": "王秀英", "phone": "13700000000", "region_id": 5, "joined_on": "2025-03-01"}
    )
    name: Text = Field(..., min_length=1, max_length=100)
    phone: Text = Field("", max_length=32,
                        description="For the cooperative only: never shown to anyone else.")
    region_id: Id | None = None
    joined_on: date | None = Field(None, description="Default: today.")


class MemberPatch(Schema):
    model_config = example(
        {"name": "王秀英", "active": True}
    )
    name: Text = Field(None, min_length=1, max_length=100)
    phone: Text = Field(None, max_length=32)
    region_id: Id | None = None
    joined_on: date = None
    active: bool = None


class MemberOut(Schema):
    """A member as its cooperative sees it (with the phone it entered)."""

    id: int
    name: str
    phone: str
    region: RegionOut | None
    joined_on: date
    active: bool
    created_at: datetime


class MemberSalesQuery(Schema):
    period_start: date = Field(..., description="First day (Asia/Shanghai), `YYYY-MM-DD`.")
    period_end: date = Field(..., description="Last day, at most 366 days after the first.")


class SalesAmountOut(Schema):
    quantity: int
    amount: Decimal


class MemberLotSalesOut(SalesAmountOut):
    batch_id: int
    lot_code: str
    trace_code: str
    listing_id: int
    listing_title: str


class MemberSalesOut(Schema):
    """What shipped from a member's lots in a period (by the day each parcel shipped), at the
    price each line was sold at."""

    member: BatchMemberOut
    period_start: date
    period_end: date
    lots: list[MemberLotSalesOut]
    total: SalesAmountOut
    currency: str = CURRENCY
