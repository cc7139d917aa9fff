"""Paying with WeChat Pay through our API, against the fake platform: prepay, notifications,
replays, money the order cannot take, reconciliation, refunds, a platform that fails."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from checkout.services import reconcile
from checkout.tasks import expire_unpaid_orders
from ledger.models import Entry
from orders.models import Order, OrderEvent
from payments.models import Payment, PaymentWebhookEvent, Refund
from payments.services import refund_request
from producers.models import Listing
from tests.client import ApiClient
from tests.concurrency import run_concurrently
from tests.factories import make_address, make_listing, make_producer
from tests.payments.fake_wechat import FakeRefund, new_key, verify

pytestmark = pytest.mark.django_db

WEBHOOK = "/payments/webhooks/wechat"
OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"


@pytest.fixture(autouse=True)
def shop(settings, wechat_platform):
    settings.PAYMENT_PROVIDERS = ["wechat"]
    settings.PAYMENT_NOTIFY_BASE_URL = "https://shop.example.cn"
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("99.00")
    settings.ORDER_PAYMENT_TIMEOUT = 30 * 60
    settings.PAYMENT_QUERY_AFTER = 300


@pytest.fixture
def persimmons(db) -> Listing:
    return make_listing(producer=make_producer(name="富平柿园"), title="富平柿饼", price="12.50",
                        stock=50, unit=Listing.Unit.KG)


@pytest.fixture
def order(buyer_api, persimmons) -> Order:
    response = buyer_api.post("/orders", {
        "lines": [{"listing_id": persimmons.pk, "quantity": 2}],
        "shipping_address": make_address(),
    })
    assert response.status_code == 201, response.content
    return Order.objects.get(pk=response.json()["id"])


def pay(client, order, method="wechat_native", **extra):
    body = {"method": method, **({"openid": OPENID} if method == "wechat_jsapi" else {}), **extra}
    return client.post(f"/orders/{order.pk}/pay", body)


def paying(client, order, method="wechat_native") -> Payment:
    response = pay(client, order, method)
    assert response.status_code == 200, response.content
    return Payment.objects.get(pk=response.json()["payment"]["id"])


def reconcile_at(moment):
    """The reconciliation task run at `moment`: the clock moves for everyone (the platform
    signs with its time, the order expires by ours)."""
    with time_machine.travel(moment, tick=True):
        return reconcile()


def post_notification(client, headers_body):
    headers, body = headers_body
    return client.post(WEBHOOK, body, content_type="application/json", headers=headers)


def state(order: Order) -> tuple:
    """What a notification we refuse must not change."""
    order.refresh_from_db()
    return (order.status, list(Payment.objects.filter(order=order)
                               .values_list("status", "transaction_id", "booked")),
            Refund.objects.count(), PaymentWebhookEvent.objects.count(),
            OrderEvent.objects.filter(order=order).count())


# --- starting a payment ---

@pytest.mark.parametrize("method", ["wechat_native", "wechat_jsapi", "wechat_h5"])
def test_paying_with_each_method_answers_what_the_app_does_next(
        buyer_api, order, wechat_platform, method, settings):
    settings.PAYMENT_RETURN_URL = "https://m.shanhuo.example.cn/orders/{order_id}"
    response = pay(buyer_api, order, method)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "pending_payment"  # until the platform says the money is taken
    payment = body["payment"]
    assert (payment["provider"], payment["method"], payment["status"]) == (
        "wechat", method, "pending")
    assert Decimal(payment["amount"]) == order.total == Decimal("35.00")
    trade = wechat_platform.trades[Payment.objects.get().provider_ref]
    assert trade.total == 3500
    assert trade.notify_url == "https://shop.example.cn/api/v1/payments/webhooks/wechat"
    action = payment["action"]
    if method == "wechat_native":
        assert action == {"type": "qr", "code_url": f"weixin://wxpay/bizpayurl?pr="
                                                    f"{trade.prepay_id[-9:]}"}
    elif method == "wechat_h5":
        assert action["type"] == "redirect"
        assert action["url"].startswith("https://wx.tenpay.com/") and "redirect_url=" in action[
            "url"]
    else:
        params = action["params"]
        assert action["type"] == "jsapi" and params["package"] == f"prepay_id={trade.prepay_id}"
        assert trade.openid == OPENID
        message = (f"{params['appId']}\n{params['timeStamp']}\n{params['nonceStr']}\n"
                   f"{params['package']}\n").encode()
        assert verify(wechat_platform.merchant_key.public_key(), params["paySign"], message)


def test_a_retried_pay_with_its_idempotency_key_is_one_trade(buyer_api, order, wechat_platform):
    body = {"method": "wechat_native"}
    headers = {"Idempotency-Key": "pay-7f3a"}
    first = buyer_api.post(f"/orders/{order.pk}/pay", body, headers=headers).json()["payment"]
    again = buyer_api.post(f"/orders/{order.pk}/pay", body, headers=headers).json()["payment"]
    assert again == first
    assert len(wechat_platform.trades) == 1


def test_jsapi_without_openid_and_unknown_methods_are_422(buyer_api, order, wechat_platform):
    assert buyer_api.post(f"/orders/{order.pk}/pay", {"method": "wechat_jsapi"}
                          ).status_code == 422
    assert pay(buyer_api, order, "wechat_miniprogram").status_code == 422
    assert wechat_platform.received == [] and not Payment.objects.exists()


def test_wechat_not_configured_is_409(buyer_api, order, settings, wechat_platform):
    settings.WECHATPAY_APIV3_KEY = "too short"
    response = pay(buyer_api, order)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_method_unavailable"
    assert wechat_platform.received == []


@pytest.mark.parametrize("fault", ["500", "hang", "bad_signature"])
def test_a_platform_failing_at_prepay_is_503_and_nothing_is_lost(
        buyer_api, order, wechat_platform, settings, fault):
    settings.PAYMENT_HTTP_TIMEOUT = 0.3
    wechat_platform.fault = fault

    response = pay(buyer_api, order)

    assert response.status_code == 503, response.content
    assert response.json()["error"]["code"] == "payment_provider_unavailable"
    order.refresh_from_db()
    assert order.status == "pending_payment"
    # the platform is back: the buyer pays, and the attempt that failed is closed later
    wechat_platform.fault = None
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)
    assert post_notification(buyer_api, wechat_platform.transaction_notification(
        payment.provider_ref)).status_code == 204
    order.refresh_from_db()
    assert order.status == "paid"
    reconcile_at(timezone.now() + timedelta(seconds=1))
    failed = Payment.objects.exclude(pk=payment.pk).get()
    assert failed.status == "closed" and not failed.booked


def test_paying_again_starts_a_new_attempt_and_closes_the_one_before(
        buyer_api, order, wechat_platform, django_capture_on_commit_callbacks):
    # an H5 link lives five minutes: a buyer who comes back later gets a new one
    first = paying(buyer_api, order, "wechat_h5")
    with django_capture_on_commit_callbacks(execute=True):
        again = pay(buyer_api, order, "wechat_h5").json()["payment"]
    assert again["id"] != first.pk and again["action"]["type"] == "redirect"
    first.refresh_from_db()
    assert first.status == "closed"
    assert wechat_platform.trades[first.provider_ref].state == "CLOSED"
    # the order shows the new attempt, whose link works
    shown = buyer_api.get(f"/orders/{order.pk}").json()["payment"]
    assert shown["id"] == again["id"] and shown["status"] == "pending"


# --- notifications ---

def test_a_good_notification_marks_the_order_paid(api, buyer_api, order, wechat_platform):
    payment = paying(buyer_api, order)
    trade = wechat_platform.pay(payment.provider_ref)

    response = post_notification(api, wechat_platform.transaction_notification(
        payment.provider_ref, event_id="EV-PAID"))

    assert response.status_code == 204 and response.content == b""
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == "paid"
    assert (payment.status, payment.transaction_id, payment.booked) == (
        "succeeded", trade.transaction_id, True)
    event = PaymentWebhookEvent.objects.get()
    assert (event.provider, event.event_id, event.outcome) == ("wechat", "EV-PAID", "processed")
    seen = buyer_api.get(f"/orders/{order.pk}").json()
    assert seen["status"] == "paid" and seen["payment"]["action"] is None


def _tampered(platform, ref):
    headers, body = platform.transaction_notification(ref)
    return headers, body.replace(b'"TRANSACTION.SUCCESS"', b'"TRANSACTION.SUCCESS" ')


BAD_NOTIFICATIONS = {
    "tampered": _tampered,
    "wrong_signature": lambda p, ref: p.transaction_notification(ref, key=new_key()),
    "unknown_serial": lambda p, ref: p.transaction_notification(
        ref, serial="PUB_KEY_ID_0114000000000000000000000000009999"),
    "stale": lambda p, ref: p.transaction_notification(
        ref, timestamp=int(timezone.now().timestamp()) - 301),
}


@pytest.mark.parametrize("kind", BAD_NOTIFICATIONS)
def test_a_notification_we_cannot_believe_is_401_and_changes_nothing(
        api, buyer_api, order, wechat_platform, kind):
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)
    before = state(order)

    response = post_notification(api, BAD_NOTIFICATIONS[kind](wechat_platform,
                                                              payment.provider_ref))

    assert response.status_code == 401, response.content
    assert response.json()["code"] == "FAIL" and response.json()["message"]
    assert state(order) == before and before[0] == "pending_payment"


def test_a_malformed_notification_is_400_and_changes_nothing(api, buyer_api, order,
                                                             wechat_platform):
    paying(buyer_api, order)
    before = state(order)
    body = b'{"id": "EV-1", "event_type": "TRANSACTION.SUCCESS"}'
    response = post_notification(api, (wechat_platform.signed_headers(body), body))
    assert response.status_code == 400 and response.json()["code"] == "FAIL"
    assert state(order) == before


def test_a_notification_for_an_unknown_trade_is_refused_and_changes_nothing(
        api, buyer_api, order, wechat_platform):
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)
    before = state(order)
    response = post_notification(api, wechat_platform.transaction_notification(
        payment.provider_ref, override={"out_trade_no": "SH-NOT-OURS"}))
    assert response.status_code == 404 and response.json()["code"] == "FAIL"
    assert state(order) == before


def test_a_replayed_notification_changes_nothing(api, buyer_api, order, wechat_platform):
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)
    notification = wechat_platform.transaction_notification(payment.provider_ref)
    assert post_notification(api, notification).status_code == 204
    after_first = state(order)

    assert post_notification(api, notification).status_code == 204  # the platform retries
    # and the same payment reported again under another notification id
    again = wechat_platform.transaction_notification(payment.provider_ref)
    assert post_notification(api, again).status_code == 204

    assert state(order)[:3] == after_first[:3] and state(order)[4] == after_first[4]
    assert list(PaymentWebhookEvent.objects.order_by("id").values_list("outcome", flat=True)) == [
        "processed", "ignored"]


def test_a_payment_of_another_amount_is_recorded_and_refunded(
        api, buyer_api, order, wechat_platform, django_capture_on_commit_callbacks):
    payment = paying(buyer_api, order)
    wechat_platform.trades[payment.provider_ref].total = 1  # the platform took 0.01
    wechat_platform.pay(payment.provider_ref)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_notification(api, wechat_platform.transaction_notification(
            payment.provider_ref))

    assert response.status_code == 204
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == "pending_payment"
    assert (payment.status, payment.amount, payment.booked) == ("succeeded", Decimal("0.01"),
                                                                False)
    refund = Refund.objects.get()
    assert (refund.amount, refund.status) == (Decimal("0.01"), "pending")
    assert "refunded" in OrderEvent.objects.filter(order=order).last().note
    # the refund reached the platform, for what it took
    (asked,) = wechat_platform.refunds.values()
    assert (asked.out_refund_no, asked.refund, asked.total) == (refund.number, 1, 1)
    # and its notification settles it
    wechat_platform.settle_refund(refund.number)
    assert post_notification(api, wechat_platform.refund_notification(refund.number)
                             ).status_code == 204
    refund.refresh_from_db()
    assert refund.status == "succeeded" and refund.refund_id == asked.refund_id


def test_a_payment_for_a_cancelled_order_is_refunded(
        api, buyer_api, order, wechat_platform, django_capture_on_commit_callbacks, persimmons):
    payment = paying(buyer_api, order)
    # the buyer cancels; before the close reaches the platform, the buyer pays anyway
    assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200
    wechat_platform.pay(payment.provider_ref)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_notification(api, wechat_platform.transaction_notification(
            payment.provider_ref))

    assert response.status_code == 204
    order.refresh_from_db()
    assert order.status == "cancelled"
    refund = Refund.objects.get()
    assert (refund.amount, refund.payment_id) == (order.total, payment.pk)
    assert wechat_platform.refunds[refund.number].refund == 3500
    persimmons.refresh_from_db()
    assert persimmons.stock == 50  # the stock went back once, and stays back


def test_a_cancel_closes_the_open_trade_at_the_platform(
        buyer_api, order, wechat_platform, django_capture_on_commit_callbacks):
    payment = paying(buyer_api, order)
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200
    assert wechat_platform.trades[payment.provider_ref].state == "CLOSED"
    payment.refresh_from_db()
    assert payment.status == "closed" and not Refund.objects.exists()


def test_a_payment_that_beat_the_close_is_settled_and_refunded(
        buyer_api, order, wechat_platform, django_capture_on_commit_callbacks):
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)  # paid, the notification not here yet

    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200

    payment.refresh_from_db()
    assert payment.status == "succeeded" and not payment.booked
    assert Refund.objects.get().amount == order.total
    assert wechat_platform.trades[payment.provider_ref].state == "REFUND"


# --- reconciliation ---

def test_a_lost_notification_is_recovered_by_the_query_task(buyer_api, order, wechat_platform):
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)  # the notification never arrives

    assert reconcile()["payments"] == 0  # too early to ask
    done = reconcile_at(timezone.now() + timedelta(seconds=301))

    assert done["payments"] == 1
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == "paid" and payment.status == "succeeded" and payment.booked
    assert wechat_platform.requests_to("/v3/pay/transactions/out-trade-no/")


def test_a_paid_order_whose_notification_was_lost_is_not_expired(buyer_api, order,
                                                                  wechat_platform, persimmons):
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)

    with time_machine.travel(order.expires_at + timedelta(seconds=1), tick=True):
        assert expire_unpaid_orders() == 0  # its stock is not given away: the buyer paid
        reconcile()

    order.refresh_from_db()
    persimmons.refresh_from_db()
    assert order.status == "paid" and persimmons.stock == 48


def test_an_unpaid_order_past_its_window_is_closed_at_the_platform_then_expired(
        buyer_api, order, wechat_platform, persimmons):
    payment = paying(buyer_api, order)

    reconcile_at(order.expires_at + timedelta(seconds=1))

    assert wechat_platform.trades[payment.provider_ref].state == "CLOSED"
    order.refresh_from_db()
    payment.refresh_from_db()
    persimmons.refresh_from_db()
    assert payment.status == "closed" and order.status == "cancelled"
    assert persimmons.stock == 50


def test_reconciliation_leaves_everything_for_later_while_the_platform_is_down(
        buyer_api, order, wechat_platform, settings):
    settings.PAYMENT_HTTP_TIMEOUT = 0.3
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)
    wechat_platform.fault = "500"

    done = reconcile_at(order.expires_at + timedelta(seconds=1))

    assert done["unreachable"] == 1
    order.refresh_from_db()
    assert order.status == "pending_payment"  # not expired: its money may be taken
    wechat_platform.fault = None
    # asked again at the next run a minute on (not at every run while the last answer is fresh)
    assert reconcile_at(order.expires_at + timedelta(seconds=2))["payments"] == 0
    reconcile_at(order.expires_at + timedelta(seconds=62))
    order.refresh_from_db()
    assert order.status == "paid"


# --- refunds ---

def _paid(api, buyer_api, order, platform) -> Payment:
    payment = paying(buyer_api, order)
    platform.pay(payment.provider_ref)
    assert post_notification(api, platform.transaction_notification(payment.provider_ref)
                             ).status_code == 204
    payment.refresh_from_db()
    return payment


def test_a_partial_refund_and_its_refund_notification(
        api, buyer_api, order, wechat_platform, django_capture_on_commit_callbacks):
    payment = _paid(api, buyer_api, order, wechat_platform)

    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(order=order, amount=Decimal("12.50"), reason="少发 1 斤",
                                key="staff:short:1")

    asked = wechat_platform.refunds[refund.number]
    assert (asked.refund, asked.total, asked.transaction_id) == (
        1250, 3500, payment.transaction_id)
    refund.refresh_from_db()
    assert refund.status == "pending" and refund.refund_id == asked.refund_id
    wechat_platform.settle_refund(refund.number)

    response = post_notification(api, wechat_platform.refund_notification(refund.number))

    assert response.status_code == 204
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    seen = buyer_api.get(f"/orders/{order.pk}").json()
    assert [(r["amount"], r["status"]) for r in seen["refunds"]] == [("12.50", "succeeded")]
    assert seen["status"] == "paid"
    # the rest can still be given back, never more
    with django_capture_on_commit_callbacks(execute=True):
        refund_request(order=order, amount=Decimal("22.50"), reason="取消", key="staff:rest")
    assert sum(r.refund for r in wechat_platform.refunds.values()) == 3500


def test_a_refund_nobody_reported_is_settled_by_the_query_task(
        api, buyer_api, order, wechat_platform, django_capture_on_commit_callbacks):
    _paid(api, buyer_api, order, wechat_platform)
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(order=order, amount=Decimal("5.00"), reason="破损",
                                key="staff:broken")
    wechat_platform.settle_refund(refund.number)  # its notification is lost

    done = reconcile_at(timezone.now() + timedelta(seconds=120))

    assert done["refunds"] == 1
    refund.refresh_from_db()
    assert refund.status == "succeeded"


def test_a_refund_made_outside_shanhuo_is_taken_recorded_and_changes_nothing(
        api, buyer_api, order, wechat_platform):
    # a refund made in the merchant's console: WeChat would retry for a day if we refused it
    _paid(api, buyer_api, order, wechat_platform)
    payment = Payment.objects.get()
    wechat_platform.refunds["RF-NOT-OURS"] = FakeRefund(
        "RF-NOT-OURS", payment.provider_ref, payment.transaction_id, 100, 3500, "", "",
        status="SUCCESS")
    entries = Entry.objects.count()
    response = post_notification(api, wechat_platform.refund_notification("RF-NOT-OURS"))
    assert response.status_code == 204
    assert PaymentWebhookEvent.objects.get(event_type="refund.succeeded").outcome == \
        "unknown_refund"
    assert not Refund.objects.exists() and Entry.objects.count() == entries


def test_a_refund_the_merchant_balance_cannot_cover_waits_and_is_made_once_topped_up(
        api, buyer_api, order, wechat_platform, django_capture_on_commit_callbacks):
    _paid(api, buyer_api, order, wechat_platform)
    wechat_platform.balance_short = True
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(order=order, amount=Decimal("10.00"), reason="少发",
                                key="staff:short")
    refund.refresh_from_db()
    assert refund.status == "pending" and not refund.failure  # not given up on
    wechat_platform.balance_short = False
    wechat_platform.refunds_settle_at_once = True
    reconcile_at(timezone.now() + timedelta(seconds=120))
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert sum(r.refund for r in wechat_platform.refunds.values()) == 1000


@pytest.mark.parametrize("fault", ["500", "500_after", "bad_signature"])
def test_a_refund_whose_answer_was_lost_is_settled_later_and_made_once(
        api, buyer_api, order, wechat_platform, django_capture_on_commit_callbacks, fault):
    _paid(api, buyer_api, order, wechat_platform)
    wechat_platform.fault = fault
    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_request(order=order, amount=Decimal("35.00"), reason="取消",
                                key="staff:all")
    refund.refresh_from_db()
    assert refund.status == "pending"  # retried with back-off (at once when eager), then left
    assert len(wechat_platform.requests_to("/v3/refund/domestic/refunds")) > 1

    wechat_platform.fault = None
    wechat_platform.refunds_settle_at_once = True
    for number in list(wechat_platform.refunds):  # made, though we never heard so: done since
        wechat_platform.settle_refund(number)
    done = reconcile_at(timezone.now() + timedelta(seconds=120))

    assert done["refunds"] == 1
    refund.refresh_from_db()
    assert refund.status == "succeeded"
    (made,) = wechat_platform.refunds.values()  # asked many times, made once
    assert made.refund == 3500 and made.out_refund_no == refund.number


def test_cancelling_a_paid_order_refunds_it_through_the_platform(
        api, buyer_api, order, wechat_platform, django_capture_on_commit_callbacks):
    payment = _paid(api, buyer_api, order, wechat_platform)

    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_api.post(f"/orders/{order.pk}/cancel")

    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    refund = Refund.objects.get()
    asked = wechat_platform.refunds[refund.number]
    assert (asked.refund, asked.total, asked.transaction_id) == (3500, 3500,
                                                                 payment.transaction_id)
    wechat_platform.settle_refund(refund.number)
    assert post_notification(api, wechat_platform.refund_notification(refund.number)
                             ).status_code == 204
    refunds = buyer_api.get(f"/orders/{order.pk}").json()["refunds"]
    assert [(r["amount"], r["status"]) for r in refunds] == [("35.00", "succeeded")]


# --- races, on PostgreSQL with real threads ---

def _count_paid_events(order) -> int:
    return OrderEvent.objects.filter(order=order, to_status="paid").count()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_notification_its_retry_and_the_query_task_at_once_pay_the_order_once(
        buyer_api, order, wechat_platform, settings):
    settings.PAYMENT_QUERY_AFTER = 0
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)
    notification = wechat_platform.transaction_notification(payment.provider_ref)

    results = run_concurrently(
        lambda: post_notification(ApiClient(), notification).status_code,
        lambda: post_notification(ApiClient(), notification).status_code,
        reconcile,
    )

    assert results[:2] == [204, 204], results
    assert not isinstance(results[2], Exception), results
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == "paid" and payment.booked and _count_paid_events(order) == 1
    assert PaymentWebhookEvent.objects.count() == 1 and not Refund.objects.exists()
    call_command("ledger_verify")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_cancel_racing_the_notification_gives_the_money_back_once(
        buyer_api, order, wechat_platform, persimmons):
    payment = paying(buyer_api, order)
    wechat_platform.pay(payment.provider_ref)
    notification = wechat_platform.transaction_notification(payment.provider_ref)

    results = run_concurrently(
        lambda: post_notification(ApiClient(), notification).status_code,
        lambda: buyer_api.post(f"/orders/{order.pk}/cancel").status_code,
    )

    assert results[0] == 204 and results[1] in (200, 409), results
    order.refresh_from_db()
    persimmons.refresh_from_db()
    if order.status == "cancelled":  # the cancel won, or came second and refunded the payment
        assert sum(r.amount for r in Refund.objects.all()) == order.total
        assert persimmons.stock == 50
    else:  # the cancel was refused: the order is paid and keeps its money
        assert order.status == "paid" and not Refund.objects.exists()
    call_command("ledger_verify")
