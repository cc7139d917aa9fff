"""Every write of a claim: opening it, the farm's answer, the buyer's reply, staff's decision,
the deadlines the periodic task applies, and the evidence on both sides.

Each change of status is one conditional UPDATE from the statuses it may come from (a person
and the periodic task racing on a claim have one outcome), with its timeline event and its
notification in the same transaction. Opening takes the order's row first (checkout's lock
order: the buyer's row -> listings -> the order's row -> the claim's row -> commissions -> the
ledger's head -> payment rows), so two claims opened at once on one parcel are counted one
after the other; the partial unique index on active claims is the backstop."""

import logging
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from claims import abuse, evidence, rules
from claims.models import DAMAGE_LEVELS, Claim, ClaimEvent, ClaimLine, Evidence
from marketplace.errors import (
    Conflict,
    DomainError,
    InvalidState,
    NotFound,
    PermissionDenied,
    StorageUnavailable,
    ValidationFailed,
)
from marketplace.money import money
from notify import notify
from orders.models import Order, OrderLine, Shipment
from orders.selectors import PRODUCER, shipment_acted_on
from orders.services import order_of_buyer
from payments import services as payments_services
from payments.models import Refund
from payments.providers.base import ProviderUnavailable

logger = logging.getLogger(__name__)

Status = Claim.Status
Actor = ClaimEvent.Actor
MAX_CLAIMS_PER_LINE = 5
# a claim the farm may still answer, or the buyer still take further
ANSWERABLE = [Status.OPEN]
WITHDRAWABLE = [Status.OPEN, Status.PROPOSED, Status.REJECTED, Status.ESCALATED]
BUYER, FARM = "buyer", "farm"


class ClaimOpen(Conflict):
    code = "claim_open"
    message = "这个包裹已有一个进行中的售后。"


# --- Access -------------------------------------------------------------------------------------


def claim_acted_on(*, claim_id: int, user: User, role: str, lock: bool = False) -> Claim:
    """The claim for `user` acting as `role` (BUYER or FARM). The other party, who sees the
    claim, may not do this (403); anyone else is told it does not exist (404)."""
    claims = Claim.objects.select_for_update() if lock else Claim.objects
    claim = claims.select_related("producer").filter(pk=claim_id).first()
    parties = {BUYER: claim.buyer_id, FARM: claim.producer.user_id} if claim else {}
    if user.pk not in parties.values():
        raise NotFound("No such claim.", code="claim_not_found")
    if parties[role] != user.pk:
        raise PermissionDenied("只有买家可以这样做。" if role == BUYER else "只有商家可以这样做。")
    return claim


def _event(claim: Claim, actor: str, action: str, *, user: User | None = None,
           note: str = "") -> None:
    ClaimEvent.objects.create(claim=claim, actor=actor, user=user, action=action,
                              note=(note or "")[:500])


def _move(claim: Claim, *, expected: list[str], to: str, **conditions_and_fields) -> bool:
    """The claim's conditional UPDATE; fields starting with `where_` are extra conditions."""
    where = {k.removeprefix("where_"): v for k, v in conditions_and_fields.items()
             if k.startswith("where_")}
    fields = {k: v for k, v in conditions_and_fields.items() if not k.startswith("where_")}
    moved = Claim.objects.filter(pk=claim.pk, status__in=expected, **where).update(
        status=to, updated_at=timezone.now(), **fields)
    if moved:
        claim.refresh_from_db()
    return bool(moved)


def _refuse_move(claim: Claim, expected: list[str], *, deadline: str | None = None,
                 now: datetime | None = None) -> None:
    """Why a move did not happen: the claim is elsewhere (409 invalid_state) or its deadline
    passed (409 claim_window_closed)."""
    claim.refresh_from_db()
    if claim.status not in expected:
        raise InvalidState(f"售后当前状态为「{claim.get_status_display()}」，不能这样操作。")
    if deadline:
        raise rules.WindowClosed(f"已超过处理期限（{getattr(claim, deadline):%Y-%m-%d %H:%M}）。")
    raise InvalidState("售后状态已变化，请刷新后再试。")


# --- Notifications ------------------------------------------------------------------------------


