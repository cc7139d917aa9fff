"""Every write of the payments app: starting a payment, what a provider's notification or answer
means for the order, refunds, and the reconciliation that recovers what a notification lost.

Rules that hold throughout:
- A payment's or refund's status changes by a conditional UPDATE from the statuses it may come
  from, so that a notification, its duplicate, the reconciliation task and a cancellation
  racing on it have one outcome.
- No call to a platform happens inside a database transaction: a row is committed first (a
  payment we are about to start, a refund we are about to ask for) and the platform's answer is
  applied after, so a slow platform holds no lock and a crash between the two leaves a row the
  reconciliation task finishes.
- Money the order could not take (it was cancelled or expired, paid twice, or the amount was
  wrong) is recorded and refunded in full; it never enters the books.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import User
from books import services as books_services
from ledger import posting
from marketplace.errors import (
    Conflict,
    InvalidState,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from marketplace.money import money
from notify import notify
from orders.models import Order, OrderEvent
from orders.services import order_mark_paid, order_of_buyer
from outbox import enqueue
from payments import registry
from payments.models import Payment, PaymentWebhookEvent, Refund
from payments.providers.base import (
    Charge,
    Notice,
    NotificationRefused,
    Provider,
    ProviderRefused,
    ProviderUnavailable,
    RefundOrder,
    RefundResult,
    Trade,
)
from payments.tasks import payment_close as payment_close_task
from payments.tasks import refund_submit as refund_submit_task
from promotion import services as promotion_services

logger = logging.getLogger(__name__)

CANCELLED_REASON = "订单取消，全额退款"
NOT_PAYABLE_REASON = "订单无法收款，原路退回"
# Refusals that are not final: the merchant's balance cannot cover the refund until it is topped
# up (WeChat Pay NOT_ENOUGH, Alipay ACQ.SELLER_BALANCE_NOT_ENOUGH).
WAIT_AND_RETRY = {"NOT_ENOUGH", "ACQ.SELLER_BALANCE_NOT_ENOUGH"}


def notify_url(provider_name: str) -> str:
    return f"{settings.PAYMENT_NOTIFY_BASE_URL}/api/v1/payments/webhooks/{provider_name}"


def _order_paid(order_id: int, *, actor: User | None, now, note: str,
                conditions: dict | None = None) -> bool:
    """The order is paid, in the transaction that records its payment as succeeded (the
    payment's row already taken): the order's row moves (orders), then the books post the
    payment (the ledger's lock last). False, and nothing written, if the order was no longer
    waiting for its payment."""
    if not order_mark_paid(order_id, actor=actor, now=now, note=note, conditions=conditions):
        return False
    promotion_services.commissions_on_payment(order_id=order_id)
    books_services.payment_post(order_id=order_id)
    return True


def _note(order_id: int, note: str) -> None:
    status = Order.objects.filter(pk=order_id).values_list("status", flat=True).get()
    OrderEvent.objects.create(order_id=order_id, from_status=status, to_status=status,
                              note=note[:255])


# --- Starting a payment -------------------------------------------------------------------------


def _order_to_pay(*, order_id: int, user: User) -> Order:
    """The buyer's unpaid order, its row locked for the rest of the transaction."""
    order = order_of_buyer(order_id=order_id, user=user, lock=True)
    if order.status != Order.Status.PENDING_PAYMENT:
        raise InvalidState(f"The order is {order.status}; only unpaid orders can be paid.")
    if order.expires_at <= timezone.now():
        raise InvalidState("The payment window of this order has passed.")
    return order


def _provider_for(method: str) -> Provider:
    provider = registry.provider_of_method(method)
    if provider is None:
        raise ValidationFailed({"method": f"Unknown payment method {method!r}."})
    if not registry.enabled(provider.name) or not provider.configured():
        raise Conflict(f"Payments with {method} are not available on this server.",
                       code="payment_method_unavailable")
    return provider


def payment_start(*, order_id: int, user: User, method: str, openid: str = "",
                  client_ip: str = "") -> Payment:
    """Start paying `order_id` with `method`. The sandbox settles at once; a platform answers
    with the `action` the app performs, and the order is paid when the platform reports it.
    Asking again with the same method while the payment is open gives the same action."""
    if method == "wechat_jsapi" and not openid:
        raise ValidationFailed({"openid": "wechat_jsapi needs the buyer's openid."})
    provider = _provider_for(method)
    with transaction.atomic():
        order = _order_to_pay(order_id=order_id, user=user)
        if provider.settles_at_once:
            return _settle_at_once(order, provider, user)
        # Every attempt is a new transaction at the platform: an H5 link lives five minutes, a
        # JSAPI one is for one openid, a signed Alipay link carries its time. The attempts
        # before it are closed once this commits (paid meanwhile: settled, then refunded).
        for earlier in Payment.objects.filter(order=order, status=Payment.Status.PENDING) \
                .exclude(provider="sandbox").values_list("pk", flat=True):
            enqueue(payment_close_task, earlier)
        payment = Payment.objects.create(
            order=order, provider=provider.name, method=method, amount=order.total,
            currency=order.currency,
            provider_ref=f"{order.number}{secrets.token_hex(4).upper()}",
        )
    # committed: a notification that beats the platform's answer finds the payment
    charge = Charge(
        out_trade_no=payment.provider_ref, amount=order.total, currency=order.currency,
        description=f"山货订单 {order.number}", method=method,
        notify_url=notify_url(provider.name), expires_at=order.expires_at, openid=openid,
        client_ip=client_ip,
        return_url=settings.PAYMENT_RETURN_URL.format(order_id=order.pk)
        if settings.PAYMENT_RETURN_URL else "",
    )
    try:
        action = provider.start(charge)
    except ProviderUnavailable as exc:
        # it may exist at the platform or not: the reconciliation task asks, and closes it
        logger.warning("Could not start %s payment %s: %s", method, payment, exc)
        raise ServiceUnavailable("The payment platform cannot be reached. Try again shortly.",
                                 code="payment_provider_unavailable", retry_after=10) from exc
    except ProviderRefused as exc:
        Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=Payment.Status.FAILED)
        raise Conflict(f"The payment platform refused the payment: {exc}",
                       code="payment_refused") from exc
    Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(action=action)
    payment.action = action
    return payment


def _settle_at_once(order: Order, provider, user: User) -> Payment:
    """The sandbox: the payment succeeded as it started (in the caller's transaction)."""
    now = timezone.now()
    payment = Payment.objects.create(
        order=order, provider=provider.name, method=provider.name, amount=order.total,
        currency=order.currency, provider_ref=f"sbx_{secrets.token_hex(12)}",
        status=Payment.Status.SUCCEEDED, succeeded_at=now, booked=True,
    )
    if not _order_paid(order.pk, actor=user, now=now,
                       note=f"paid via {provider.name} {payment.provider_ref}",
                       conditions={"expires_at__gt": now}):
        raise InvalidState("The order was cancelled while it was being paid.")
    return payment


# --- What a platform reports of a payment -------------------------------------------------------


def trade_apply(payment: Payment, trade: Trade) -> str:
    """Apply the platform's view of `payment` (from a notification or a query): processed,
    refunded (money the order could not take), or ignored (nothing new)."""
    if trade.status == "succeeded":
        return _payment_succeeded(payment, trade)
    if trade.status in ("failed", "closed"):
        now = timezone.now()
        to = Payment.Status.FAILED if trade.status == "failed" else Payment.Status.CLOSED
        updated = Payment.objects.filter(pk=payment.pk, status=Payment.Status.PENDING).update(
            status=to, closed_at=now if to == Payment.Status.CLOSED else None, action=None)
        return "processed" if updated else "ignored"
    return "ignored"


def _payment_succeeded(payment: Payment, trade: Trade) -> str:
    now = timezone.now()
    amount = trade.amount if trade.amount is not None else payment.amount
    with transaction.atomic():
        # the amount is what the platform says it took, not what was asked for
        if not Payment.objects.filter(
            pk=payment.pk,
            status__in=[Payment.Status.PENDING, Payment.Status.FAILED, Payment.Status.CLOSED],
        ).update(status=Payment.Status.SUCCEEDED, succeeded_at=trade.paid_at or now,
                 amount=amount, transaction_id=trade.transaction_id or payment.transaction_id,
                 action=None):
            return "ignored"  # settled by an earlier notification or query
        payment.refresh_from_db()
        order = payment.order
        # Money taken while the order was open is accepted even a little after its window:
        # its stock is held until the order is cancelled, which closes open payments first.
        if amount == order.total and _order_paid(
            order.pk, actor=None, now=now,
            note=f"paid via {payment.provider} {payment.provider_ref}",
        ):
            Payment.objects.filter(pk=payment.pk).update(booked=True)
            return "processed"
        # cancelled or expired, paid twice, or the wrong amount: the money goes back, on record
        order.refresh_from_db(fields=["status"])
        _note(order.pk, f"payment {payment.provider_ref} of {amount} arrived when the order "
                        f"could not take it ({order.status}, total {order.total}); refunded")
        _refund_of(payment, amount=amount, reason=NOT_PAYABLE_REASON,
                   key=f"not_payable:payment:{payment.pk}")
    return "refunded"


# --- Notifications ------------------------------------------------------------------------------


@dataclass
class Received:
    outcome: str  # processed | duplicate | ignored | refunded
    event_id: str


def notification_receive(*, provider_name: str, request: HttpRequest) -> HttpResponse:
    """A platform's callback, answered as that platform expects. Unknown or switched-off
    provider -> 404. The notification's id is recorded in the transaction that acts on it, so
    a duplicate (or one racing it) changes nothing and is answered as a success."""
    if not registry.enabled(provider_name):
        raise NotFound("No such payment provider.", code="unknown_provider")
    provider = registry.PROVIDERS[provider_name]
    try:
        notice = provider.parse_notification(request)
        received = _notice_apply(provider, notice)
    except NotificationRefused as exc:
        logger.warning("Refused a %s notification: %s", provider_name, exc)
        return provider.refuse(exc)
    return provider.acknowledge(received.outcome, received.event_id)


def _notice_apply(provider, notice: Notice) -> Received:
    kind = "trade" if notice.trade else "refund"
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = PaymentWebhookEvent.objects.create(
                    provider=provider.name, event_id=notice.event_id,
                    event_type=f"{kind}.{(notice.trade or notice.refund).status}",
                    payload=notice.payload,
                )
        except IntegrityError:
            return Received("duplicate", notice.event_id)
        if notice.trade:
            outcome = trade_apply(_payment_noticed(provider, notice), notice.trade)
        else:
            outcome = _refund_noticed(provider, notice.refund)
        PaymentWebhookEvent.objects.filter(pk=record.pk).update(outcome=outcome)
    return Received(outcome, notice.event_id)


def _payment_noticed(provider, notice: Notice) -> Payment:
    trade = notice.trade
    payment = Payment.objects.filter(provider=provider.name,
                                     provider_ref=trade.out_trade_no).first()
    if payment is not None and (not notice.order_number
                                or payment.order.number == notice.order_number):
        return payment
    if payment is not None:
        raise NotificationRefused("This payment belongs to another order.", status=422,
                                  code="payment_of_another_order")
    if not notice.order_number:
        raise NotificationRefused("No payment with this out_trade_no.", status=404,
                                  code="payment_not_found")
    # the sandbox may report a payment begun outside this server, for an order it names
    order = Order.objects.filter(number=notice.order_number).first()
    if order is None:
        raise NotificationRefused("No order with this number.", status=404,
                                  code="order_not_found")
    payment, _ = Payment.objects.get_or_create(
        provider=provider.name, provider_ref=trade.out_trade_no,
        defaults={"order": order, "method": provider.name, "amount": trade.amount,
                  "currency": order.currency},
    )
    if payment.order_id != order.pk:  # a notification racing this one named another order
        raise NotificationRefused("This payment belongs to another order.", status=422,
                                  code="payment_of_another_order")
    return payment


def _refund_noticed(provider, result: RefundResult) -> str:
    refund = Refund.objects.filter(number=result.out_refund_no,
                                   payment__provider=provider.name).first()
    if refund is None:
        # made outside Shanhuo (the merchant's console): taken and kept (the notification is
        # recorded) so the platform stops retrying, and left to staff
        logger.error("A %s refund %s that Shanhuo did not ask for was reported; the books do "
                     "not know of it", provider.name, result.out_refund_no)
        return "unknown_refund"
    return "processed" if refund_apply(refund.pk, result) else "ignored"


# --- Refunds ------------------------------------------------------------------------------------


def _refunded(payment_id: int) -> Decimal:
    """What is given back, or being given back, of a payment."""
    total = (Refund.objects.filter(payment_id=payment_id).exclude(status=Refund.Status.FAILED)
             .aggregate(total=Sum("amount"))["total"])
    return total or Decimal("0.00")


def refundable(*, order: Order) -> Decimal:
    """What is left to give back of the payment that paid `order` (0 if none did)."""
    booked = Payment.objects.filter(order=order, booked=True).first()
    return booked.amount - _refunded(booked.pk) if booked else Decimal("0.00")


def parcel_refundable(*, order_id: int, shipment_id: int) -> Decimal:
    """What is left to give back of one parcel: what the books say is left of it (its holders'
    share less what the platform paid for it), less refunds of it asked for and not yet done
    (the books see a refund when it succeeds). Every refund of a parcel is held to it, whoever
    asks and whoever pays."""
    pending = (Refund.objects.filter(shipment_id=shipment_id, status=Refund.Status.PENDING)
               .aggregate(total=Sum("amount"))["total"] or Decimal("0"))
    left = Decimal(books_services.shipment_refundable_fen(order_id=order_id,
                                                          shipment_id=shipment_id)) / 100
    return max(money(left - pending), Decimal("0.00"))


def refund_request(*, order: Order, amount: Decimal, reason: str, key: str,
                   requested_by: User | None = None, shipment_id: int | None = None,
                   platform_pays: bool = False) -> Refund:
    """Give `amount` of a paid order's money back through the provider that took it (the
    harvest that came in short, staff in the admin, an after-sales claim on the parcel
    `shipment_id`, which the platform pays when `platform_pays`). `key` names the cause: asking
    twice with it gives the first refund back. More than is left of the payment, or of the
    parcel `shipment_id` (`parcel_refundable`) -> 409."""
    amount = money(amount)
    if amount <= 0:
        raise ValidationFailed({"amount": "A refund is more than zero."})
    with transaction.atomic():
        booked = Payment.objects.filter(order=order, booked=True).first()
        if booked is None:
            raise InvalidState("This order was never paid: there is nothing to refund.")
        return _refund_of(booked, amount=amount, reason=reason, key=key,
                          requested_by=requested_by, shipment_id=shipment_id,
                          platform_pays=platform_pays)


def _refund_of(payment: Payment, *, amount: Decimal, reason: str, key: str,
               requested_by: User | None = None, shipment_id: int | None = None,
               platform_pays: bool = False) -> Refund:
    with transaction.atomic():
        # Locks in the order every path takes them (order row, then the ledger, then the
        # payment row): a cancellation holds the ledger when it asks for its refund, and a
        # refund that settles at once posts to the ledger, so taking the payment first would
        # deadlock the two. Then two refunds at once are checked one after the other.
        posting.lock()
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        existing = Refund.objects.filter(key=key).first()
        if existing is not None:
            if existing.amount != amount or existing.payment_id != payment.pk:
                raise Conflict("This refund was already asked for with another amount.",
                               code="refund_key_reused")
            return existing
        left = payment.amount - _refunded(payment.pk)
        if amount > left:
            raise Conflict(f"The refund ({amount}) is more than is left of the payment "
                           f"({left}).", code="refund_exceeds_payment")
        if shipment_id is not None:
            left = parcel_refundable(order_id=payment.order_id, shipment_id=shipment_id)
            if amount > left:
                raise Conflict(f"The refund ({amount}) is more than is left of the parcel "
                               f"({left}).", code="refund_exceeds_payment")
        refund = Refund.objects.create(
            order_id=payment.order_id, payment=payment, amount=amount, reason=reason[:80],
            key=key[:128], number=f"RF{payment.order.number}{secrets.token_hex(4).upper()}",
            requested_by=requested_by, shipment_id=shipment_id, platform_pays=platform_pays,
        )
        provider = registry.PROVIDERS[payment.provider]
        if provider.settles_at_once:
            refund_apply(refund.pk, provider.refund(_refund_order(refund)))
            refund.refresh_from_db()
        else:
            enqueue(refund_submit_task, refund.pk)
    return refund


def _refund_order(refund: Refund) -> RefundOrder:
    payment = refund.payment
    return RefundOrder(
        out_trade_no=payment.provider_ref, transaction_id=payment.transaction_id,
        out_refund_no=refund.number, amount=refund.amount, total=payment.amount,
        currency=payment.currency, reason=refund.reason,
        notify_url=notify_url(payment.provider),
    )


def refund_apply(refund_id: int, result: RefundResult) -> bool:
    """Apply the platform's view of a refund. Succeeded: the money is back with the buyer, and
    the books take it back from what the order's holders were owed (for the payment that paid
    the order). False: nothing new."""
    now = timezone.now()
    with transaction.atomic():
        if result.status == "succeeded":
            if not Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING).update(
                status=Refund.Status.SUCCEEDED, settled_at=now,
                refund_id=result.refund_id[:128],
            ):
                return False
            refund = Refund.objects.select_related("payment", "order").get(pk=refund_id)
            if refund.payment.booked:
                books_services.refund_post(order_id=refund.order_id, amount=refund.amount,
                                           key=f"refund:{refund.pk}", reason=refund.reason,
                                           shipment_id=refund.shipment_id,
                                           platform_pays=refund.platform_pays)
            order = refund.order
            notify(user_id=order.buyer_id, event="refund_succeeded", key=f"refund:{refund.pk}",
                   title=f"订单 {order.number} 退款 {refund.amount} 元已到账",
                   body=(f"订单 {order.number} 的退款 {refund.amount} 元已原路退回"
                         + (f"（{refund.reason}）" if refund.reason else "") + "。"),
                   data={"order_id": order.pk, "order_number": order.number,
                         "amount": str(refund.amount), "currency": "CNY"})
            return True
        if result.status == "failed":
            return bool(Refund.objects.filter(pk=refund_id, status=Refund.Status.PENDING)
                        .update(status=Refund.Status.FAILED, settled_at=now,
                                failure="the platform reports the refund failed"))
    return False


