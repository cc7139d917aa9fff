"""Every write of the benefit app: pledges (a farm's per listing, a promoter's of their own
commission), their snapshot on an order's lines, disbursements, and the videos a charity's
people post of a project's work (promotion keeps the videos and links; benefit says who may
film a project and link to it, and calls promotion's services).

The money moves in the books (`books.services.payment_post` and the refund, cancellation and
release postings); the public ledger follows every posting on a project's accounts
(`benefit.ledger.record_posting`, in the posting's transaction)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from benefit import ledger as public_ledger
from benefit.models import (
    Charity,
    Disbursement,
    LinePledge,
    ListingPledge,
    PledgeKind,
    Project,
    PromoterPledge,
)
from benefit.pledges import pledge_amount
from benefit.tasks import notify_disbursed as notify_disbursed_task
from ledger import posting
from ledger.amounts import fen, yuan
from ledger.models import Account, Entry, LedgerTransaction
from ledger.posting import Line
from marketplace import microcache
from marketplace.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from marketplace.money import finer_than_cent, money
from notify import notify
from orders.models import Order, OrderLine
from outbox import enqueue
from producers.models import Listing
from promotion import selectors as promotion_selectors
from promotion import services as promotion_services
from promotion.models import Link, Promoter, Video

PERCENT_MIN, PERCENT_MAX = Decimal("0.1"), Decimal("100")
CENT = Decimal("0.01")


def _open_project(project_id: int) -> Project:
    """A project that takes pledges: unknown -> 422 on `project_id`; closed (or past its end
    date) -> 409 `project_closed`."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise ValidationFailed({"project_id": "No such project."}, code="project_not_found")
    if not project_is_open(project):
        raise Conflict(f"The project «{project.title}» is closed and takes no new pledges.",
                       code="project_closed", details={"project_id": project.pk})
    return project