def _tell_farm(claim: Claim, event: str, key: str, title: str, body: str) -> None:
    notify(user_id=claim.producer.user_id, event=event, key=key, title=title, body=body,
           data={"claim_id": claim.pk, "order_id": claim.order_id,
                 "shipment_id": claim.shipment_id, "amount": str(claim.amount),
                 "currency": "CNY", "respond_by": claim.respond_by.isoformat()})


def _tell_buyer(claim: Claim, action: str, body: str) -> None:
    notify(user_id=claim.buyer_id, event="claim_answered", key=f"claim:{claim.pk}:{action}",
           title=f"售后有新进展：{claim.get_status_display()}", body=body,
           data={"claim_id": claim.pk, "order_id": claim.order_id, "status": claim.status,
                 "amount": str(claim.decided_amount if claim.decided_amount is not None
                               else claim.proposed_amount or claim.amount),
                 "currency": "CNY"})


# --- Opening ------------------------------------------------------------------------------------


def _claimed_lines(shipment: Shipment, lines: list[dict]) -> list[tuple[OrderLine, int, int]]:
    """[(order line, quantity, damage)] of the request, each checked: 422 naming the field."""
    by_id = {line.pk: line for line in OrderLine.objects.filter(shipment=shipment)
             .select_related("listing__category")}
    parts, errors, seen = [], {}, set()
    for i, item in enumerate(lines):
        line = by_id.get(item["line_id"])
        if line is None:
            errors[f"lines.{i}.line_id"] = "这一行不在该包裹中。"
            continue
        if line.pk in seen:
            errors[f"lines.{i}.line_id"] = "同一商品行只能出现一次。"
            continue
        seen.add(line.pk)
        if item["quantity"] > rules.units_paid(line):
            errors[f"lines.{i}.quantity"] = f"最多 {rules.units_paid(line)} 件。"
            continue
        if item["damage_pct"] not in DAMAGE_LEVELS:
            errors[f"lines.{i}.damage_pct"] = "损坏程度只能是 10、30、50、80 或 100。"
            continue
        parts.append((line, item["quantity"], item["damage_pct"]))
    if errors:
        raise ValidationFailed(errors)
    return parts


def claim_open(*, order_id: int, user: User, shipment_id: int, kind: str, lines: list[dict],
               note: str = "", now: datetime | None = None) -> Claim:
    """The buyer claims on a parcel of their order (API.md "Claims"). Another buyer's order or
    parcel -> 404; a bad line -> 422 naming it; outside the window -> 409 claim_window_closed;
    a parcel with an active claim -> 409 claim_open; a line claimed 5 times -> 409
    claim_limit_reached. The farm is told at once (urgent)."""
    now = now or timezone.now()
    order = order_of_buyer(order_id=order_id, user=user)
    shipment = Shipment.objects.filter(pk=shipment_id, order=order).select_related(
        "producer").first()
    if shipment is None:
        raise NotFound("No such shipment in this order.", code="shipment_not_found")
    parts = _claimed_lines(shipment, lines)
    rules.window_check(kind=kind, order=order, shipment=shipment,
                       lines=[line for line, _, _ in parts], now=now)
    try:
        with transaction.atomic():
            Order.objects.select_for_update().filter(pk=order.pk).values_list("pk").get()
            if Claim.objects.filter(shipment=shipment, active=True).exists():
                raise ClaimOpen()
            full = (ClaimLine.objects.filter(line__in=[line for line, _, _ in parts])
                    .values("line_id").annotate(n=Count("id")).filter(n__gte=MAX_CLAIMS_PER_LINE)
                    .values_list("line_id", flat=True))
            if full:
                raise Conflict(f"每个商品最多申请 {MAX_CLAIMS_PER_LINE} 次售后。",
                               code="claim_limit_reached", details={"line_ids": list(full)})
            priced = rules.price(shipment=shipment, parts=parts)
            if priced.amount <= 0:
                raise Conflict("这个包裹已没有可以退的钱了。", code="nothing_left_to_claim")
            claim = Claim.objects.create(
                order=order, shipment=shipment, buyer=user, producer=shipment.producer,
                kind=kind, note=note[:500], amount=priced.amount,
                respond_by=now + timedelta(hours=settings.CLAIM_RESPONSE_HOURS))
            ClaimLine.objects.bulk_create([
                ClaimLine(claim=claim, line=line, quantity=quantity, damage_pct=damage)
                for line, quantity, damage in parts])
            _event(claim, Actor.BUYER, "opened", user=user, note=note)
            reasons = abuse.buyer_reasons(buyer_id=user.pk, now=now)
            if reasons:
                _to_staff(claim, reasons)
            _tell_farm(claim, "claim_opened", f"claim:{claim.pk}",
                       f"订单 {order.number} 买家申请售后 {claim.amount} 元",
                       f"买家就订单 {order.number} 的包裹申请售后（{claim.get_kind_display()}），"
                       f"金额 {claim.amount} 元。请在 {_local(claim.respond_by)} 前处理，"
                       f"逾期未处理视为同意。")
    except IntegrityError as exc:  # the partial unique index: another claim won the race
        raise ClaimOpen() from exc
    return claim


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(rules.LOCAL):%m月%d日 %H:%M}"


