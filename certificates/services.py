"""Every write of the certificates app: a seller's verification and its decision, a lot's
certificates and theirs, and the periodic expiry of both. Keyword-only, one transaction each.

Ids and credit codes are checked (their check characters), encrypted and forgotten: no error,
log line or answer carries one; a 422 names the field and says what is wrong."""

import calendar
import logging
from datetime import date
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from certificates import crypto, idnumbers, texts
from certificates.files import EXTENSIONS, sniffed_type
from certificates.models import Certificate, SellerVerification, VerificationFile
from marketplace import microcache
from marketplace.errors import Conflict, InvalidState, ValidationFailed
from notify import notify
from producers.models import Batch, Producer, Region

logger = logging.getLogger(__name__)

MAX_FILES = 5
# the kinds that need a business registration, and so a credit code and a licence file
REGISTERED = {"individual_business", "company", "cooperative"}
# documents staff verify; which of them must say when they expire
STAFF_VERIFIED = {"green", "organic", "gi", "sc", "test_report"}
EXPIRY_REQUIRED = {"green", "organic", "sc"}


def invalid(**fields: tuple[str, str]) -> ValidationFailed:
    """A 422 naming each field with its code (API.md: `required`, `out_of_range`, ...)."""
    return ValidationFailed([{"field": field, "message": message, "code": code}
                             for field, (code, message) in fields.items()])


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- A seller's verification -------------------------------------------------------------------

def _number_checked(*, kind: str, id_number: str | None,
                    credit_code: str | None) -> tuple[str, str]:
    """(number kind, the normalised number) for a verification of `kind`, or a 422 naming the
    field. Never repeats the number."""
    id_number = (id_number or "").strip()
    credit_code = (credit_code or "").strip()
    if id_number and credit_code:
        raise invalid(credit_code=("invalid_choice",
                                   "Give either id_number or credit_code, not both."))
    if kind in REGISTERED:
        if not credit_code:
            raise invalid(credit_code=("required", "A registered business gives its unified "
                                                   "social credit code."))
        code = idnumbers.credit_code_normalised(credit_code)
        problem = idnumbers.credit_code_problem(code)
        if problem:
            raise invalid(credit_code=("invalid_format", problem))
        return SellerVerification.NumberKind.CREDIT_CODE, code
    if not id_number:
        raise invalid(id_number=("required", "A farmer selling their own produce gives the "
                                             "18-digit resident identity number."))
    number = idnumbers.id_number_normalised(id_number)
    problem = idnumbers.id_number_problem(number)
    if problem:
        raise invalid(id_number=("invalid_format", problem))
    return SellerVerification.NumberKind.ID_NUMBER, number


def verification_submit(*, producer: Producer, kind: str, name: str, id_number: str | None = None,
                        credit_code: str | None = None,
                        files: list[UploadedFile] | None = None) -> SellerVerification:
    """The farm asks to be verified (again): `pending` until staff decide. A registered
    business needs a licence file; a farmer selling their own produce may add an id photo.
    One waiting already: 409 `verification_pending`."""
    files = list(files or [])
    name = (name or "").strip()
    if not name:
        raise invalid(name=("required", "The name on the licence or id card is required."))
    number_kind, number = _number_checked(kind=kind, id_number=id_number,
                                          credit_code=credit_code)
    if kind in REGISTERED and not files:
        raise invalid(files=("required", "A registered business uploads its business licence "
                                         "(营业执照): a PDF or a photo."))
    if len(files) > MAX_FILES:
        raise invalid(files=("too_long", f"At most {MAX_FILES} files."))
    types = [sniffed_type(upload, field="files") for upload in files]
    now = timezone.now()
    stored: list[str] = []
    with transaction.atomic():
        current = (SellerVerification.objects.select_for_update()
                   .filter(producer=producer).first())
        if current is not None and current.status == SellerVerification.Status.PENDING:
            raise Conflict("A verification of this farm is waiting for staff already.",
                           code="verification_pending")
        old_files = list(current.files.all()) if current is not None else []
        verification = current or SellerVerification(producer=producer)
        verification.kind, verification.name = kind, name
        verification.number_kind = number_kind
        verification.number_token = crypto.encrypt(number)
        verification.number_fingerprint = crypto.fingerprint(number)
        verification.number_masked = idnumbers.masked(number)
        verification.status = SellerVerification.Status.PENDING
        verification.reason, verification.submitted_at = "", now
        verification.verified_at = verification.recheck_due = verification.decided_by = None
        verification.save()
        for item in old_files:
            item.delete()
        try:
            for upload, content_type in zip(files, types, strict=True):
                row = VerificationFile(verification=verification, content_type=content_type,
                                       size=upload.size or 0)
                row.file.save(f"seller-{producer.pk}.{EXTENSIONS[content_type]}", upload,
                              save=False)
                stored.append(row.file.name)
                row.save()
        except Exception:
            _delete_files([*stored])
            raise
        transaction.on_commit(lambda: _delete_files([f.file.name for f in old_files]))
        microcache.bump("listings")
    logger.info("verification of producer %s submitted (%s)", producer.pk, kind)
    return verification


