"""The public read side: what anyone sees of a listing and of a harvest lot.

The catalog (GET /listings: cards, filtered and ordered, one keyset page, its SQL compiled once
per shape), a listing's detail (ListingOut, one compiled query), the page for people at
/l/{id}, and the trace (JSON and page) a QR label opens. It reads the farm's tables
(`producers`), a listing's videos through `promotion.selectors` and its public-benefit pledge
(benefit's `ListingPledge`, joined as `benefit_pledge`); it writes nothing but the look a
trace page counts (`producers.services.trace_look`, called by the views)."""

import functools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from benefit.texts import pledge_text
from certificates import selectors as certificate_selectors
from certificates.texts import shown_labels
from claims import selectors as claims_selectors
from freight import fees
from marketplace import visitors
from marketplace.errors import NotFound, ValidationFailed
from marketplace.filtering import filtered
from marketplace.money import money
from marketplace.pagination import Page, PageParams, keyset_after, keyset_page
from marketplace.schemas import CURRENCY, MAX_ID
from marketplace.sql import CompiledValues, JSONRows
from orders import pricing
from orders.selectors import last_shipping_region_id
from producers.images import shown_original
from producers.models import Batch, BatchScanDaily, Listing, ListingImage, Producer, Region
from producers.selectors import producer_get
from producers.tracecodes import could_be_trace_code, qr_url, trace_url
from promotion.selectors import (
    listing_video_count,
    origin_videos_of_batch,
    origin_videos_of_listing,
)
from storefront import lineages
from storefront.filters import ListingFilter

# `ordering` values of GET /listings -> keyset ordering (always ending in the primary key).
LISTING_ORDERINGS = {
    "price": ["price", "id"],
    "-price": ["-price", "-id"],
    "-created": ["-created_at", "-id"],
    "-sales": ["-sales", "-id"],
}


# --- Cards, the catalog and a listing's detail -----------------------------------------------

REGION_FIELDS = ("id", "code", "name", "level", "parent_id", "path")
_CARD_VALUES = (
    "id", "title", "category__slug", "category__name", "unit", "price", "stock", "sales",
    "status", "producer_id", "producer__name",
    *(f"producer__region__{f}" for f in REGION_FIELDS),
    *(f"origin_region__{f}" for f in REGION_FIELDS),
    "harvest_start", "harvest_end", "net_weight_g", "commission_rate", "video_count",
    "created_at", "cover_rows", "presale_closes_at", "presale_ships_from", "presale_ships_by",
    "presale_expected_quantity",
    # the public-benefit pledge, if any (benefit.ListingPledge: a LEFT JOIN)
    "benefit_pledge__project_id", "benefit_pledge__project__title", "benefit_pledge__kind",
    "benefit_pledge__value",
    # the seller's verification (a LEFT JOIN) and the kinds of verified certificates
    "producer__verification__status", "certified_rows",
)
_DETAIL_VALUES = (*_CARD_VALUES, "image_rows", "description", "story", "growing_method",
                  "updated_at", "producer__user_id",
                  # the freight template, if any (a LEFT JOIN): its rules price `shipping`
                  "freight_template_id", "freight_template__basis",
                  "freight_template__document")


def _region_of(row: dict, prefix: str) -> dict | None:
    if row[f"{prefix}id"] is None:
        return None
    return {f: row[prefix + f] for f in REGION_FIELDS}


def media_url(name: str) -> str | None:
    """A stored file's absolute URL (see schemas.absolute_media_url), from its name."""
    if not name:
        return None
    url = default_storage.url(name)
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}{url}"


_IMAGE_COLUMNS = ["id", "status", "original", "small", "medium", "width", "height"]


def _images(rows: list[list]) -> list[dict]:
    """The listing's photos (JSONRows of _IMAGE_COLUMNS) shaped as ImageOut."""
    return [{"id": pk, "status": status, "original_url": media_url(shown_original(original)),
             "thumbnails": {"small": media_url(small), "medium": media_url(medium)},
             "width": width, "height": height}
            for pk, status, original, small, medium, width, height in rows]


_COVER_COLUMNS = ["small", "width", "height"]