def _pending_refund(refund_id: int) -> Refund | None:
    return Refund.objects.select_related("payment").filter(
        pk=refund_id, status=Refund.Status.PENDING).first()


def _refund_answered(refund: Refund, result: RefundResult) -> str:
    Refund.objects.filter(pk=refund.pk).update(
        checked_at=timezone.now(), refund_id=result.refund_id[:128] or refund.refund_id)
    refund_apply(refund.pk, result)
    return result.status


def refund_submit(*, refund_id: int) -> str:
    """Ask the platform for a pending refund (the task; again by the reconciliation task).
    The platform refunds once per refund number, so asking twice is harmless. Raises
    ProviderUnavailable for the task to retry."""
    refund = _pending_refund(refund_id)
    if refund is None:
        return "settled"
    try:
        result = registry.PROVIDERS[refund.payment.provider].refund(_refund_order(refund))
    except ProviderRefused as exc:
        if exc.code in WAIT_AND_RETRY:
            # the merchant account cannot pay it now: kept pending, asked again with back-off
            logger.error("The platform cannot pay refund %s yet: %s", refund, exc)
            raise ProviderUnavailable(f"{exc.code}: {exc}") from exc
        Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
            status=Refund.Status.FAILED, settled_at=timezone.now(),
            failure=f"{exc.code}: {exc}"[:255])
        logger.error("The platform refused refund %s: %s", refund, exc)
        return "failed"
    return _refund_answered(refund, result)


