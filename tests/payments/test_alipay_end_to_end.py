"""Paying with Alipay end to end: the buyer's app through our API, the fake Alipay gateway
(tests/payments/fake_alipay.py) as the platform, its signed notifications posted to our webhook,
and the reconciliation task for what a notification lost.

Transactional tests: the services commit a payment before they call the platform and hand tasks
over at commit, as in production."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
import time_machine
from django.utils import timezone

from checkout.tasks import reconcile_payments as reconcile
from orders.models import Order, OrderEvent
from payments import services as payment_services
from payments.models import Payment, PaymentWebhookEvent, Refund
from producers.models import Listing
from tests.client import ApiClient
from tests.factories import client_for, make_address, make_listing, make_producer, make_user

pytestmark = pytest.mark.django_db(transaction=True)

WEBHOOK = "/payments/webhooks/alipay"


@pytest.fixture
def buyer_api():
    return client_for(make_user(username="alipay_buyer"))


@pytest.fixture
def order_id(buyer_api, settings):
    """An unpaid order of 2 kg of apples at 12.50 plus 10.00 shipping: 35.00."""
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("99.00")
    farm = make_producer(name="李家果园")
    apples = make_listing(producer=farm, price="12.50", stock=50, title="红富士苹果",
                          unit=Listing.Unit.KG)
    response = buyer_api.post("/orders", {
        "lines": [{"listing_id": apples.pk, "quantity": 2}],
        "shipping_address": make_address(),
    })
    assert response.status_code == 201, response.content
    assert response.json()["total"] == "35.00"
    return response.json()["id"]


def pay(api, order_id, method="alipay_wap"):
    response = api.post(f"/orders/{order_id}/pay", {"method": method})
    assert response.status_code == 200, response.content
    return response.json()


def notify(api, params: dict):
    return api.post(WEBHOOK, urlencode(params), content_type="application/x-www-form-urlencoded")


def order_of(api, order_id):
    return api.get(f"/orders/{order_id}").json()


def assert_success(response):
    assert response.status_code == 200, response.content
    assert response.content == b"success"


def assert_not_success(response):
    assert response.content != b"success"
    assert response.status_code >= 400


# --- paying -----------------------------------------------------------------------------------

@pytest.mark.parametrize("method, action_type", [("alipay_wap", "redirect"),
                                                 ("alipay_app", "sdk")])
def test_paying_with_alipay_marks_the_order_paid_when_alipay_says_so(
        alipay_platform, buyer_api, order_id, method, action_type):
    # given: the buyer asks to pay; nothing is paid yet
    order = pay(buyer_api, order_id, method)
    assert order["status"] == "pending_payment"
    payment = order["payment"]
    assert (payment["provider"], payment["method"], payment["status"]) == (
        "alipay", method, "pending")
    assert payment["amount"] == "35.00"
    assert payment["action"]["type"] == action_type

    # when: the buyer pays in Alipay and Alipay notifies us
    notification = alipay_platform.pay(payment["action"])
    assert alipay_platform.trades[notification["out_trade_no"]].total_amount == Decimal("35.00")
    response = notify(buyer_api, notification)

    # then
    assert_success(response)
    order = order_of(buyer_api, order_id)
    assert order["status"] == "paid"
    assert order["payment"]["status"] == "succeeded"
    assert order["payment"]["action"] is None
    stored = Payment.objects.get(order_id=order_id)
    assert stored.transaction_id == notification["trade_no"]


def test_alipays_post_needs_no_csrf_token_or_session(alipay_platform, buyer_api, order_id):
    """Alipay posts a bare form: a CSRF check on the webhook would refuse every notification
    (Django's test client skips that check unless told)."""
    notification = alipay_platform.pay(pay(buyer_api, order_id)["payment"]["action"])
    alipay_side = ApiClient(enforce_csrf_checks=True)
    assert_success(notify(alipay_side, notification))
    assert order_of(buyer_api, order_id)["status"] == "paid"


def test_asking_to_pay_again_gives_a_freshly_signed_link_for_a_new_attempt(
        alipay_platform, buyer_api, order_id):
    first = pay(buyer_api, order_id)["payment"]
    again = pay(buyer_api, order_id)["payment"]
    assert again["id"] != first["id"] and again["action"]["type"] == "redirect"
    assert again["action"]["url"] != first["action"]["url"]


def test_alipay_not_configured_is_payment_method_unavailable(buyer_api, order_id, settings):
    settings.PAYMENT_PROVIDERS = ["sandbox", "alipay"]
    settings.ALIPAY_APP_ID = ""
    settings.ALIPAY_PRIVATE_KEY = ""
    settings.ALIPAY_PUBLIC_KEY = ""
    response = buyer_api.post(f"/orders/{order_id}/pay", {"method": "alipay_wap"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_method_unavailable"


# --- notifications we do not believe ----------------------------------------------------------

def test_a_tampered_notification_is_not_success_and_changes_nothing(alipay_platform, buyer_api,
                                                                    order_id):
    notification = alipay_platform.pay(pay(buyer_api, order_id)["payment"]["action"])
    response = notify(buyer_api, {**notification, "total_amount": "0.01"})

    assert_not_success(response)
    assert order_of(buyer_api, order_id)["status"] == "pending_payment"
    assert not PaymentWebhookEvent.objects.exists()


def test_a_notification_signed_by_someone_else_is_not_success(alipay_platform, buyer_api,
                                                              order_id):
    notification = alipay_platform.pay(pay(buyer_api, order_id)["payment"]["action"])
    forged = alipay_platform.signed_notification(notification, key=alipay_platform.app_key)
    assert_not_success(notify(buyer_api, forged))
    assert order_of(buyer_api, order_id)["status"] == "pending_payment"


def test_a_notification_for_another_app_is_not_success(alipay_platform, buyer_api, order_id):
    action = pay(buyer_api, order_id)["payment"]["action"]
    trade = alipay_platform.open_cashier(action)
    alipay_platform.pay(trade.out_trade_no)
    notification = alipay_platform.trade_notification(trade.out_trade_no,
                                                      app_id="2021009999999999")
    assert_not_success(notify(buyer_api, notification))
    assert order_of(buyer_api, order_id)["status"] == "pending_payment"
    assert not PaymentWebhookEvent.objects.exists()


@pytest.mark.parametrize("body", ["", "sign=abc", "a=1&a=2", "<xml/>"])
def test_a_malformed_notification_is_not_success(alipay_platform, buyer_api, order_id, body):
    response = buyer_api.post(WEBHOOK, body, content_type="application/x-www-form-urlencoded")
    assert_not_success(response)
    assert response.status_code < 500


def test_a_notification_for_an_unknown_trade_is_not_success(alipay_platform, buyer_api,
                                                            order_id):
    """Alipay tries again later; nothing is made up from it."""
    notification = alipay_platform.pay(pay(buyer_api, order_id)["payment"]["action"])
    alipay_platform.trades["NOT-OURS"] = alipay_platform.trades[notification["out_trade_no"]]
    stranger = alipay_platform.trade_notification("NOT-OURS", out_trade_no="NOT-OURS")
    response = notify(buyer_api, stranger)
    assert_not_success(response)
    assert response.status_code < 500
    assert order_of(buyer_api, order_id)["status"] == "pending_payment"


# --- duplicates and money the order cannot take -----------------------------------------------

def test_a_replayed_notification_is_success_and_changes_nothing(alipay_platform, buyer_api,
                                                                order_id):
    notification = alipay_platform.pay(pay(buyer_api, order_id)["payment"]["action"])
    assert_success(notify(buyer_api, notification))
    events = OrderEvent.objects.filter(order_id=order_id).count()

    assert_success(notify(buyer_api, notification))
    # Alipay's second word on a paid trade (TRADE_FINISHED, another notify_id) changes nothing
    finished = alipay_platform.trade_notification(notification["out_trade_no"],
                                                  trade_status="TRADE_FINISHED")
    assert_success(notify(buyer_api, finished))

    assert OrderEvent.objects.filter(order_id=order_id).count() == events
    assert Payment.objects.get(order_id=order_id).status == "succeeded"
    assert PaymentWebhookEvent.objects.filter(provider="alipay").count() == 2
    assert not Refund.objects.exists()


def test_an_amount_that_does_not_match_is_recorded_and_refunded(alipay_platform, buyer_api,
                                                                order_id):
    action = pay(buyer_api, order_id)["payment"]["action"]
    notification = alipay_platform.pay(action, amount=Decimal("0.35"))

    assert_success(notify(buyer_api, notification))

    order = order_of(buyer_api, order_id)
    assert order["status"] == "pending_payment"
    refund = Refund.objects.get(order_id=order_id)
    assert refund.amount == Decimal("0.35")
    assert refund.status == "succeeded"
    trade = alipay_platform.trades[notification["out_trade_no"]]
    assert trade.refunds == {refund.number: Decimal("0.35")}
    assert OrderEvent.objects.filter(order_id=order_id, note__contains="refunded").exists()
    assert [r["amount"] for r in order["refunds"]] == ["0.35"]


def test_a_payment_for_a_cancelled_order_is_refunded(alipay_platform, buyer_api, order_id):
    action = pay(buyer_api, order_id)["payment"]["action"]
    assert buyer_api.post(f"/orders/{order_id}/cancel").status_code == 200
    # the open payment was closed at Alipay (nobody had opened the cashier yet)
    assert Payment.objects.get(order_id=order_id).status == "closed"

    # the buyer still had the page open and pays before time_expire
    notification = alipay_platform.pay(action)
    assert_success(notify(buyer_api, notification))

    assert Order.objects.get(pk=order_id).status == "cancelled"
    refund = Refund.objects.get(order_id=order_id)
    assert (refund.amount, refund.status) == (Decimal("35.00"), "succeeded")
    assert alipay_platform.trades[notification["out_trade_no"]].refunded == Decimal("35.00")


def test_cancelling_while_the_buyer_has_just_paid_refunds_the_payment(alipay_platform, buyer_api,
                                                                     order_id):
    """The buyer paid a moment ago; the notification is not here yet when the order is
    cancelled. Closing the trade is refused (paid): the query settles the payment, and the
    money the cancelled order cannot take goes back."""
    notification = alipay_platform.pay(pay(buyer_api, order_id)["payment"]["action"])

    assert buyer_api.post(f"/orders/{order_id}/cancel").status_code == 200

    assert Payment.objects.get(order_id=order_id).status == "succeeded"
    assert Order.objects.get(pk=order_id).status == "cancelled"
    assert alipay_platform.trades[notification["out_trade_no"]].refunded == Decimal("35.00")
    # the late notification changes nothing more
    assert_success(notify(buyer_api, notification))
    assert Refund.objects.filter(order_id=order_id).count() == 1


def test_cancelling_after_the_cashier_opened_closes_the_alipay_trade(alipay_platform, buyer_api,
                                                                    order_id):
    trade = alipay_platform.open_cashier(pay(buyer_api, order_id)["payment"]["action"])
    assert buyer_api.post(f"/orders/{order_id}/cancel").status_code == 200
    assert trade.status == "TRADE_CLOSED"
    assert Payment.objects.get(order_id=order_id).status == "closed"


# --- what a notification lost, the query finds ------------------------------------------------

def test_a_lost_notification_is_recovered_by_the_query_task(alipay_platform, buyer_api,
                                                            order_id, settings):
    action = pay(buyer_api, order_id)["payment"]["action"]
    alipay_platform.pay(action)  # the notification never arrives

    later = timezone.now() + timedelta(seconds=settings.PAYMENT_QUERY_AFTER + 1)
    with time_machine.travel(later, tick=False):
        reconcile.apply()

    assert order_of(buyer_api, order_id)["status"] == "paid"
    assert alipay_platform.requests[-1]["method"] == "alipay.trade.query"


def test_an_unpaid_order_past_its_window_is_closed_at_alipay_then_expired(
        alipay_platform, buyer_api, order_id):
    trade = alipay_platform.open_cashier(pay(buyer_api, order_id)["payment"]["action"])
    expires_at = Order.objects.get(pk=order_id).expires_at

    with time_machine.travel(expires_at + timedelta(seconds=1), tick=False):
        reconcile.apply()

    assert trade.status == "TRADE_CLOSED"
    assert Payment.objects.get(order_id=order_id).status == "closed"
    assert Order.objects.get(pk=order_id).status == "cancelled"


def test_a_paid_trade_found_at_expiry_pays_the_order_instead(alipay_platform, buyer_api,
                                                             order_id):
    alipay_platform.pay(pay(buyer_api, order_id)["payment"]["action"])
    expires_at = Order.objects.get(pk=order_id).expires_at

    with time_machine.travel(expires_at + timedelta(seconds=1), tick=False):
        reconcile.apply()

    assert Order.objects.get(pk=order_id).status == "paid"


@pytest.mark.parametrize("fault", ["500", "hang", "bad_sign"])
def test_a_gateway_failing_the_query_loses_nothing_and_the_next_run_recovers(
        alipay_platform, buyer_api, order_id, settings, fault):
    settings.PAYMENT_HTTP_TIMEOUT = 0.3
    alipay_platform.pay(pay(buyer_api, order_id)["payment"]["action"])
    later = timezone.now() + timedelta(seconds=settings.PAYMENT_QUERY_AFTER + 1)

    alipay_platform.faults.append(fault)
    with time_machine.travel(later, tick=False):
        reconcile.apply()
    assert Order.objects.get(pk=order_id).status == "pending_payment"
    assert Payment.objects.get(order_id=order_id).status == "pending"

    with time_machine.travel(later + timedelta(seconds=settings.PAYMENT_QUERY_AFTER + 1),
                             tick=False):
        reconcile.apply()
    assert Order.objects.get(pk=order_id).status == "paid"


# --- refunds ----------------------------------------------------------------------------------

def paid_order(platform, api, order_id) -> str:
    notification = platform.pay(pay(api, order_id)["payment"]["action"])
    assert_success(notify(api, notification))
    return notification["out_trade_no"]


def test_a_partial_refund_goes_to_alipay_with_its_own_request_number(alipay_platform, buyer_api,
                                                                      order_id):
    out_trade_no = paid_order(alipay_platform, buyer_api, order_id)

    first = payment_services.refund_request(order=Order.objects.get(pk=order_id),
                                            amount=Decimal("5.00"), reason="少发 1 斤",
                                            key="test:short:1")
    second = payment_services.refund_request(order=Order.objects.get(pk=order_id),
                                             amount=Decimal("7.50"), reason="少发 1.5 斤",
                                             key="test:short:2")

    trade = alipay_platform.trades[out_trade_no]
    assert trade.refunds == {first.number: Decimal("5.00"), second.number: Decimal("7.50")}
    assert trade.status == "TRADE_SUCCESS"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == second.status == "succeeded"
    refunds = order_of(buyer_api, order_id)["refunds"]
    assert [(r["amount"], r["status"]) for r in refunds] == [("5.00", "succeeded"),
                                                              ("7.50", "succeeded")]

    # Alipay's refund notification afterwards changes nothing, and is answered success
    assert_success(notify(buyer_api, alipay_platform.refund_notification(out_trade_no,
                                                                          second.number)))
    assert Refund.objects.filter(status="succeeded").count() == 2


def test_a_refund_the_gateway_fails_is_retried_and_done_once(alipay_platform, buyer_api,
                                                            order_id, settings):
    settings.PAYMENT_HTTP_TIMEOUT = 0.3
    out_trade_no = paid_order(alipay_platform, buyer_api, order_id)
    alipay_platform.faults.extend(["500", "hang"])

    refund = payment_services.refund_request(order=Order.objects.get(pk=order_id),
                                             amount=Decimal("5.00"), reason="少发",
                                             key="test:short")

    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert alipay_platform.trades[out_trade_no].refunded == Decimal("5.00")
    refund_calls = [r for r in alipay_platform.requests if r["method"] == "alipay.trade.refund"]
    assert len(refund_calls) == 3  # 500, timeout, done


def test_a_refund_left_pending_is_finished_by_the_reconciliation(alipay_platform, buyer_api,
                                                                order_id, settings):
    """The refund task gave up while Alipay was down; the periodic task asks, finds no refund
    at Alipay, and asks for it again (same out_request_no: refunded once)."""
    settings.PAYMENT_HTTP_TIMEOUT = 0.3
    out_trade_no = paid_order(alipay_platform, buyer_api, order_id)
    alipay_platform.faults.extend(["500"] * 13)  # every retry of the task

    refund = payment_services.refund_request(order=Order.objects.get(pk=order_id),
                                             amount=Decimal("5.00"), reason="少发",
                                             key="test:short")
    refund.refresh_from_db()
    assert refund.status == "pending"
    assert alipay_platform.trades[out_trade_no].refunded == Decimal("0.00")

    alipay_platform.faults.clear()
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        reconcile.apply()

    refund.refresh_from_db()
    assert refund.status == "succeeded"
    assert alipay_platform.trades[out_trade_no].refunds == {refund.number: Decimal("5.00")}


def test_cancelling_a_paid_order_refunds_it_whole_through_alipay(alipay_platform, buyer_api,
                                                                 order_id):
    out_trade_no = paid_order(alipay_platform, buyer_api, order_id)
    assert buyer_api.post(f"/orders/{order_id}/cancel").status_code == 200
    assert alipay_platform.trades[out_trade_no].refunded == Decimal("35.00")
    assert alipay_platform.trades[out_trade_no].status == "TRADE_CLOSED"
    refund = Refund.objects.get(order_id=order_id)
    assert refund.status == "succeeded"

    # Alipay's notice of the whole refund says TRADE_CLOSED: it is the refund's news, not the
    # payment's (the money was taken, then given back)
    notice = alipay_platform.refund_notification(out_trade_no, refund.number)
    assert notice["trade_status"] == "TRADE_CLOSED"
    assert_success(notify(buyer_api, notice))
    assert Payment.objects.get(order_id=order_id).status == "succeeded"


def test_a_gateway_failing_the_close_at_cancellation_is_retried(alipay_platform, buyer_api,
                                                               order_id, settings):
    settings.PAYMENT_HTTP_TIMEOUT = 0.3
    trade = alipay_platform.open_cashier(pay(buyer_api, order_id)["payment"]["action"])
    alipay_platform.faults.extend(["500", "hang"])

    assert buyer_api.post(f"/orders/{order_id}/cancel").status_code == 200

    assert trade.status == "TRADE_CLOSED"
    assert Payment.objects.get(order_id=order_id).status == "closed"
    closes = [r for r in alipay_platform.requests if r["method"] == "alipay.trade.close"]
    assert len(closes) == 3