def _cover(rows: list[list]) -> dict | None:
    """The card's photo (JSONRows of _COVER_COLUMNS, at most one row) shaped as CoverOut."""
    if not rows:
        return None
    small, width, height = rows[0]
    return {"url": media_url(small), "width": width, "height": height}


def _card(row: dict) -> dict[str, Any]:
    """A values() row as ListingCardOut, field for field (the API sends it without validating
    it again: it is built here from typed columns)."""
    return {
        "id": row["id"], "title": row["title"], "category": row["category__slug"],
        "category_name": row["category__name"], "unit": row["unit"], "price": row["price"],
        "currency": CURRENCY, "stock": row["stock"], "sales": row["sales"],
        "status": row["status"],
        "producer": {"id": row["producer_id"], "name": row["producer__name"],
                     "region": _region_of(row, "producer__region__")},
        "origin_region": _region_of(row, "origin_region__"),
        "harvest_start": row["harvest_start"], "harvest_end": row["harvest_end"],
        "net_weight_g": row["net_weight_g"], "commission_rate": row["commission_rate"],
        "cover": _cover(row["cover_rows"]), "video_count": row["video_count"],
        "created_at": row["created_at"],
        "presale": None if row["presale_closes_at"] is None else {
            "closes_at": row["presale_closes_at"], "ships_from": row["presale_ships_from"],
            "ships_by": row["presale_ships_by"],
            "expected_quantity": row["presale_expected_quantity"]},
        "benefit": _benefit(row),
        "verified": row["producer__verification__status"] == "verified",
        "certified": certificate_selectors.certified_kinds(row["certified_rows"]),
    }


def _benefit(row: dict) -> dict | None:
    """The listing's pledge as ListingBenefitOut, or None."""
    if row["benefit_pledge__project_id"] is None:
        return None
    return {"project_id": row["benefit_pledge__project_id"],
            "project_title": row["benefit_pledge__project__title"],
            "kind": row["benefit_pledge__kind"], "value": row["benefit_pledge__value"]}


def listing_card_values() -> QuerySet[Listing]:
    """Listings as card rows, each with its cover photo (one query for any page size)."""
    cover = (ListingImage.objects.filter(listing=OuterRef("pk"), status=ListingImage.Status.READY)
             .exclude(small="").order_by("position", "id")[:1])
    return Listing.objects.annotate(video_count=listing_video_count(),
                                    cover_rows=JSONRows(cover, _COVER_COLUMNS),
                                    certified_rows=certificate_selectors.certified_rows())


def listing_catalog(*, filters: dict[str, Any], ordering: str, params: PageParams) -> Page:
    """GET /listings: active listings, filtered, one keyset page of cards (ListingCardOut).

    The page's SQL is compiled once per shape (which filters, which ordering, a cursor or not,
    the page size) and then run with each request's values; a search (`q`, whose words vary
    in number) is built each time. The region and the category are found by their lineage
    (storefront.lineages), so a page is one query; an unknown one is a 422."""
    low, high = filters.get("min_price"), filters.get("max_price")
    if low is not None and high is not None and low > high:
        raise ValidationFailed({"max_price": "max_price is below min_price."})
    data = {name: value for name, value in filters.items() if value is not None}
    if "region" in data:
        data["region"] = _known(lineages.lineage_of_region(data["region"]), "region",
                                "No such region.")
    if "category" in data:
        data["category"] = _known(lineages.lineage_of_category(data["category"]), "category",
                                  "No such category.")
    order = LISTING_ORDERINGS[ordering]

    def fetch(after: list[Any] | None, count: int) -> list[dict]:
        if "q" in data:
            return list(_catalog_query(data, order, after, count))
        compiled = _compiled_catalog(_catalog_shape(data), ordering, after is not None, count)
        return compiled.rows(**_placeholder_values(data, order, after))

    page = keyset_page(fetch, Listing, params, ordering=order)
    page.items = [_card(row) for row in page.items]
    return page


def _known(lineage: str | None, field: str, message: str) -> str:
    if lineage is None:
        raise ValidationFailed({field: message})
    return lineage