def _to_staff(claim: Claim, reasons: list[str]) -> None:
    """The claim goes to staff for these reasons (kept once each); never auto-accepted."""
    new = [r for r in reasons if r not in claim.staff_reasons]
    if not new:
        return
    claim.staff_reasons = [*claim.staff_reasons, *new]
    Claim.objects.filter(pk=claim.pk).update(staff_reasons=claim.staff_reasons)
    _event(claim, Actor.SYSTEM, "flagged", note="；".join(abuse.REASONS[r] for r in new))


# --- Money -------------------------------------------------------------------------------------

REFUND_REASON = "售后退款"


def _agreed(claim: Claim, amount: Decimal | None) -> dict:
    """The fields of a claim whose money is agreed at `amount`, priced when it was asked or
    proposed: held to what is left of the parcel now (staff may have refunded some of it
    since), and closed when nothing is left, so it holds the parcel's money no longer. No
    amount (nothing was proposed): the move that uses it will not happen."""
    if amount is None:
        return {"decided_amount": None}
    parts = [(cl.line, cl.quantity, 100) for cl in claim.lines.select_related("line")]
    shipment = Shipment.objects.select_related("order").get(pk=claim.shipment_id)
    cap = rules.price(shipment=shipment, parts=parts, exclude_claim_id=claim.pk).cap
    agreed = min(amount, cap)
    closing = {"active": False, "closed_at": timezone.now()} if agreed <= 0 else {}
    return {"decided_amount": agreed, **closing}


def _refund(claim: Claim) -> None:
    """In the transaction that agreed the claim's money (it holds the claim's row): refunded
    through the provider that took the order's money, keyed by the claim, so a retry finds the
    same refund and nothing is paid twice; the books take it back from the parcel's holders in
    proportion, or, when the courier was liable, from the platform (payments, books). A refund
    the provider settled at once makes the claim `refunded` now, one settled later by the
    periodic task."""
    if not claim.decided_amount:
        return
    refund = payments_services.refund_request(
        order=claim.order, amount=claim.decided_amount, reason=REFUND_REASON,
        key=f"claim:{claim.pk}", shipment_id=claim.shipment_id,
        platform_pays=claim.courier_liable)
    Claim.objects.filter(pk=claim.pk, refund__isnull=True).update(refund=refund)
    claim.refund = refund
    _refunded_if_settled(claim, refund)


def _refunded_if_settled(claim: Claim, refund: Refund) -> bool:
    if refund.status != Refund.Status.SUCCEEDED:
        return False
    if not _move(claim, expected=[Status.ACCEPTED, Status.DECIDED], to=Status.REFUNDED,
                 active=False, closed_at=timezone.now()):
        return False
    _event(claim, Actor.SYSTEM, "refunded", note=f"{refund.amount} 元已原路退回")
    return True