def _delete_files(names: list[str]) -> None:
    from certificates.models import private_storage

    for name in names:
        try:
            private_storage().delete(name)
        except Exception:  # a file left behind is harmless; the row is what counts
            logger.warning("could not delete a stored certificate file", exc_info=True)


def verification_decide(*, verification_id: int, verified: bool, reason: str = "",
                        staff: User | None = None) -> SellerVerification:
    """Staff verify a waiting verification (re-checked SELLER_RECHECK_MONTHS on) or reject it
    with a reason; the farm is told. Not waiting: 409 invalid_state."""
    reason = (reason or "").strip()
    if not verified and not reason:
        raise invalid(reason=("required", "Say why the verification is rejected."))
    now = timezone.now()
    today = timezone.localdate()
    status = (SellerVerification.Status.VERIFIED if verified
              else SellerVerification.Status.REJECTED)
    with transaction.atomic():
        changed = SellerVerification.objects.filter(
            pk=verification_id, status=SellerVerification.Status.PENDING).update(
            status=status, reason=reason, decided_by=staff,
            verified_at=now if verified else None,
            recheck_due=add_months(today, settings.SELLER_RECHECK_MONTHS) if verified else None)
        if not changed:
            raise InvalidState("This verification is not waiting for a decision.")
        verification = SellerVerification.objects.select_related("producer").get(
            pk=verification_id)
        body = (f"您的商家资质已核验通过，请于 {verification.recheck_due:%Y年%m月%d日} 前复核。"
                if verified else f"您的商家资质未通过审核：{reason}。请修改后重新提交。")
        notify(user_id=verification.producer.user_id, event="verification_result",
               key=f"verification:{verification.pk}:{verification.submitted_at.isoformat()}",
               title="商家资质已核验" if verified else "商家资质未通过审核", body=body,
               data={"status": status})
        microcache.bump("listings")
    logger.info("verification %s %s", verification_id, status)
    return verification


def verifications_expire(*, today: date | None = None) -> int:
    """Verified sellers whose re-check is due: `expired`, and each farm is told (once per due
    date, however often this runs)."""
    today = today or timezone.localdate()
    due = list(SellerVerification.objects.filter(
        status=SellerVerification.Status.VERIFIED, recheck_due__lte=today)
        .values_list("pk", flat=True)[:1000])
    expired = 0
    for pk in due:
        with transaction.atomic():
            if not SellerVerification.objects.filter(
                    pk=pk, status=SellerVerification.Status.VERIFIED,
                    recheck_due__lte=today).update(status=SellerVerification.Status.EXPIRED):
                continue
            verification = SellerVerification.objects.select_related("producer").get(pk=pk)
            notify(user_id=verification.producer.user_id, event="verification_expired",
                   key=f"verification:{pk}:{verification.recheck_due.isoformat()}",
                   title="商家资质需要复核",
                   body=("按照电子商务法，平台每六个月复核一次商家资质。您的资质已到复核日期，"
                         "请重新提交身份证明或营业执照。复核前店铺不显示“已核验”。"),
                   data={"status": "expired"})
            expired += 1
    if expired:
        microcache.bump("listings", on_commit=False)
        logger.info("%d seller verifications due for their re-check", expired)
    return expired


