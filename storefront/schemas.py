"""What the public read side answers: a listing's card and detail, the catalog's query and the
trace of a harvest lot. The farm's own shapes (producers, photos, lots, members) are
`producers.schemas`, which these build on."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Field, Schema

from certificates.schemas import CertificateOut, VerificationOut
from marketplace.schemas import CURRENCY, Id, Text
from producers.schemas import (
    BatchOut,
    ImageOut,
    PresaleOut,
    ProducerBrief,
    ProducerOut,
    RegionOut,
)
from promotion.schemas import VideoPublicOut


class ListingBenefitOut(Schema):
    """The listing's public-benefit pledge (PUT /listings/{id}/benefit)."""

    project_id: int
    project_title: str
    kind: Literal["percent", "fixed"] = Field(
        ..., description="percent: of each line's goods; fixed: yuan per unit sold.")
    value: Decimal


class CoverOut(Schema):
    """A card's photo: the listing's first ready photo as its small thumbnail (at most 240 px a
    side, WebP), the size a phone's grid shows; every photo in full is on GET /listings/{id}."""

    url: str
    width: int = Field(..., description="The photo's width in pixels (with height, the aspect "
                                        "ratio to lay the grid out before it loads).")
    height: int


class ListingCardOut(Schema):
    """A listing in the catalog: what a phone shows in a grid, with one cover photo. Every photo,
    the long texts and the harvest lots (which pile up season after season) are on
    GET /listings/{id} only."""

    id: int
    title: str
    category: str = Field(..., description="The category's slug.")
    category_name: str
    unit: str
    price: Decimal
    currency: str = CURRENCY
    stock: int
    sales: int
    status: Literal["draft", "active", "archived"]
    producer: ProducerBrief
    origin_region: RegionOut | None
    harvest_start: date | None
    harvest_end: date | None
    net_weight_g: int | None
    commission_rate: Decimal | None
    cover: CoverOut | None = Field(
        ..., description="The first ready photo's small thumbnail; null until one is ready.")
    video_count: int
    created_at: datetime
    presale: PresaleOut | None = Field(
        ..., description="The pre-sale's terms (全款预售), or null for goods in hand.")
    benefit: ListingBenefitOut | None = Field(
        ..., description="The share of each sale the farm pledges to a village project, if any.")
    verified: bool = Field(False, description="The seller's verification holds (E-commerce "
                                              "Law art. 27; re-checked every six months).")
    certified: list[str] = Field(
        [], description="The kinds of verified, unexpired certificates on the listing's lots or "
                        "its farm (green, organic, gi, sc, test_report: an open enumeration); "
                        "绿色食品/有机/地理标志 may be claimed only when listed here.")

    @staticmethod
    def resolve_category(obj) -> str:
        return obj.category.slug

    @staticmethod
    def resolve_category_name(obj) -> str:
        return obj.category.name

    @staticmethod
    def resolve_benefit(obj) -> dict | None:
        if isinstance(obj, dict):
            return obj.get("benefit")
        pledge = getattr(obj, "benefit_pledge", None)
        if pledge is None:
            return None
        return {"project_id": pledge.project_id, "project_title": pledge.project.title,
                "kind": pledge.kind, "value": pledge.value}


class ListingShippingOut(Schema):
    """What sending one unit of the listing on its own to `region` costs: what
    POST /orders/quote answers for it (more units, or the farm's other goods in the same
    parcel, may cost more or nothing: ask the quote)."""

    region: RegionOut = Field(..., description="Where to: `?region=`, else the signed-in "
                                               "buyer's last shipping region.")
    served: bool = Field(..., description="false: the listing is not sent there (不发货地区); "
                                          "an order there is 422 `region_not_served`.")
    shipping_fee: Decimal | None = Field(..., description="The parcel's fee; null when not "
                                                          "served.")
    currency: str = CURRENCY