def claims_refunds_settle() -> int:
    """Claims whose money was agreed: refunded when their refund has succeeded at the provider;
    asked for again when none was made (a provider that was down)."""
    done = 0
    for claim in (Claim.objects.filter(status__in=[Status.ACCEPTED, Status.DECIDED])
                  .select_related("refund", "order").order_by("pk")):
        try:
            with transaction.atomic():
                # the claim's row alone (PostgreSQL locks no nullable side of a join)
                claim = Claim.objects.select_for_update().get(pk=claim.pk)
                if claim.refund is None:
                    _refund(claim)
                    done += claim.status == Status.REFUNDED
                else:
                    done += _refunded_if_settled(claim, claim.refund)
        except (DomainError, ProviderUnavailable):
            logger.exception("Could not refund claim %s", claim.pk)
    return done


# --- The farm answers ---------------------------------------------------------------------------


def claim_accept(*, claim_id: int, user: User) -> Claim:
    """The farm accepts what the buyer asks, even after its deadline (it has then accepted
    already, by silence; the periodic task may have done it first: 409 invalid_state)."""
    claim = claim_acted_on(claim_id=claim_id, user=user, role=FARM)
    now = timezone.now()
    with transaction.atomic():
        if not _move(claim, expected=ANSWERABLE, to=Status.ACCEPTED,
                     answered_at=now, **_agreed(claim, claim.amount)):
            _refuse_move(claim, ANSWERABLE)
        _event(claim, Actor.FARM, "accepted", user=user)
        _tell_buyer(claim, "accepted",
                    f"商家已同意您的售后申请，将原路退款 {claim.decided_amount} 元。")
        _refund(claim)
    return claim


def _farm_evidence_exists(claim: Claim) -> bool:
    return Evidence.objects.filter(shipment_id=claim.shipment_id,
                                   party=Evidence.Party.FARM).exists()


def claim_reject(*, claim_id: int, user: User, note: str) -> Claim:
    """The farm refuses, with its reasons and its evidence (a photo or video on the claim, or
    its packing evidence of the parcel): without any -> 422 on `evidence`. After its deadline
    -> 409 claim_window_closed (silence has accepted)."""
    claim = claim_acted_on(claim_id=claim_id, user=user, role=FARM)
    if not (note or "").strip():
        raise ValidationFailed({"note": "请说明拒绝的理由。"})
    if not _farm_evidence_exists(claim):
        raise ValidationFailed({"evidence": "拒绝前请上传包装或发货的照片、视频作为凭证。"},
                               code="evidence_required")
    now = timezone.now()
    with transaction.atomic():
        if not _move(claim, expected=ANSWERABLE, to=Status.REJECTED, where_respond_by__gt=now,
                     answered_at=now,
                     escalate_by=now + timedelta(days=settings.CLAIM_ESCALATE_DAYS)):
            _refuse_move(claim, ANSWERABLE, deadline="respond_by")
        _event(claim, Actor.FARM, "rejected", user=user, note=note)
        _tell_buyer(claim, "rejected",
                    f"商家拒绝了您的售后申请：{note.strip()[:100]}。您可以在 "
                    f"{_local(claim.escalate_by)} 前申请平台介入。")
    return claim


def claim_propose(*, claim_id: int, user: User, lines: list[dict], note: str = "") -> Claim:
    """The farm offers other damage levels for the claim's lines (each named line must be in
    the claim: 422 otherwise); the rest keep theirs. The buyer accepts it or escalates."""
    claim = claim_acted_on(claim_id=claim_id, user=user, role=FARM)
    claim_lines = {cl.line_id: cl for cl in claim.lines.select_related("line")}
    errors, proposed = {}, {}
    for i, item in enumerate(lines):
        if item["line_id"] not in claim_lines:
            errors[f"lines.{i}.line_id"] = "这一行不在该售后中。"
        elif item["line_id"] in proposed:
            errors[f"lines.{i}.line_id"] = "同一商品行只能出现一次。"
        elif item["damage_pct"] not in DAMAGE_LEVELS:
            errors[f"lines.{i}.damage_pct"] = "损坏程度只能是 10、30、50、80 或 100。"
        else:
            proposed[item["line_id"]] = item["damage_pct"]
    if errors:
        raise ValidationFailed(errors)
    shipment = Shipment.objects.select_related("order").get(pk=claim.shipment_id)
    parts = [(cl.line, cl.quantity, proposed.get(line_id, cl.damage_pct))
             for line_id, cl in claim_lines.items()]
    amount = rules.price(shipment=shipment, parts=parts, exclude_claim_id=claim.pk).amount
    now = timezone.now()
    with transaction.atomic():
        if not _move(claim, expected=ANSWERABLE, to=Status.PROPOSED, where_respond_by__gt=now,
                     answered_at=now, proposed_amount=amount,
                     escalate_by=now + timedelta(days=settings.CLAIM_ESCALATE_DAYS)):
            _refuse_move(claim, ANSWERABLE, deadline="respond_by")
        for line_id, damage in proposed.items():
            ClaimLine.objects.filter(claim=claim, line_id=line_id).update(proposed_pct=damage)
        _event(claim, Actor.FARM, "proposed", user=user,
               note=f"{amount} 元" + (f"：{note}" if note else ""))
        _tell_buyer(claim, "proposed",
                    f"商家提出按 {amount} 元处理您的售后。请确认，或在 "
                    f"{_local(claim.escalate_by)} 前申请平台介入。")
    return claim


