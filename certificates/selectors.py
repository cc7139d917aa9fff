"""Every read of the certificates app: the farm's own (its verification, its lots'
certificates) and what the public read side (storefront) shows of them.

What shows: a certificate `self_declared` (the farm's 承诺达标合格证) or `verified` by staff,
not past its `expires_on` (the hourly task marks it `expired`; until it runs, the date itself
hides it). A seller is `verified` while its verification is."""

from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import OuterRef, Q
from django.utils import timezone

from accounts.models import User
from certificates import texts
from certificates.models import Certificate, SellerVerification
from marketplace.errors import NotFound
from marketplace.schemas import MAX_ID
from marketplace.sql import JSONRows
from producers.models import Batch, Producer

SHOWN = (Certificate.Status.SELF_DECLARED, Certificate.Status.VERIFIED)


def batch_owned(*, user: User, batch_id: int) -> Batch:
    """The lot `batch_id` if the caller's farm grew it; anyone else's is not there (404)."""
    batch = (Batch.objects.select_related("listing__producer__region", "listing__origin_region")
             .filter(pk=batch_id, listing__producer__user=user).first())
    if batch is None:
        raise NotFound("No such harvest lot of yours.", code="batch_not_found")
    return batch


def verification_of(*, producer: Producer) -> SellerVerification:
    verification = SellerVerification.objects.filter(producer=producer).first()
    if verification is None:
        raise NotFound("This farm has not asked to be verified.",
                       code="verification_not_found")
    return verification


def verification_out(verification: SellerVerification | None) -> dict[str, Any] | None:
    """VerificationOut (never the number)."""
    if verification is None:
        return None
    return {"kind": verification.kind, "status": verification.status,
            "verified_at": verification.verified_at, "recheck_due": verification.recheck_due,
            "reason": verification.reason or None,
            "text": texts.seller_line({"kind": verification.kind,
                                       "status": verification.status})}


def label_url(certificate: Certificate) -> str | None:
    if certificate.kind != Certificate.Kind.CHENGNUO_HEGE or certificate.batch_id is None:
        return None
    return f"{settings.SITE_URL}/batches/{certificate.batch_id}/certificates/{certificate.pk}.png"


def certificate_out(certificate: Certificate) -> dict[str, Any]:
    """CertificateOut, from a model row."""
    chengnuo = None
    if certificate.kind == Certificate.Kind.CHENGNUO_HEGE:
        region = certificate.origin_region
        chengnuo = {"product": certificate.product, "quantity": certificate.quantity,
                    "origin_region": region.path if region is not None else "",
                    "committed_by": certificate.committed_by, "contact": certificate.contact,
                    "basis": certificate.basis, "commitment": certificate.commitment,
                    "sources": certificate.sources}
    return {"id": certificate.pk, "kind": certificate.kind, "number": certificate.number,
            "issuer": certificate.issuer, "issued_on": certificate.issued_on,
            "expires_on": certificate.expires_on, "status": certificate.status,
            "url": label_url(certificate), "batch_id": certificate.batch_id,
            "chengnuo": chengnuo}


def label_certificate(*, batch_id: int, certificate_id: int) -> Certificate:
    """A 承诺达标合格证 of a lot, for its label; anything else is not there."""
    if not (0 < batch_id <= MAX_ID and 0 < certificate_id <= MAX_ID):
        raise NotFound("No such certificate.", code="certificate_not_found")
    certificate = (Certificate.objects
                   .select_related("batch", "origin_region")
                   .filter(pk=certificate_id, batch_id=batch_id,
                           kind=Certificate.Kind.CHENGNUO_HEGE)
                   .exclude(status=Certificate.Status.REJECTED).first())
    if certificate is None:
        raise NotFound("No such certificate.", code="certificate_not_found")
    return certificate


# --- For the public read side (storefront) ---------------------------------------------------

def _unexpired(expires_on, today: date) -> bool:
    if expires_on is None:
        return True
    if isinstance(expires_on, str):
        expires_on = date.fromisoformat(expires_on)
    return expires_on >= today


CERTIFIED_COLUMNS = ["kind", "expires_on"]


def certified_rows(listing_ref: str = "pk", producer_ref: str = "producer_id") -> JSONRows:
    """For a card query: the kinds (and expiry) of the verified certificates on the listing's
    lots or its farm, as JSON rows in the listing's own row (no query of their own)."""
    queryset = (Certificate.objects
                .filter(status=Certificate.Status.VERIFIED)
                .filter(Q(batch__listing_id=OuterRef(listing_ref))
                        | Q(batch__isnull=True, producer_id=OuterRef(producer_ref)))
                .order_by("kind", "id"))
    return JSONRows(queryset, CERTIFIED_COLUMNS)