def _catalog_query(data: dict[str, Any], order: list[str], after: list[Any] | None,
                   count: int) -> QuerySet:
    """A catalog page's rows: `data` through the FilterSet, after `after`, `count` rows."""
    queryset = filtered(ListingFilter, data,
                        listing_card_values().filter(status=Listing.Status.ACTIVE))
    queryset = queryset.order_by(*order)
    if after is not None:
        queryset = queryset.filter(keyset_after(order, after))
    return queryset.values(*_CARD_VALUES)[:count]


# Stand-ins for a request's values while a shape is compiled: of each value's type, and equal
# to nothing else the query holds. Booleans are part of the shape (they change the SQL).
_STAND_INS: dict[str, Any] = {
    "region": "\u2042region\u2042", "category": "\u2042category\u2042",
    "producer": -7_700_000_000_000_101, "min_price": Decimal("-77000001.11"),
    "max_price": Decimal("-77000002.22"),
}
_AFTER_STAND_INS: dict[str, Any] = {
    "created_at": datetime(1901, 2, 3, 4, 5, 6, 789, tzinfo=UTC),
    # within the column's range: out of it, Django drops the comparison from the SQL
    "price": Decimal("-77000003.33"), "sales": 2_147_000_202,
    "id": -7_700_000_000_000_303,
}


# Filters of a few values each, part of the shape like booleans (their SQL differs by value).
_SHAPE_VALUES = {"certified"}


def _catalog_shape(data: dict[str, Any]) -> tuple:
    return tuple(sorted((name, value if isinstance(value, bool) or name in _SHAPE_VALUES
                         else None) for name, value in data.items()))


def _placeholder_values(data: dict[str, Any], order: list[str],
                        after: list[Any] | None) -> dict[str, Any]:
    values = {name: value for name, value in data.items() if name in _STAND_INS}
    for field, value in zip(order, after or (), strict=False):
        values[f"after_{field.lstrip('-')}"] = value
    return values


@functools.lru_cache(maxsize=512)
def _compiled_catalog(shape: tuple, ordering: str, has_cursor: bool,
                      count: int) -> CompiledValues:
    order = LISTING_ORDERINGS[ordering]
    stand_ins = {name: _STAND_INS[name] for name, flag in shape if flag is None}
    after = [_AFTER_STAND_INS[field.lstrip("-")] for field in order] if has_cursor else None
    if after is not None:
        stand_ins.update({f"after_{field.lstrip('-')}": value
                          for field, value in zip(order, after, strict=True)})
    flags = {name: flag for name, flag in shape if flag is not None}

    def build(**values: Any) -> QuerySet:
        data = {**flags, **{name: values[name] for name in _STAND_INS if name in values}}
        cursor = ([values[f"after_{field.lstrip('-')}"] for field in order]
                  if has_cursor else None)
        return _catalog_query(data, order, cursor, count)

    return CompiledValues(build, **stand_ins)


_BATCH_COLUMNS = ["id", "lot_code", "trace_code", "harvested_on", "quantity", "shipped",
                  "notes", "certifications", "member_id", "member_name"]


def batch_member(member_id: int | None, name: str | None) -> dict | None:
    """A lot's grower as the public sees it: a cooperative member's id and name, never more."""
    return {"id": member_id, "name": name} if member_id is not None else None


def _batches(rows: list[list]) -> list[dict]:
    """The listing's lots (JSONRows of _BATCH_COLUMNS) shaped as BatchOut."""
    return [{"id": pk, "lot_code": lot_code, "trace_code": code, "harvested_on": harvested_on,
             "quantity": quantity, "shipped": shipped, "notes": notes,
             "certifications": json.loads(certifications) if isinstance(certifications, str)
             else certifications,
             "member": batch_member(member_id, member_name),
             "trace_url": trace_url(code), "qr_url": qr_url(code)}
            for (pk, lot_code, code, harvested_on, quantity, shipped, notes, certifications,
                 member_id, member_name) in rows]


def _listing_detail_query(*, listing_id: int) -> QuerySet:
    lots = (Batch.objects.filter(listing=OuterRef("pk")).order_by("-harvested_on", "-id")
            .annotate(member_name=F("member__name")))
    images = ListingImage.objects.filter(listing=OuterRef("pk")).order_by("position", "id")
    return (listing_card_values()
            .annotate(image_rows=JSONRows(images, _IMAGE_COLUMNS),
                      batch_rows=JSONRows(lots, _BATCH_COLUMNS))
            .filter(pk=listing_id).values(*_DETAIL_VALUES, "batch_rows"))


