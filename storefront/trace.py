"""The trace JSON and the trace page, shaped from `selectors.trace_view`, and their ETag.

The ETag is weak and covers everything but the look count (`scans`, `first_scanned_at`):
every look changes the count, and a phone that already holds the page gets a 304 until
something else changes (the lot, the farm, a video, the copied-label warning). The count in a
304'd copy may be behind; the next change of anything else, or a request without
If-None-Match, brings it up to date.
"""

import hashlib
from typing import Any

from benefit.texts import pledge_text
from certificates.texts import BASIS_NAMES, CERTIFICATE_NAMES
from marketplace.renderers import dumps
from producers.models import Listing, Producer
from producers.tracecodes import qr_url, trace_url
from promotion.schemas import VideoPublicOut
from storefront.selectors import batch_member, media_url

UNIT_NAMES = dict(Listing.Unit.choices)
KIND_NAMES = dict(Producer.Kind.choices)
COUNT_FIELDS = ("scans", "first_scanned_at")


def trace_json(view: dict[str, Any]) -> dict[str, Any]:
    """TraceOut, field for field."""
    row = view["row"]
    return {
        "batch": {
            "id": row["id"], "lot_code": row["lot_code"], "trace_code": row["trace_code"],
            "harvested_on": row["harvested_on"], "quantity": row["quantity"],
            "shipped": row["shipped"], "notes": row["notes"],
            "certifications": view["labels"],
            "member": batch_member(row["member_id"], row["member__name"]),
            "trace_url": trace_url(row["trace_code"]), "qr_url": qr_url(row["trace_code"]),
        },
        "listing": {"id": row["listing_id"], "title": row["listing__title"]},
        "producer": {"id": row["listing__producer_id"], "name": row["listing__producer__name"],
                     "kind": row["listing__producer__kind"], "region": view["producer_region"],
                     "story": row["listing__producer__story"],
                     "verification": view["verification"]},
        "origin_region": view["origin_region"],
        "videos": [VideoPublicOut.from_orm(v).model_dump() for v in view["videos"]],
        "scans": view["scans"],
        "first_scanned_at": view["first_scanned_at"],
        "label_warning": view["label_warning"],
        "claims": view["claims"],
        "certificates": view["certificates"],
    }


def trace_page_context(view: dict[str, Any]) -> dict[str, Any]:
    """What storefront/trace.html shows (plain values: the template needs no model)."""
    row = view["row"]
    photo = view["photo"]
    return {
        "batch": {"lot_code": row["lot_code"], "trace_code": row["trace_code"],
                  "harvested_on": row["harvested_on"], "quantity": row["quantity"],
                  "shipped": row["shipped"], "notes": row["notes"],
                  "certifications": view["labels"],
                  "member_name": row["member__name"] or ""},
        "listing": {"title": row["listing__title"],
                    "unit_name": UNIT_NAMES.get(row["listing__unit"], row["listing__unit"]),
                    "growing_method": row["listing__growing_method"],
                    "price": row["listing__price"],
                    "harvest_start": row["listing__harvest_start"],
                    "harvest_end": row["listing__harvest_end"], "story": row["listing__story"],
                    "category_name": row["listing__category__name"]},
        "producer": {"name": row["listing__producer__name"],
                     "kind_name": KIND_NAMES.get(row["listing__producer__kind"],
                                                 row["listing__producer__kind"]),
                     "story": row["listing__producer__story"],
                     "region_path": view["producer_region"]["path"]},
        "origin_region_path": view["origin_region"]["path"],
        "photo": {"url": media_url(photo[0]), "width": photo[1], "height": photo[2]}
        if photo else None,
        "videos": [{"canonical_url": v.canonical_url, "thumbnail_url": v.thumbnail_url,
                    "title": v.title, "platform_name": v.get_platform_display()}
                   for v in view["videos"]],
        "scans": view["scans"],
        "first_scanned_at": view["first_scanned_at"],
        "label_warning": view["label_warning"],
        "pledge": _pledge(row),
        "claims": {**view["claims"], "lot_code": row["lot_code"]},
        "certificates": certificates_shown(view["certificates"]),
        "verification": view["verification"],
        "listing_url": listing_url(row["listing_id"], row["listing__status"]),
    }


def listing_url(listing_id: int, status: str) -> str | None:
    """Where the trace page sends a person to buy: /l/{id} while the listing is on sale."""
    return f"/l/{listing_id}" if status == Listing.Status.ACTIVE else None


def _pledge(row: dict[str, Any]) -> dict[str, Any] | None:
    if row["listing__benefit_pledge__project_id"] is None:
        return None
    return {"project_id": row["listing__benefit_pledge__project_id"],
            "text": pledge_text(unit_name=UNIT_NAMES.get(row["listing__unit"],
                                                         row["listing__unit"]),
                                kind=row["listing__benefit_pledge__kind"],
                                value=row["listing__benefit_pledge__value"],
                                project_title=row["listing__benefit_pledge__project__title"])}


def etag(data: dict[str, Any], representation: str) -> str:
    """A weak ETag over `data` without the look count."""
    rest = {k: v for k, v in data.items() if k not in COUNT_FIELDS}
    digest = hashlib.blake2b(dumps(rest), digest_size=16, key=representation.encode())
    return f'W/"{digest.hexdigest()}"'


def certificates_shown(certificates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The certificates as storefront/_certificates.html lists them (names, not codes)."""
    return [{**c, "name": CERTIFICATE_NAMES.get(c["kind"], c["kind"]),
             "basis_name": BASIS_NAMES.get((c["chengnuo"] or {}).get("basis"), "")}
            for c in certificates]