# --- The buyer replies --------------------------------------------------------------------------


def claim_accept_proposal(*, claim_id: int, user: User) -> Claim:
    claim = claim_acted_on(claim_id=claim_id, user=user, role=BUYER)
    with transaction.atomic():
        if not _move(claim, expected=[Status.PROPOSED], to=Status.ACCEPTED,
                     **_agreed(claim, claim.proposed_amount)):
            _refuse_move(claim, [Status.PROPOSED])
        _event(claim, Actor.BUYER, "accepted_proposal", user=user)
        _refund(claim)
    return claim


def claim_escalate(*, claim_id: int, user: User, note: str = "") -> Claim:
    """The buyer asks staff to decide a rejection or a proposal, within CLAIM_ESCALATE_DAYS
    (after -> 409 claim_window_closed). The farm is told."""
    claim = claim_acted_on(claim_id=claim_id, user=user, role=BUYER)
    expected = [Status.REJECTED, Status.PROPOSED]
    with transaction.atomic():
        if not _move(claim, expected=expected, to=Status.ESCALATED, where_active=True,
                     where_escalate_by__gt=timezone.now()):
            _refuse_move(claim, expected, deadline="escalate_by")
        _event(claim, Actor.BUYER, "escalated", user=user, note=note)
        _tell_farm(claim, "claim_escalated", f"claim:{claim.pk}",
                   "买家申请平台介入售后",
                   f"订单 {claim.order.number} 的售后已由买家申请平台介入，平台将在 7 日内裁定。")
    return claim


def claim_withdraw(*, claim_id: int, user: User) -> Claim:
    claim = claim_acted_on(claim_id=claim_id, user=user, role=BUYER)
    now = timezone.now()
    with transaction.atomic():
        if not _move(claim, expected=WITHDRAWABLE, to=Status.WITHDRAWN, where_active=True,
                     active=False, closed_at=now):
            _refuse_move(claim, WITHDRAWABLE)
        _event(claim, Actor.BUYER, "withdrawn", user=user)
    return claim


# --- Staff decide -------------------------------------------------------------------------------


def claim_decide(*, claim_id: int, staff: User, amount: Decimal, courier_liable: bool,
                 note: str = "") -> Claim:
    """Staff decide an escalated claim (the admin): `amount` from 0 up to what may still be
    refunded for its lines (422 on `amount` otherwise); with `courier_liable` the platform pays
    and the farm is not charged. 0 closes it with nothing paid."""
    claim = Claim.objects.select_related("shipment__order").get(pk=claim_id)
    amount = money(amount)
    parts = [(cl.line, cl.quantity, 100) for cl in claim.lines.select_related("line")]
    cap = rules.price(shipment=claim.shipment, parts=parts, exclude_claim_id=claim.pk).cap
    if amount < 0 or amount > cap:
        raise ValidationFailed({"amount": f"金额须在 0 到 {cap} 元之间。"})
    now = timezone.now()
    closing = {"active": False, "closed_at": now} if amount == 0 else {}
    with transaction.atomic():
        if not _move(claim, expected=[Status.ESCALATED], to=Status.DECIDED,
                     decided_amount=amount, courier_liable=courier_liable, **closing):
            _refuse_move(claim, [Status.ESCALATED])
        _event(claim, Actor.STAFF, "decided", user=staff,
               note=f"{amount} 元" + ("（快递责任，由平台承担）" if courier_liable else "")
               + (f"：{note}" if note else ""))
        _tell_buyer(claim, "decided",
                    f"平台已裁定您的售后：退款 {amount} 元。" if amount else
                    "平台已裁定您的售后：不予退款。")
        _refund(claim)
    return claim