def project_is_open(project: Project, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return project.status == Project.Status.ACTIVE and (
        project.ends_on is None or project.ends_on >= today)


def _checked_value(kind: str, value: Decimal, *, price: Decimal | None = None) -> Decimal:
    if not value.is_finite():
        raise ValidationFailed({"value": "Not a number."})
    if kind == PledgeKind.PERCENT:
        if not PERCENT_MIN <= value <= PERCENT_MAX:
            raise ValidationFailed({"value": "A percent from 0.1 to 100."})
    elif not CENT <= value <= price:
        raise ValidationFailed(
            {"value": f"An amount per unit from 0.01 to the unit price ({price})."})
    if finer_than_cent(value):
        raise ValidationFailed({"value": "At most two decimal places."})
    return value.quantize(CENT)


def listing_pledge_set(*, listing: Listing, project_id: int, kind: str,
                       value: Decimal) -> ListingPledge:
    """The farm pledges on its own listing (the caller has been checked to own it): replaces
    any pledge it had; orders placed from now on carry it."""
    value = _checked_value(kind, value, price=listing.price)
    project = _open_project(project_id)
    with transaction.atomic():
        pledge, _ = ListingPledge.objects.update_or_create(
            listing=listing, defaults={"project": project, "kind": kind, "value": value})
        microcache.bump("listings")  # cards show the pledge at once
    return pledge


def listing_pledge_remove(*, listing: Listing) -> None:
    """The farm stops pledging on its listing (orders already placed keep theirs)."""
    with transaction.atomic():
        ListingPledge.objects.filter(listing=listing).delete()
        microcache.bump("listings")


def promoter_pledge_set(*, promoter: Promoter, project_id: int,
                        percent: Decimal) -> PromoterPledge:
    percent = _checked_value(PledgeKind.PERCENT, percent)
    project = _open_project(project_id)
    pledge, _ = PromoterPledge.objects.update_or_create(
        promoter=promoter, defaults={"project": project, "percent": percent})
    return pledge


def promoter_pledge_remove(*, promoter: Promoter) -> None:
    PromoterPledge.objects.filter(promoter=promoter).delete()


def _listing_pledges(lines: list[OrderLine]) -> list[ListingPledge]:
    """The farms' pledges on the lines' listings, by listing id, as they were read with the
    listings when the order locked them (orders.stock.listings_lock selects `benefit_pledge`
    and its project): no query."""
    pledged = [line.listing for line in lines if hasattr(line.listing, "benefit_pledge")]
    return sorted((listing.benefit_pledge for listing in pledged), key=lambda p: p.listing_id)


def pledges_snapshot(*, order: Order, lines: list[OrderLine]) -> list[LinePledge]:
    """The pledges of the order's listings and of its promoter, as they are now, on its `lines`
    (checkout calls it in the order's transaction, after the commission). A closed
    project takes none. No query when no listing has a pledge and the order has no promo code
    (then it has no commission)."""
    lines = {line.listing_id: line for line in lines}
    today = timezone.localdate()
    rows = []
    for pledge in _listing_pledges(list(lines.values())):
        if not project_is_open(pledge.project, today):
            continue
        line = lines[pledge.listing_id]
        amount = pledge_amount(kind=pledge.kind, value=pledge.value, unit_price=line.unit_price,
                               quantity=line.quantity, line_total=line.line_total)
        rows.append(LinePledge(line=line, order=order, source=LinePledge.Source.FARM,
                               project=pledge.project, kind=pledge.kind, value=pledge.value,
                               amount=amount))
    commissions = promotion_selectors.order_commissions(order=order)
    pledges = {p.promoter_id: p for p in PromoterPledge.objects.filter(
        promoter_id__in=[c.promoter_id for c in commissions]).select_related("project")}
    for commission in commissions:
        pledge = pledges.get(commission.promoter_id)
        line = lines.get(commission.listing_id)
        if pledge is None or line is None or not project_is_open(pledge.project, today):
            continue
        rows.append(LinePledge(line=line, order=order, source=LinePledge.Source.PROMOTER,
                               promoter_id=commission.promoter_id, project=pledge.project,
                               kind=PledgeKind.PERCENT, value=pledge.percent,
                               amount=money(commission.amount * pledge.percent / 100)))
    rows = [row for row in rows if row.amount > 0]
    return LinePledge.objects.bulk_create(rows)


# --- Videos of a project's work ----------------------------------------------------------------


def video_submit(*, user: User, url: str, title: str = "",
                 kind: str | None = None) -> tuple[Video, bool]:
    """Add a video (promotion's `video_submit`); one of a charity's people, neither a farm nor
    a promoter, films the project's work on site: their videos are origin footage."""
    films_on_site = Charity.members.through.objects.filter(user=user).exists()
    return promotion_services.video_submit(user=user, url=url, title=title, kind=kind,
                                           films_on_site=films_on_site)


def _project_for_link(user: User, project_id: int) -> Project:
    """A charity's project, for a video of one of the charity's people (anyone else: 403)."""
    project = Project.objects.filter(pk=project_id).first()
    if project is None:
        raise NotFound("No such project.", code="project_not_found")
    if not project.charity.members.filter(pk=user.pk).exists():
        raise PermissionDenied("Only the charity's own people link videos to its projects.",
                               code="charity_member_required")
    return project


def video_link_create(*, user: User, video_id: int, listing_id: int | None = None,
                      batch_id: int | None = None,
                      project_id: int | None = None) -> tuple[Link, bool]:
    """A link from the caller's video to a listing or a harvest lot (promotion's
    `link_create`), or to a public-benefit project of the caller's charity, checked here in
    the order any link is: the video (404, 409), one target (422), then the project (404,
    403)."""
    if project_id is None:
        return promotion_services.link_create(user=user, video_id=video_id,
                                              listing_id=listing_id, batch_id=batch_id)
    promotion_services.link_video(user=user, video_id=video_id)
    promotion_services.link_one_target(listing_id, batch_id, project_id)
    return promotion_services.link_create(user=user, video_id=video_id,
                                          project=_project_for_link(user, project_id))


# --- Disbursements --------------------------------------------------------------------------


def project_available(project: Project) -> Account:
    return posting.account(Account.Kind.BENEFIT_PROJECT, project.pk, Account.Bucket.AVAILABLE,
                           project.title)


def disbursement_create(*, project_id: int, amount: Decimal, paid_on: date,
                        receipt_number: str, note: str = "", evidence_video_ids=(),
                        evidence_urls=(), staff: User | None = None) -> Disbursement:
    """Staff record money passed on to the project's charity, with the donation receipt's
    number and evidence. Never more than the project's confirmed (available) balance: the
    check and the posting happen under the ledger's lock, so two staff recording at once
    cannot both spend it. Refused -> 422 and nothing written or posted."""
    receipt_number = (receipt_number or "").strip()
    errors = {}
    if amount is None or not Decimal(amount).is_finite() or amount < CENT:
        errors["amount"] = "The amount must be at least 0.01."
    elif finer_than_cent(amount):
        errors["amount"] = "At most two decimal places."
    if not receipt_number:
        errors["receipt_number"] = "The donation receipt's number (捐赠票据号) is required."
    urls = [str(url).strip() for url in evidence_urls if str(url).strip()]
    if any(not url.startswith(("https://", "http://")) for url in urls):
        errors["evidence_urls"] = "Evidence links must be http(s) URLs."
    if errors:
        raise ValidationFailed(errors)
    amount_fen = fen(amount)
    with transaction.atomic():
        posting.lock()
        project = Project.objects.filter(pk=project_id).first()
        if project is None:
            raise NotFound("No such project.", code="project_not_found")
        available = project_available(project)
        available.refresh_from_db(fields=["balance_fen"])
        if amount_fen > available.balance_fen:
            raise ValidationFailed(
                {"amount": f"More than the project's confirmed balance "
                           f"({yuan(available.balance_fen)})."},
                code="disbursement_exceeds_balance")
        videos = list(Video.objects.filter(pk__in=list(evidence_video_ids)))
        disbursement = Disbursement.objects.create(
            project=project, amount=yuan(amount_fen), paid_on=paid_on,
            receipt_number=receipt_number[:64], note=(note or "").strip()[:500],
            evidence_urls=urls, created_by=staff)
        disbursement.evidence_videos.set(videos)
        memo = f"公益拨付 {project.title} 票据 {receipt_number}"[:255]
        lines = [Line(available, Entry.Kind.PAYOUT, -amount_fen),
                 Line(posting.clearing(), Entry.Kind.PAYOUT, amount_fen)]
        record = posting.post(key=f"benefit_disbursement:{disbursement.pk}",
                              kind=LedgerTransaction.Kind.PAYOUT_PAID, memo=memo, lines=lines)
        public_ledger.record_posting(record, lines)
        enqueue(notify_disbursed_task, disbursement.pk)
    return disbursement


def disbursement_tell_donors(*, disbursement_id: int) -> int:
    """Every buyer whose order pledged to the project (and was not cancelled) hears that money
    was passed on to it: once per buyer and disbursement, however many of their orders
    pledged. After the commit (a task): a project may have thousands of donors."""
    disbursement = (Disbursement.objects.select_related("project")
                    .filter(pk=disbursement_id).first())
    if disbursement is None:
        return 0
    project = disbursement.project
    donors = (Order.objects.filter(pk__in=LinePledge.objects.filter(project=project)
                                   .values("order_id"))
              .exclude(status=Order.Status.CANCELLED)
              .values_list("buyer_id", flat=True).distinct().order_by("buyer_id"))
    told = 0
    for buyer_id in donors.iterator(chunk_size=500):
        with transaction.atomic():
            told += notify(
                user_id=buyer_id, event="benefit_disbursed",
                key=f"disbursement:{disbursement.pk}",
                title=f"{project.title} 收到拨付 {disbursement.amount} 元",
                body=(f"您购物时认捐的公益项目「{project.title}」已于"
                      f" {disbursement.paid_on:%Y年%m月%d日} 收到拨付 {disbursement.amount} 元，"
                      f"捐赠票据号 {disbursement.receipt_number}。"),
                data={"project_id": project.pk, "disbursement_id": disbursement.pk,
                      "amount": str(disbursement.amount), "currency": "CNY"}) is not None
    return told