_LISTING_DETAIL = CompiledValues(_listing_detail_query, listing_id=-7_700_000_000_000_077)


def listing_detail(*, listing_id: int, viewer: User | None = None,
                   owner_view: bool = False, region_id: int | None = None) -> dict[str, Any]:
    """A listing shaped as ListingOut: an active one for anyone, a draft or archived one only
    for its owner (`owner_view`: the owner's own write, shown back). Its `shipping` to
    `region_id` (else to the signed-in viewer's last shipping region, else none) and its
    不发货地区 (`no_ship_regions`): see listing_freight. One query, compiled once, and at most
    one for the regions (and one for the viewer's last order when no region is asked)."""
    found = _LISTING_DETAIL.rows(listing_id=listing_id) if 0 < listing_id <= MAX_ID else []
    row = found[0] if found else None
    visible = row is not None and (
        owner_view or row["status"] == Listing.Status.ACTIVE
        or (viewer is not None and row["producer__user_id"] == viewer.pk)
    )
    if not visible:
        raise NotFound("No such listing.", code="listing_not_found")
    data = _card(row)
    data.update(images=_images(row["image_rows"]), description=row["description"],
                story=row["story"], growing_method=row["growing_method"],
                batches=_batches(row["batch_rows"]), updated_at=row["updated_at"])
    for batch in data["batches"]:  # 绿色食品/有机/地理标志 only with a verified certificate
        batch["certifications"] = shown_labels(batch["certifications"], data["certified"])
    data.update(listing_freight(
        listing_id=row["id"], price=row["price"], net_weight_g=row["net_weight_g"],
        template_id=row["freight_template_id"], basis=row["freight_template__basis"],
        document=row["freight_template__document"], region_id=region_id, viewer=viewer))
    return data


def _region_out(region: Region) -> dict[str, Any]:
    return {f: getattr(region, f) for f in REGION_FIELDS}


def listing_freight(*, listing_id: int, price: Decimal, net_weight_g: int | None,
                    template_id: int | None, basis: str | None, document: dict | None,
                    region_id: int | None, viewer: User | None) -> dict[str, Any]:
    """What shipping one unit of a listing costs, as ListingOut's `shipping` and
    `no_ship_regions`.

    The destination is `region_id` (422 naming `region` when there is no such region or it is
    above county level, as for a shipping address), else the signed-in `viewer`'s last shipping
    region, else none (`shipping` null). The fee is the one POST /orders/quote gives one unit
    of the listing on its own to that region: the same computation (freight.fees.parcel_fee)
    on the listing's template, or the flat fee on none. A region the template does not send to
    is `served: false` with no fee. `no_ship_regions` are the template's 不发货地区, by code.
    The regions are read in one statement, however many."""
    template = None if template_id is None else fees.Template.of(
        id=template_id, basis=basis, document=document)
    no_ship = [] if document is None else [pk for pk, _code in document.get("no_ship", ())]
    asked = region_id is not None
    if not asked and viewer is not None:
        region_id = last_shipping_region_id(buyer=viewer)
    wanted = {*no_ship, *([region_id] if region_id is not None else [])}
    regions = {region.pk: region for region in Region.objects.filter(pk__in=wanted)
               } if wanted else {}
    destination = regions.get(region_id) if region_id is not None else None
    problem = pricing.region_error(destination) if region_id is not None else None
    if asked and problem:
        raise ValidationFailed({"region": problem})
    shipping = None
    if destination is not None and problem is None:
        item = fees.Item(listing_id=listing_id, quantity=1, amount=money(price),
                         net_weight_g=net_weight_g, template=template)
        to = fees.destination_of(destination.lineage)
        served = not fees.not_served([item], to)
        shipping = {"region": _region_out(destination), "served": served,
                    "shipping_fee": fees.parcel_fee([item], to) if served else None,
                    "currency": CURRENCY}
    return {"shipping": shipping,
            "no_ship_regions": [_region_out(region) for region in sorted(
                (regions[pk] for pk in set(no_ship) if pk in regions),
                key=lambda region: region.code)]}


# --- Harvest lots and trace codes -------------------------------------------------------------