# --- Certificates ------------------------------------------------------------------------------

def _certificate_problems(*, kind: str, number: str, issuer: str, issued_on: date,
                          expires_on: date | None, file: UploadedFile | None,
                          today: date) -> dict[str, tuple[str, str]]:
    errors: dict[str, tuple[str, str]] = {}
    if issued_on > today:
        errors["issued_on"] = ("out_of_range", "A certificate cannot be issued in the future.")
    if expires_on is not None and expires_on < issued_on:
        errors["expires_on"] = ("out_of_range", "A certificate cannot expire before it was "
                                              "issued.")
    elif expires_on is not None and expires_on < today:
        errors["expires_on"] = ("out_of_range", "This certificate has expired already.")
    if kind in STAFF_VERIFIED:
        if not number:
            errors["number"] = ("required", "The certificate's number is required (of a test "
                                            "report: the lab's CMA number).")
        if not issuer:
            errors["issuer"] = ("required",
                                "Who issued it is required (of a test report: the lab).")
        if file is None:
            errors["file"] = ("required", "Upload the certificate (a PDF or a photo) for staff to "
                                        "check.")
        if kind in EXPIRY_REQUIRED and expires_on is None:
            errors["expires_on"] = ("required", "This kind of certificate has an expiry date: "
                                          "give it.")
    return errors


def _sources(*, batch: Batch, source_batch_ids: list[int]) -> list[dict[str, Any]]:
    """The members' lots a cooperative's lot was made of, as its certificate lists them."""
    if not source_batch_ids:
        return []
    producer = batch.listing.producer
    if producer.kind != Producer.Kind.COOPERATIVE:
        raise invalid(source_batch_ids=(
            "invalid_choice", "Only a cooperative's lot is made of its members' lots."))
    lots = {lot.pk: lot for lot in Batch.objects.select_related("member").filter(
        pk__in=source_batch_ids, listing__producer=producer, member__isnull=False)}
    missing = [pk for pk in source_batch_ids if pk not in lots or pk == batch.pk]
    if missing:
        raise invalid(source_batch_ids=(
            "invalid_choice",
            f"Not a member's lot of this cooperative: {', '.join(map(str, missing))}."))
    return [{"batch_id": lot.pk, "lot_code": lot.lot_code, "trace_code": lot.trace_code,
             "member": lot.member.name} for lot in (lots[pk] for pk in dict.fromkeys(
                 source_batch_ids))]