def refund_check(*, refund_id: int) -> str:
    """Ask the platform what became of a pending refund; one it does not know (the request
    never reached it) is asked for again."""
    refund = _pending_refund(refund_id)
    if refund is None:
        return "settled"
    try:
        result = registry.PROVIDERS[refund.payment.provider].refund_query(_refund_order(refund))
    except ProviderRefused:
        return refund_submit(refund_id=refund_id)
    return _refund_answered(refund, result)


# --- Cancellation and closing -------------------------------------------------------------------


def order_cancel_refund(*, order: Order) -> None:
    """The order was cancelled (checkout calls it in the cancelling transaction, after the
    books): every payment that took money is refunded in full (what is left of it), and every
    open one is closed at its platform once this commits."""
    for payment in Payment.objects.filter(order=order, status=Payment.Status.SUCCEEDED):
        left = payment.amount - _refunded(payment.pk)
        if left > 0:
            _refund_of(payment, amount=left, reason=CANCELLED_REASON,
                       key=f"cancel:payment:{payment.pk}")
    for payment_id in Payment.objects.filter(order=order, status=Payment.Status.PENDING) \
            .exclude(provider="sandbox").values_list("pk", flat=True):
        enqueue(payment_close_task, payment_id)


def payment_close(*, payment_id: int) -> str:
    """Close an open payment at its platform so it can no longer be paid. If the buyer paid in
    the meantime, the payment is settled instead (and refunded when the order cannot take it).
    Raises ProviderUnavailable for the caller to retry."""
    payment = Payment.objects.filter(pk=payment_id, status=Payment.Status.PENDING).first()
    if payment is None:
        return "settled"
    provider = registry.PROVIDERS[payment.provider]
    try:
        provider.close(payment.provider_ref)
    except ProviderRefused as exc:
        if exc.code != "paid":
            raise
        return trade_apply(payment, provider.query(payment.provider_ref))
    return trade_apply(payment, Trade(out_trade_no=payment.provider_ref, status="closed"))