def certified_kinds(rows: list[list], today: date | None = None) -> list[str]:
    """The kinds of certified_rows still valid today, each once, in a steady order."""
    today = today or timezone.localdate()
    kinds = {kind for kind, expires_on in rows if _unexpired(expires_on, today)}
    return [kind for kind in Certificate.Kind.values if kind in kinds]


def certified_filter(kind: str) -> Q:
    """Listings with a verified, unexpired certificate of `kind` on a lot or the farm (the
    catalog's `certified=`)."""
    from django.db.models import Exists
    from django.db.models.functions import Now, TruncDate

    valid = (Q(status=Certificate.Status.VERIFIED, kind=kind)
             & (Q(expires_on__isnull=True) | Q(expires_on__gte=TruncDate(Now()))))
    on_lots = Certificate.objects.filter(valid, batch__listing_id=OuterRef("pk"))
    on_farm = Certificate.objects.filter(valid, batch__isnull=True,
                                         producer_id=OuterRef("producer_id"))
    return Q(Exists(on_lots)) | Q(Exists(on_farm))


TRACE_COLUMNS = ["id", "kind", "number", "issuer", "issued_on", "expires_on", "status",
                 "batch_id", "product", "quantity", "origin_path", "committed_by", "contact",
                 "basis", "commitment", "sources"]


def trace_rows(batch_ref: str = "pk", producer_ref: str = "listing__producer_id") -> JSONRows:
    """For the trace query: the certificates shown with a lot (its own and its farm's), as
    JSON rows in the lot's own row."""
    from django.db.models import F

    queryset = (Certificate.objects.filter(status__in=SHOWN)
                .filter(Q(batch_id=OuterRef(batch_ref))
                        | Q(batch__isnull=True, producer_id=OuterRef(producer_ref)))
                .annotate(origin_path=F("origin_region__path"))
                .order_by("id"))
    return JSONRows(queryset, TRACE_COLUMNS)


def _as_date(value):
    return date.fromisoformat(value) if isinstance(value, str) else value


def shown_certificates(rows: list[list], today: date | None = None) -> list[dict[str, Any]]:
    """trace_rows as CertificateOut, the expired ones left out."""
    import json

    today = today or timezone.localdate()
    shown = []
    for row in rows:
        item = dict(zip(TRACE_COLUMNS, row, strict=True))
        if not _unexpired(item["expires_on"], today):
            continue
        sources = item["sources"]
        if isinstance(sources, str):
            sources = json.loads(sources)
        chengnuo = None
        if item["kind"] == Certificate.Kind.CHENGNUO_HEGE:
            chengnuo = {"product": item["product"], "quantity": item["quantity"],
                        "origin_region": item["origin_path"] or "",
                        "committed_by": item["committed_by"], "contact": item["contact"],
                        "basis": item["basis"], "commitment": item["commitment"],
                        "sources": sources or []}
        url = None
        if chengnuo is not None and item["batch_id"] is not None:
            url = (f"{settings.SITE_URL}/batches/{item['batch_id']}/certificates/"
                   f"{item['id']}.png")
        shown.append({"id": item["id"], "kind": item["kind"], "number": item["number"],
                      "issuer": item["issuer"], "issued_on": _as_date(item["issued_on"]),
                      "expires_on": _as_date(item["expires_on"]), "status": item["status"],
                      "url": url, "batch_id": item["batch_id"], "chengnuo": chengnuo})
    return shown


def verification_public(*, kind: str | None, status: str | None, verified_at=None,
                        recheck_due=None) -> dict[str, Any] | None:
    """VerificationOut from joined columns (a LEFT JOIN gives None when the farm has none)."""
    if status is None:
        return None
    return {"kind": kind, "status": status, "verified_at": verified_at,
            "recheck_due": _as_date(recheck_due), "reason": None,
            "text": texts.seller_line({"kind": kind, "status": status})}


def listing_certificates(*, listing_id: int, producer_id: int) -> list[dict[str, Any]]:
    """What /l/{id} shows: the shown certificates of the listing's lots and of its farm."""
    today = timezone.localdate()
    queryset = (Certificate.objects.select_related("origin_region")
                .filter(status__in=SHOWN)
                .filter(Q(batch__listing_id=listing_id)
                        | Q(batch__isnull=True, producer_id=producer_id))
                .order_by("id"))
    return [certificate_out(c) for c in queryset if _unexpired(c.expires_on, today)]


def verification_public_of(*, producer_id: int) -> dict[str, Any] | None:
    verification = SellerVerification.objects.filter(producer_id=producer_id).first()
    if verification is None:
        return None
    return verification_public(kind=verification.kind, status=verification.status,
                               verified_at=verification.verified_at,
                               recheck_due=verification.recheck_due)



def batch_certificates(*, batch: Batch):
    """The farm's own list of a lot's certificates, whatever their status."""
    return Certificate.objects.select_related("origin_region").filter(batch=batch)