def trace_batch(*, trace_code: str) -> Batch:
    if not could_be_trace_code(trace_code):
        raise NotFound("No harvest lot has this trace code.", code="trace_code_not_found")
    batch = Batch.objects.filter(trace_code=trace_code).first()
    if batch is None:
        raise NotFound("No harvest lot has this trace code.", code="trace_code_not_found")
    return batch


_TRACE_VALUES = (
    "id", "lot_code", "trace_code", "harvested_on", "quantity", "shipped", "notes",
    "certifications", "scans", "first_scanned_at", "rolled_today", "member_id",
    "member__name",
    "listing_id", "listing__status", "listing__title", "listing__unit", "listing__growing_method",
    "listing__price", "listing__harvest_start", "listing__harvest_end", "listing__story",
    "listing__category__name", "listing__producer_id", "listing__producer__user_id",
    "listing__producer__name", "listing__producer__kind", "listing__producer__story",
    "listing__benefit_pledge__project_id", "listing__benefit_pledge__project__title",
    "listing__benefit_pledge__kind", "listing__benefit_pledge__value",
    "listing__producer__verification__kind", "listing__producer__verification__status",
    "listing__producer__verification__verified_at",
    "listing__producer__verification__recheck_due", "certificate_rows",
    *(f"listing__producer__region__{f}" for f in REGION_FIELDS),
    *(f"listing__origin_region__{f}" for f in REGION_FIELDS),
)


def trace_lot(*, trace_code: str) -> dict[str, Any]:
    """The lot, its listing, farm and places as one row (one query), with what today's
    roll-up already counted (`rolled_today`), so that the live count can replace it."""
    if not could_be_trace_code(trace_code):
        raise NotFound("No harvest lot has this trace code.", code="trace_code_not_found")
    rows = _TRACE_LOT.rows(trace_code=trace_code, day=timezone.localdate())
    if not rows:
        raise NotFound("No harvest lot has this trace code.", code="trace_code_not_found")
    return rows[0]


def _trace_lot_query(*, trace_code: str, day: date) -> QuerySet:
    rolled_today = BatchScanDaily.objects.filter(batch=OuterRef("pk"), day=day).values(
        "visitors")[:1]
    return (Batch.objects.filter(trace_code=trace_code)
            .annotate(rolled_today=Coalesce(Subquery(rolled_today), 0),
                      certificate_rows=certificate_selectors.trace_rows())
            .values(*_TRACE_VALUES))


# compiled once: the trace page is what a QR label on every box opens
_TRACE_LOT = CompiledValues(_trace_lot_query, trace_code="~placeholder~",
                            day=date(1901, 2, 3))


def trace_label_warning(scans: int) -> bool:
    """Distinct visitors a day, summed, past the threshold: the label has probably been
    copied. One visitor reloading a thousand times is one."""
    return scans > settings.TRACE_SCAN_WARNING_THRESHOLD


def trace_view(*, trace_code: str,
               look: Callable[[int], int | None] | None = None) -> dict[str, Any]:
    """Everything the trace JSON and the trace page show about one harvest lot (seven
    queries: the lot, its photo, its videos, and two each for its and its farm's claim
    record). `look(batch_id)` counts the caller's look, and may give today's distinct
    visitors back (else they are read live)."""
    row = trace_lot(trace_code=trace_code)
    today = look(row["id"]) if look is not None else None
    if today is None:
        today = visitors.SCANS.today([row["id"]])[row["id"]]
    scans = row["scans"] - row["rolled_today"] + max(today, row["rolled_today"])
    producer_region = _region_of(row, "listing__producer__region__")
    certificates = certificate_selectors.shown_certificates(row["certificate_rows"])
    photo = (ListingImage.objects.filter(listing_id=row["listing_id"],
                                         status=ListingImage.Status.READY)
             .order_by("position", "id").values_list("medium", "width", "height").first())
    return {
        "row": row,
        "producer_region": producer_region,
        "origin_region": _region_of(row, "listing__origin_region__") or producer_region,
        "videos": origin_videos_of_batch(batch_id=row["id"], listing_id=row["listing_id"],
                                         producer_user_id=row["listing__producer__user_id"]),
        "photo": photo,
        "scans": scans,
        "first_scanned_at": row["first_scanned_at"],
        "label_warning": trace_label_warning(scans),
        "claims": {"lot": claims_selectors.lot_record(batch_id=row["id"]),
                   "farm": claims_selectors.farm_record(
                       producer_id=row["listing__producer_id"])},
        "certificates": certificates,
        # the farm's own labels: a claim of 绿色食品/有机/地理标志 only with its certificate
        "labels": shown_labels(row["certifications"],
                               {c["kind"] for c in certificates if c["status"] == "verified"}),
        "verification": certificate_selectors.verification_public(
            kind=row["listing__producer__verification__kind"],
            status=row["listing__producer__verification__status"],
            verified_at=row["listing__producer__verification__verified_at"],
            recheck_due=row["listing__producer__verification__recheck_due"]),
    }