# --- Reconciliation -----------------------------------------------------------------------------


def _payments_to_check(now) -> list[Payment]:
    """Open platform payments nobody reported within PAYMENT_QUERY_AFTER, or whose order
    stopped waiting for them (expired, cancelled, paid otherwise)."""
    asked_before = now - timedelta(seconds=settings.PAYMENT_QUERY_AFTER)
    stale = Q(created_at__lte=asked_before) & (Q(checked_at=None)
                                               | Q(checked_at__lte=asked_before))
    # an order that stopped waiting: at once, then at most once a minute (a run never waits
    # on the same platform twice for one payment while the last answer is fresh)
    order_done = ((~Q(order__status=Order.Status.PENDING_PAYMENT)
                   | Q(order__expires_at__lte=now))
                  & (Q(checked_at=None) | Q(checked_at__lte=now - timedelta(seconds=60))))
    return list(Payment.objects.filter(status=Payment.Status.PENDING)
                .exclude(provider="sandbox").filter(stale | order_done)
                .select_related("order").order_by("id")[:200])


def _reconcile_payment(payment: Payment, now) -> None:
    provider = registry.PROVIDERS[payment.provider]
    Payment.objects.filter(pk=payment.pk).update(checked_at=now)
    trade = provider.query(payment.provider_ref)
    if trade_apply(payment, trade) != "ignored" or trade.status != "pending":
        return
    order = payment.order
    if order.status != Order.Status.PENDING_PAYMENT or order.expires_at <= now:
        payment_close(payment_id=payment.pk)


