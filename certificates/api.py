"""The farm's routes for its verification and its certificates. Uploads are multipart forms:
the fields as form fields, the files as `files` (a verification) or `file` (a certificate)."""

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from accounts.auth import bearer
from certificates import selectors, services
from certificates.schemas import CertificateIn, CertificateOut, VerificationIn, VerificationOut
from marketplace.idempotency import idempotent
from marketplace.pagination import PageParams, page_schema, paginate
from marketplace.schemas import PathId
from producers.selectors import producer_for_user

router = Router(tags=["certificates"])


@router.post("/producers/me/verification", response={201: VerificationOut}, auth=bearer)
@idempotent(VerificationOut, status=201)
def verification_submit(request: HttpRequest, payload: Form[VerificationIn],
                        files: File[list[UploadedFile]] = None):
    """Ask to be verified as a seller (E-commerce Law art. 27), or again after a rejection or
    the six-monthly re-check: `pending` until staff decide in the admin. A farmer selling their
    own produce gives the resident id number; a business, company or cooperative the unified
    social credit code and its licence (`files`: PDF, JPEG, PNG or WebP). A wrong check
    character is 422 naming the field; a file of another type 415. The number is stored
    encrypted and never shown again. One waiting already: 409 `verification_pending`."""
    producer = producer_for_user(request.auth)
    verification = services.verification_submit(producer=producer, files=files,
                                                 **payload.dict())
    return Status(201, selectors.verification_out(verification))


@router.get("/producers/me/verification", response=VerificationOut, auth=bearer)
def verification_detail(request: HttpRequest):
    """The caller's verification (with staff's reason when rejected); none yet: 404."""
    verification = selectors.verification_of(producer=producer_for_user(request.auth))
    return selectors.verification_out(verification)


@router.post("/batches/{batch_id}/certificates", response={201: CertificateOut}, auth=bearer)
@idempotent(CertificateOut, status=201)
def certificate_add(request: HttpRequest, batch_id: PathId, payload: Form[CertificateIn],
                    file: File[UploadedFile] = None):
    """A certificate of the caller's lot. `chengnuo_hege` (承诺达标合格证) is the farm's own
    promise, issued at once (`self_declared`) with a label to print at `url`; its fields default
    from the lot, listing and farm, `basis` is required, and a cooperative lists the members'
    lots it was made of (`source_batch_ids`). The other kinds upload the document (`file`) and
    wait for staff (`pending`). Someone else's lot: 404; `expires_on` before `issued_on`: 422;
    a file not a PDF or an image: 415."""
    batch = selectors.batch_owned(user=request.auth, batch_id=batch_id)
    certificate = services.certificate_add(batch=batch, producer=batch.listing.producer,
                                           file=file, **payload.dict())
    return Status(201, selectors.certificate_out(certificate))


@router.get("/batches/{batch_id}/certificates", response=page_schema(CertificateOut),
            auth=bearer)
def certificate_list(request: HttpRequest, batch_id: PathId, params: Query[PageParams]):
    """Every certificate of the caller's lot, whatever its status (with staff's decision);
    a cursor page."""
    batch = selectors.batch_owned(user=request.auth, batch_id=batch_id)
    page = paginate(selectors.batch_certificates(batch=batch), params, ordering=["id"])
    return {"items": [selectors.certificate_out(c) for c in page.items],
            "next_cursor": page.next_cursor}


@router.post("/producers/me/certificates", response={201: CertificateOut}, auth=bearer)
@idempotent(CertificateOut, status=201)
def farm_certificate_add(request: HttpRequest, payload: Form[CertificateIn],
                         file: File[UploadedFile] = None):
    """A certificate of the whole farm (an SC licence, a 地理标志 authorisation, a farm's
    organic certificate covering all it grows): uploaded for staff like a lot's. A
    `chengnuo_hege` is issued per lot (POST /batches/{id}/certificates): 422 here."""
    producer = producer_for_user(request.auth)
    certificate = services.certificate_add(batch=None, producer=producer, file=file,
                                           **payload.dict())
    return Status(201, selectors.certificate_out(certificate))