# --- Deadlines (the periodic task) --------------------------------------------------------------


def claims_remind(*, now: datetime) -> int:
    """Farms whose open claims fall due within CLAIM_REMIND_HOURS are told once."""
    told = 0
    soon = now + timedelta(hours=settings.CLAIM_REMIND_HOURS)
    for claim in (Claim.objects.filter(status=Status.OPEN, respond_by__gt=now,
                                       respond_by__lte=soon)
                  .select_related("producer", "order").order_by("pk")):
        with transaction.atomic():
            _tell_farm(claim, "claim_deadline", f"claim:{claim.pk}",
                       f"售后将于 {_local(claim.respond_by)} 超时",
                       f"订单 {claim.order.number} 的售后（{claim.amount} 元）将于 "
                       f"{_local(claim.respond_by)} 超时，逾期未处理视为同意退款。")
        told += 1
    return told


def _silence(claim: Claim, now: datetime) -> bool:
    """The farm did not answer by `respond_by`: accepted, once; a claim for staff is escalated
    to them instead."""
    with transaction.atomic():
        if claim.staff_reasons:
            if not _move(claim, expected=[Status.OPEN], to=Status.ESCALATED,
                         where_respond_by__lte=now):
                return False
            _event(claim, Actor.SYSTEM, "escalated", note="商家逾期未处理，转平台审核")
            return True
        if not _move(claim, expected=[Status.OPEN], to=Status.ACCEPTED,
                     where_respond_by__lte=now, **_agreed(claim, claim.amount)):
            return False
        _event(claim, Actor.SYSTEM, "auto_accepted", note="商家逾期未处理，视为同意")
        _tell_buyer(claim, "accepted",
                    f"商家未在期限内处理，视为同意您的售后申请，"
                    f"将原路退款 {claim.decided_amount} 元。")
        _refund(claim)
    return True


def _proposal_lapsed(claim: Claim, now: datetime) -> bool:
    """The buyer neither took nor escalated the farm's offer in time: it stands."""
    with transaction.atomic():
        if not _move(claim, expected=[Status.PROPOSED], to=Status.ACCEPTED,
                     where_escalate_by__lte=now, **_agreed(claim, claim.proposed_amount)):
            return False
        _event(claim, Actor.SYSTEM, "proposal_lapsed", note="买家逾期未回复，按商家方案处理")
        _refund(claim)
    return True


def _rejection_lapsed(claim: Claim, now: datetime) -> bool:
    """A rejection the buyer did not escalate in time is final."""
    with transaction.atomic():
        if not Claim.objects.filter(pk=claim.pk, status=Status.REJECTED, active=True,
                                    escalate_by__lte=now).update(active=False, closed_at=now):
            return False
        _event(claim, Actor.SYSTEM, "closed", note="买家未在期限内申请平台介入")
    return True