def listing_page(*, listing_id: int, region_id: int | None = None,
                 viewer: User | None = None) -> dict[str, Any]:
    """What the page for people at /l/{id} shows of an active listing (a draft or archived one
    is not found): its photos, price, farm and story, the farm's own videos, and what one unit
    costs to send to `region_id` (or the viewer's last shipping region) with its 不发货地区
    (listing_freight; `region_problem` says why a region given cannot be priced)."""
    listing = (Listing.objects.select_related("producer__region", "origin_region", "category",
                                              "benefit_pledge__project", "freight_template")
               .filter(pk=listing_id, status=Listing.Status.ACTIVE).first())
    if listing is None:
        raise NotFound("No such listing.", code="listing_not_found")
    template = listing.freight_template
    freight_of = functools.partial(
        listing_freight, listing_id=listing.pk, price=listing.price,
        net_weight_g=listing.net_weight_g, template_id=listing.freight_template_id,
        basis=None if template is None else template.basis,
        document=None if template is None else template.document, viewer=viewer)
    region_problem = None
    try:
        freight = freight_of(region_id=region_id)
    except ValidationFailed:
        region_problem = "没有这个收货地区，或它不是区县及以下的地区。"
        freight = freight_of(region_id=None)
    return {
        **freight,
        "region_problem": region_problem,
        "listing": listing,
        "producer": listing.producer,
        "origin_region": listing.origin_region or listing.producer.region,
        "photos": list(listing.images.filter(status=ListingImage.Status.READY)
                       .order_by("position", "id")[:9]),
        "videos": origin_videos_of_listing(listing_id=listing.pk),
        "app_url": settings.APP_LINK_URL.format(listing_id=listing.pk),
        "pledge": _listing_pledge(listing),
        "claims": _listing_claims(listing),
        "certificates": certificate_selectors.listing_certificates(
            listing_id=listing.pk, producer_id=listing.producer_id),
        "verification": certificate_selectors.verification_public_of(
            producer_id=listing.producer_id),
        "presale_closed": listing.presale_closes_at is not None
        and listing.presale_closes_at <= timezone.now(),
    }


def _listing_claims(listing: Listing) -> dict:
    """The after-sales record /l/{id} shows: the farm's, and its newest harvest lot's (the
    one a buyer now gets), bad numbers included."""
    lot = (Batch.objects.filter(listing_id=listing.pk).order_by("-harvested_on", "-id")
           .values_list("pk", "lot_code").first())
    return {"farm": claims_selectors.farm_record(producer_id=listing.producer_id),
            "lot": None if lot is None else claims_selectors.lot_record(batch_id=lot[0]),
            "lot_code": None if lot is None else lot[1]}


def producer_profile(*, producer_id: int) -> Producer:
    """A farm or cooperative as anyone sees it (producers), with its 90-day claim rate
    (claims): composed here, above both, as producers may not read claims."""
    producer = producer_get(producer_id=producer_id)
    producer.claim_rate_90d = claims_selectors.farm_claim_rate_90d(producer_id=producer.pk)
    return producer


def _listing_pledge(listing: Listing) -> dict | None:
    pledge = getattr(listing, "benefit_pledge", None)
    if pledge is None:
        return None
    return {"project_id": pledge.project_id,
            "text": pledge_text(unit_name=listing.get_unit_display(), kind=pledge.kind,
                                value=pledge.value, project_title=pledge.project.title)}