def payment_open(*, order_id: int) -> bool:
    """Whether a payment of the order is still open at its platform (it may yet succeed)."""
    return Payment.objects.filter(order_id=order_id, status=Payment.Status.PENDING).exists()


def reconcile(*, now=None) -> tuple[dict[str, int], list[int]]:
    """Ask the platforms about payments and refunds no notification settled, close the open
    payments of orders that stopped waiting, and ask again for refunds a platform has not
    finished. Each item on its own: a platform that is down leaves its items for the next run.
    Returns what was done, and the orders past their payment window whose payment was just
    settled (checkout expires those with none left open)."""
    now = now or timezone.now()
    done = {"payments": 0, "refunds": 0, "unreachable": 0}
    expired: list[int] = []
    for payment in _payments_to_check(now):
        try:
            _reconcile_payment(payment, now)
        except (ProviderUnavailable, ProviderRefused) as exc:
            done["unreachable"] += 1
            logger.warning("Could not reconcile payment %s: %s", payment, exc)
            continue
        done["payments"] += 1
        if payment.order.expires_at <= now:
            expired.append(payment.order_id)
    asked_before = now - timedelta(seconds=60)
    for refund_id in (Refund.objects.filter(status=Refund.Status.PENDING,
                                            created_at__lte=asked_before)
                      .filter(Q(checked_at=None) | Q(checked_at__lte=asked_before))
                      .values_list("pk", flat=True)[:200]):
        try:
            refund_check(refund_id=refund_id)
        except ProviderUnavailable as exc:
            done["unreachable"] += 1
            logger.warning("Could not reconcile refund %s: %s", refund_id, exc)
            continue
        done["refunds"] += 1
    return done, expired
