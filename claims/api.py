"""The claims' routes (API.md "Claims"): the buyer opens and replies, the farm answers, both
add evidence; each calls one service or selector and answers with the claim as its parties see
it."""

from functools import wraps

from django.conf import settings
from django.http import HttpRequest
from ninja import File, Query, Router, Status, UploadedFile
from ninja.decorators import decorate_view

from accounts.auth import bearer
from accounts.throttling import account_throttle
from claims import selectors, services
from claims.schemas import (
    ClaimIn,
    ClaimOut,
    ClaimQuery,
    EscalateIn,
    EvidenceOut,
    ProposeIn,
    RejectIn,
)
from marketplace.errors import PayloadTooLarge, domain_error_response
from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema
from marketplace.schemas import PathId

router = Router(tags=["claims"])
MULTIPART_OVERHEAD = 64 * 1024


def refuse_oversized_upload(run):
    """A 413 before the body is read when its Content-Length is already over what a photo or
    a video may be."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args, **kwargs):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = max(settings.LISTING_IMAGE_MAX_BYTES, settings.CLAIM_VIDEO_MAX_BYTES)
        if length > limit + MULTIPART_OVERHEAD:
            return domain_error_response(PayloadTooLarge(
                f"The upload is {length:,} bytes; at most {limit:,} are accepted.",
                code="video_too_large", details={"size": length, "max_bytes": limit}))
        return run(request, *args, **kwargs)

    return wrapper


def _claim(request: HttpRequest, claim_id: int):
    return selectors.claim_get(user=request.auth, claim_id=claim_id)


@router.post("/orders/{order_id}/claims", response={201: ClaimOut}, auth=bearer)
@idempotent(ClaimOut, status=201)
def claim_open(request: HttpRequest, order_id: PathId, payload: ClaimIn):
    """The buyer claims on a parcel (售后). Another buyer's order or parcel -> 404; a line not
    in the parcel, a quantity above the line's, a damage level not in the list -> 422 naming
    the field; outside the window -> 409 `claim_window_closed`; a parcel with a claim going on
    -> 409 `claim_open`; a line claimed 5 times -> 409 `claim_limit_reached`. Honours
    `Idempotency-Key`."""
    claim = services.claim_open(order_id=order_id, user=request.auth,
                                shipment_id=payload.shipment_id, kind=payload.kind,
                                lines=[line.dict() for line in payload.lines], note=payload.note)
    return Status(201, _claim(request, claim.pk))


@router.get("/claims", response=page_schema(ClaimOut), auth=bearer)
def claim_list(request: HttpRequest, query: Query[ClaimQuery], params: Query[PageParams]):
    """The caller's claims as buyer, or (role=farm) the claims on the caller's parcels; newest
    first; `status` filters."""
    page = selectors.claim_list(user=request.auth, role=query.role,
                                filters={"status": query.status}, params=params)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/claims/{claim_id}", response=ClaimOut, auth=bearer)
def claim_detail(request: HttpRequest, claim_id: PathId):
    """One claim, for its buyer or its farm; anyone else 404."""
    return _claim(request, claim_id)


@router.post("/claims/{claim_id}/evidence", response={201: EvidenceOut}, auth=bearer,
             throttle=account_throttle("IMAGE_UPLOAD_THROTTLE_RATE", "claim-evidence"))
@decorate_view(refuse_oversized_upload)
@idempotent(EvidenceOut, status=201)
def claim_evidence_add(request: HttpRequest, claim_id: PathId, file: File[UploadedFile]):
    """A photo (JPEG, PNG, WebP) or short video (MP4, QuickTime) on the claim, by its buyer or
    its farm (multipart field `file`). EXIF and GPS are removed from photos and metadata boxes
    from videos; a photo taken before the parcel shipped is flagged. A finished claim -> 409
    `invalid_state`; more than CLAIM_EVIDENCE_MAX -> 409 `too_many_evidence`."""
    item = services.claim_evidence_add(claim_id=claim_id, user=request.auth, file=file,
                                       size=file.size)
    return Status(201, item)


@router.post("/shipments/{shipment_id}/evidence", response={201: EvidenceOut}, auth=bearer,
             throttle=account_throttle("IMAGE_UPLOAD_THROTTLE_RATE", "shipment-evidence"))
@decorate_view(refuse_oversized_upload)
@idempotent(EvidenceOut, status=201)
def shipment_evidence_add(request: HttpRequest, shipment_id: PathId, file: File[UploadedFile]):
    """The farm's photo or video of the packed box (multipart field `file`): shown with any
    claim on the parcel. The buyer -> 403; anyone else 404."""
    item = services.shipment_evidence_add(shipment_id=shipment_id, user=request.auth,
                                          file=file, size=file.size)
    return Status(201, item)


@router.post("/claims/{claim_id}/accept", response=ClaimOut, auth=bearer)
@idempotent(ClaimOut)
def claim_accept(request: HttpRequest, claim_id: PathId):
    """The farm accepts what the buyer asks; the buyer is refunded it."""
    services.claim_accept(claim_id=claim_id, user=request.auth)
    return _claim(request, claim_id)


@router.post("/claims/{claim_id}/reject", response=ClaimOut, auth=bearer)
@idempotent(ClaimOut)
def claim_reject(request: HttpRequest, claim_id: PathId, payload: RejectIn):
    """The farm refuses, with its reasons and evidence (its packing evidence or evidence on the
    claim; none -> 422 on `evidence`). After `respond_by` -> 409 `claim_window_closed`."""
    services.claim_reject(claim_id=claim_id, user=request.auth, note=payload.note)
    return _claim(request, claim_id)


@router.post("/claims/{claim_id}/propose", response=ClaimOut, auth=bearer)
@idempotent(ClaimOut)
def claim_propose(request: HttpRequest, claim_id: PathId, payload: ProposeIn):
    """The farm offers other damage levels for lines of the claim (a line not in the claim ->
    422 naming it). After `respond_by` -> 409 `claim_window_closed`."""
    services.claim_propose(claim_id=claim_id, user=request.auth,
                           lines=[line.dict() for line in payload.lines], note=payload.note)
    return _claim(request, claim_id)


@router.post("/claims/{claim_id}/accept-proposal", response=ClaimOut, auth=bearer)
@idempotent(ClaimOut)
def claim_accept_proposal(request: HttpRequest, claim_id: PathId):
    """The buyer takes the farm's offer."""
    services.claim_accept_proposal(claim_id=claim_id, user=request.auth)
    return _claim(request, claim_id)


@router.post("/claims/{claim_id}/escalate", response=ClaimOut, auth=bearer)
@idempotent(ClaimOut)
def claim_escalate(request: HttpRequest, claim_id: PathId, payload: EscalateIn):
    """The buyer asks staff to decide a rejection or a proposal, within 7 days of it (after
    -> 409 `claim_window_closed`)."""
    services.claim_escalate(claim_id=claim_id, user=request.auth, note=payload.note)
    return _claim(request, claim_id)


@router.post("/claims/{claim_id}/withdraw", response=ClaimOut, auth=bearer)
@idempotent(ClaimOut)
def claim_withdraw(request: HttpRequest, claim_id: PathId):
    """The buyer withdraws a claim not yet settled."""
    services.claim_withdraw(claim_id=claim_id, user=request.auth)
    return _claim(request, claim_id)