def claims_due(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic task: reminders, silence as acceptance, lapsed proposals and rejections.
    Each claim in its own transaction by a conditional UPDATE: two runs at once act once."""
    now = now or timezone.now()
    done = {"reminded": claims_remind(now=now), "accepted": 0, "lapsed": 0}
    for claim in Claim.objects.filter(status=Status.OPEN, respond_by__lte=now).order_by("pk"):
        done["accepted"] += _guarded(_silence, claim, now)
    for claim in Claim.objects.filter(status=Status.PROPOSED, escalate_by__lte=now):
        done["accepted"] += _guarded(_proposal_lapsed, claim, now)
    for claim in Claim.objects.filter(status=Status.REJECTED, active=True,
                                      escalate_by__lte=now):
        done["lapsed"] += _rejection_lapsed(claim, now)
    done["refunded"] = claims_refunds_settle()
    return done


def _guarded(step, claim: Claim, now: datetime) -> bool:
    """One claim's step; one whose refund cannot be made now is left as it was (rolled back)
    for the next run, and the others go on."""
    try:
        return step(claim, now)
    except (DomainError, ProviderUnavailable):
        logger.exception("Claim %s: %s failed", claim.pk, step.__name__)
        return False


# --- Evidence -----------------------------------------------------------------------------------


def _store(clean: evidence.CleanFile, **fields) -> Evidence:
    item = Evidence(kind=clean.kind, phash=clean.phash, taken_at=clean.taken_at,
                    size=len(clean.content), **fields)
    name = f"{uuid.uuid4().hex}.{clean.extension}"
    try:
        item.file.save(name, ContentFile(clean.content), save=False)
    except OSError as exc:
        raise StorageUnavailable() from exc
    try:
        item.save()
    except BaseException:
        try:
            item.file.storage.delete(item.file.name)
        except OSError:
            logger.warning("Could not delete %s from storage", item.file.name, exc_info=True)
        raise
    return item


def _taken_before_shipped(clean: evidence.CleanFile, shipment: Shipment) -> bool:
    return bool(clean.taken_at and shipment.shipped_at and clean.taken_at < shipment.shipped_at)


def _refuse_too_many(count: int) -> None:
    if count >= settings.CLAIM_EVIDENCE_MAX:
        raise Conflict(f"最多上传 {settings.CLAIM_EVIDENCE_MAX} 个照片或视频。",
                       code="too_many_evidence")


def claim_evidence_add(*, claim_id: int, user: User, file, size: int) -> Evidence:
    """A photo or video on a claim, by its buyer or its farm, while the claim is still being
    talked about (else 409 invalid_state), at most CLAIM_EVIDENCE_MAX each. A buyer's photo
    whose perceptual hash is in another buyer's claim sends both claims to staff."""
    claim = Claim.objects.select_related("producer", "shipment").filter(pk=claim_id).first()
    if claim is None or user.pk not in (claim.buyer_id, claim.producer.user_id):
        raise NotFound("No such claim.", code="claim_not_found")
    party = Evidence.Party.BUYER if user.pk == claim.buyer_id else Evidence.Party.FARM
    if claim.status not in WITHDRAWABLE or not claim.active:
        raise InvalidState("这个售后已结束，不能再上传凭证。")
    _refuse_too_many(Evidence.objects.filter(claim=claim, party=party).count())
    clean = evidence.clean(file, size)
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        _refuse_too_many(Evidence.objects.filter(claim=claim, party=party).count())
        item = _store(clean, claim=claim, shipment=claim.shipment, party=party,
                      uploaded_by=user,
                      taken_before_shipped=_taken_before_shipped(clean, claim.shipment))
        _event(claim, Actor.BUYER if party == Evidence.Party.BUYER else Actor.FARM,
               "evidence_added", user=user,
               note="照片拍摄时间早于发货时间" if item.taken_before_shipped else "")
        if party == Evidence.Party.BUYER:
            others = abuse.same_photo_claims(phash=item.phash, buyer_id=user.pk)
            if others:
                _to_staff(claim, [abuse.PHOTO_REUSED])
                for other in Claim.objects.filter(pk__in=others):
                    _to_staff(other, [abuse.PHOTO_REUSED])
    return item


def shipment_evidence_add(*, shipment_id: int, user: User, file, size: int) -> Evidence:
    """The farm's own photo or video of the packed box (at shipping, or any time before a
    claim), shown to staff and the buyer with any claim on the parcel."""
    shipment = shipment_acted_on(shipment_id=shipment_id, user=user, role=PRODUCER)
    if shipment.status == Shipment.Status.CANCELLED:
        raise InvalidState("这个包裹已取消。")
    count = Evidence.objects.filter(shipment_id=shipment_id, claim__isnull=True).count()
    _refuse_too_many(count)
    clean = evidence.clean(file, size)
    with transaction.atomic():
        Shipment.objects.select_for_update().filter(pk=shipment_id).values_list("pk").get()
        _refuse_too_many(Evidence.objects.filter(shipment_id=shipment_id,
                                                 claim__isnull=True).count())
        return _store(clean, shipment_id=shipment_id, party=Evidence.Party.FARM,
                      uploaded_by=user)