class ListingOut(ListingCardOut):
    """A listing in full: every photo, its story, how it was grown, every harvest lot, and
    what shipping costs."""

    images: list[ImageOut]
    description: str
    story: str
    growing_method: str
    batches: list[BatchOut]
    updated_at: datetime
    shipping: ListingShippingOut | None = Field(
        None, description="The fee to the buyer's region (`?region=<id>`, else the signed-in "
                          "buyer's last shipping region); null when no region is known.")
    no_ship_regions: list[RegionOut] = Field(
        [], description="The regions the listing's freight template does not send to "
                        "(不发货地区), by code; empty on no template.")

    @staticmethod
    def resolve_images(obj) -> list:
        return list(obj.images.all())

    @staticmethod
    def resolve_batches(obj) -> list:
        return list(obj.batches.all())


class ListingDetailQuery(Schema):
    region: Id | None = Field(
        None, description="A shipping region's id (a county or below): `shipping` is the fee "
                          "to it; unknown or above county level is 422.")


class ListingQuery(Schema):
    region: Id | None = Field(
        None, description="A region's id: listings from it or anywhere under it (the origin "
                          "region, or the producer's when the listing has none).")
    category: Text | None = Field(None, max_length=64,
                                 description="A category slug, sub-categories included.")
    producer: Id | None = Field(None, description="A producer's id.")
    min_price: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    max_price: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)
    in_stock: bool | None = Field(None, description="true: only listings with stock.")
    promotable: bool | None = Field(
        None, description="true: only listings open to promotion (commission_rate set).")
    benefit: bool | None = Field(
        None, description="true: only listings that pledge to a public-benefit project.")
    certified: Literal["green", "organic", "gi"] | None = Field(
        None, description="Only listings with a verified, unexpired certificate of this kind "
                          "(绿色食品, 有机, 地理标志) on a lot or the farm.")
    q: Text | None = Field(
        None, max_length=100,
        description="Words of the title, description, story or producer name, in Chinese or "
                    "pinyin (`苹果`, `pingguo`, `pg`).")
    ordering: Literal["price", "-price", "-created", "-sales"] = Field(
        "-created", description="Sort order; ties are broken by id.")


# --- The claim record (claims.selectors), and the farm's profile that carries its rate ----------

class ClaimRecordOut(Schema):
    shipped: int = Field(..., description="Parcels shipped (shipped or delivered).")
    claimed: int = Field(..., description="Of them, parcels with an after-sales claim "
                                          "(withdrawn claims aside).")
    refunded: int = Field(..., description="Of them, parcels a claim was refunded for.")
    median_hours_to_answer: Decimal | None = Field(
        ..., description="Median hours from a claim to the farm's answer (a deadline let "
                         "lapse counts as answered at it), to a tenth; null with no answer yet.")


class TraceClaimsOut(Schema):
    lot: ClaimRecordOut = Field(..., description="The parcels that carried this lot.")
    farm: ClaimRecordOut = Field(..., description="All the farm's parcels.")


class ProducerProfileOut(ProducerOut):
    claim_rate_90d: Decimal | None = Field(
        ..., description="Percent (to a tenth) of the farm's parcels shipped in the last 90 "
                         "days that had an after-sales claim, withdrawn ones aside; null when "
                         "it shipped nothing in that time.")


# --- Trace -------------------------------------------------------------------------------------

class TraceListingOut(Schema):
    id: int
    title: str


class TraceProducerOut(Schema):
    id: int
    name: str
    kind: str
    region: RegionOut
    story: str
    verification: VerificationOut | None = Field(
        None, description="The seller's verification (never its id number); null: none asked.")


class TraceOut(Schema):
    batch: BatchOut
    listing: TraceListingOut
    producer: TraceProducerOut
    origin_region: RegionOut = Field(
        ..., description="Where the lot grew: the listing's origin, else the producer's region.")
    videos: list[VideoPublicOut] = Field(
        ..., description="The farm's own videos of this lot or listing, shaped as in "
                         "GET /listings/{id}/videos.")
    scans: int
    first_scanned_at: datetime | None
    label_warning: bool = Field(
        ..., description="True once the code has been looked at more than "
                         "TRACE_SCAN_WARNING_THRESHOLD times: the label may have been copied.")
    claims: TraceClaimsOut = Field(
        ..., description="The after-sales record of the lot and of its farm, bad numbers "
                         "included.")
    certificates: list[CertificateOut] = Field(
        [], description="The lot's 承诺达标合格证 and the verified, unexpired certificates of the "
                        "lot and its farm, with their numbers and issuers.")