def certificate_add(*, batch: Batch | None = None, producer: Producer, kind: str,
                    issued_on: date | None = None, number: str = "", issuer: str = "",
                    expires_on: date | None = None, file: UploadedFile | None = None,
                    product: str | None = None, quantity: str | None = None,
                    origin_region_id: int | None = None, committed_by: str | None = None,
                    contact: str | None = None, basis: str | None = None,
                    commitment: str | None = None,
                    source_batch_ids: list[int] | None = None) -> Certificate:
    """A certificate of the farm's lot `batch` (or, `batch` None, of the whole farm). A
    承诺达标合格证 is the farm's own promise (`self_declared`), its fields defaulting from the
    lot, listing and farm; any other kind waits for staff (`pending`) with its file."""
    today = timezone.localdate()
    number, issuer = (number or "").strip(), (issuer or "").strip()
    is_chengnuo = kind == Certificate.Kind.CHENGNUO_HEGE
    if is_chengnuo and batch is None:
        raise invalid(kind=("invalid_choice", "A 承诺达标合格证 is issued for a lot."))
    issued_on = issued_on or today
    errors = _certificate_problems(kind=kind, number=number, issuer=issuer, issued_on=issued_on,
                                   expires_on=expires_on, file=file, today=today)
    if is_chengnuo and not basis:
        errors["basis"] = ("required", "Say what the promise rests on: self_control, own_test "
                                      "or commissioned_test.")
    region = None
    if origin_region_id is not None:
        region = Region.objects.filter(pk=origin_region_id).first()
        if region is None:
            errors["origin_region_id"] = ("invalid_choice", "No such region.")
    if errors:
        raise invalid(**errors)
    content_type = sniffed_type(file) if file is not None else ""
    certificate = Certificate(
        producer=producer, batch=batch, kind=kind, number=number, issuer=issuer,
        issued_on=issued_on, expires_on=expires_on, content_type=content_type,
        status=Certificate.Status.SELF_DECLARED if is_chengnuo else Certificate.Status.PENDING)
    if is_chengnuo:
        listing = batch.listing
        unit = listing.get_unit_display()
        certificate.product = (product or "").strip() or listing.title
        certificate.quantity = ((quantity or "").strip()
                                or (f"{batch.quantity} {unit}" if batch.quantity else ""))
        certificate.origin_region = region or listing.origin_region or producer.region
        certificate.committed_by = (committed_by or "").strip() or producer.name
        certificate.contact = (contact or "").strip() or producer.phone
        certificate.basis = basis
        certificate.commitment = (commitment or "").strip() or texts.COMMITMENT
        certificate.sources = _sources(batch=batch, source_batch_ids=source_batch_ids or [])
    stored = None
    if file is not None:
        certificate.file.save(f"{kind}-{producer.pk}.{EXTENSIONS[content_type]}", file,
                              save=False)
        stored = certificate.file.name
    try:
        certificate.save()
    except Exception:
        if stored:
            _delete_files([stored])
        raise
    return certificate


def certificate_decide(*, certificate_id: int, verified: bool, reason: str = "",
                       staff: User | None = None) -> Certificate:
    """Staff verify a waiting certificate or reject it with a reason; the farm is told."""
    reason = (reason or "").strip()
    if not verified and not reason:
        raise invalid(reason=("required", "Say why the certificate is rejected."))
    status = Certificate.Status.VERIFIED if verified else Certificate.Status.REJECTED
    with transaction.atomic():
        if not Certificate.objects.filter(pk=certificate_id,
                                          status=Certificate.Status.PENDING).update(
                status=status, reason=reason, decided_by=staff,
                verified_at=timezone.now() if verified else None):
            raise InvalidState("This certificate is not waiting for a decision.")
        certificate = Certificate.objects.select_related("producer").get(pk=certificate_id)
        name = texts.CERTIFICATE_NAMES[certificate.kind]
        notify(user_id=certificate.producer.user_id, event="certificate_result",
               key=f"certificate:{certificate.pk}",
               title=f"{name}已核验" if verified else f"{name}未通过审核",
               body=(f"您上传的{name}（{certificate.number}）已核验，将显示在商品和溯源页上。"
                     if verified else
                     f"您上传的{name}（{certificate.number}）未通过审核：{reason}。"),
               data={"certificate_id": certificate.pk, "status": status})
        microcache.bump("listings")
    return certificate


def certificates_expire(*, today: date | None = None) -> int:
    """Certificates past their expiry date: `expired` (they stop showing)."""
    today = today or timezone.localdate()
    count = Certificate.objects.filter(
        status__in=[Certificate.Status.VERIFIED, Certificate.Status.PENDING,
                    Certificate.Status.SELF_DECLARED],
        expires_on__lt=today).update(status=Certificate.Status.EXPIRED)
    if count:
        microcache.bump("listings", on_commit=False)
    return count
