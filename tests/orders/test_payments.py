"""Paying: the sandbox provider, signed webhooks, replays, late payments."""

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from checkout.tasks import expire_unpaid_orders
from orders.models import Order, OrderEvent
from payments.models import Payment, PaymentWebhookEvent
from payments.providers.sandbox import sign
from producers.models import Listing
from tests.factories import client_for, make_user
from tests.orders.conftest import WEBHOOK, post_webhook, webhook_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, buyer_api, place, two_farms) -> Order:
    response = place(buyer_api, (two_farms["apples"], 2), (two_farms["tea"], 1))
    assert response.status_code == 201
    return Order.objects.get(pk=response.json()["id"])


def pay(client, order, method="sandbox"):
    return client.post(f"/orders/{order.pk}/pay", {"method": method})


def test_sandbox_pays_at_once_and_records_the_payment(buyer_api, order):
    response = pay(buyer_api, order)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "paid"
    payment = Payment.objects.get(order=order)
    assert payment.provider == "sandbox" and payment.status == "succeeded"
    assert payment.amount == order.total and payment.provider_ref.startswith("sbx_")
    event = OrderEvent.objects.filter(order=order).last()
    assert (event.from_status, event.to_status) == ("pending_payment", "paid")


def test_paying_a_cancelled_order_is_409(buyer_api, order):
    assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200
    response = pay(buyer_api, order)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"
    assert not Payment.objects.exists()


def test_paying_after_the_payment_window_is_409_even_before_the_task_ran(buyer_api, order):
    with time_machine.travel(order.expires_at + timedelta(seconds=1), tick=False):
        response = pay(buyer_api, order)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"
    order.refresh_from_db()
    assert order.status == "pending_payment" and not Payment.objects.exists()


def test_unknown_payment_method_is_422(buyer_api, order):
    response = pay(buyer_api, order, method="bitcoin")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "method"


def test_only_the_buyer_pays(order, two_farms):
    # the farm sees the order but may not pay it; a stranger does not see it at all
    assert pay(two_farms["api_a"], order).status_code == 403
    assert pay(client_for(make_user()), order).status_code == 404
    assert pay(client_for(make_user()), Order(pk=987654)).status_code == 404
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_a_sandbox_webhook_pays_an_open_order(api, order):
    body = webhook_body(order, event_id="evt_open", ref="sbx_from_webhook")
    response = post_webhook(api, body)
    assert response.status_code == 200 and response.json()["status"] == "processed"
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.get(provider_ref="sbx_from_webhook").status == "succeeded"


def test_a_bad_signature_is_refused_and_changes_nothing(api, order):
    body = webhook_body(order, event_id="evt_bad", ref="sbx_x")
    forged = post_webhook(api, body, signature=f"t={int(time.time())},v1={'0' * 64}")
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "invalid_signature"
    # a body changed after signing
    tampered = body.replace(b"sbx_x", b"sbx_y")
    assert post_webhook(api, tampered, signature=sign(body)).status_code == 400
    unsigned = api.post(WEBHOOK, body)
    assert unsigned.status_code == 400 and unsigned.json()["error"]["code"] == "invalid_signature"
    garbled = post_webhook(api, body, signature="nonsense")
    assert garbled.status_code == 400
    order.refresh_from_db()
    assert order.status == "pending_payment"
    assert not Payment.objects.exists() and not PaymentWebhookEvent.objects.exists()


@pytest.mark.parametrize(
    "header",
    ["t=\u00b2,v1=" + "0" * 64,  # a digit to str.isdigit(), not to int()
     "t=1,v1=\u00e9" + "0" * 63,  # compare_digest refuses non-ASCII text
     "t=" + "9" * 5000 + ",v1=" + "0" * 64,  # past int()'s digit limit
     "t=-5,v1=" + "0" * 64, "v1=" + "0" * 64, "t=1", ""],
)
def test_a_malformed_signature_header_is_400_not_500(api, order, header):
    body = webhook_body(order, event_id="evt_hdr", ref="sbx_hdr")
    response = api.post(WEBHOOK, body, headers={"X-Shanhuo-Signature": header})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_signature"
    assert not PaymentWebhookEvent.objects.exists()


def test_a_signature_with_another_secret_is_refused(api, order, settings):
    body = webhook_body(order, event_id="evt_other", ref="sbx_x")
    settings.PAYMENT_SANDBOX_WEBHOOK_SECRET = "someone-elses-secret"
    header = sign(body)
    settings.PAYMENT_SANDBOX_WEBHOOK_SECRET = "test-webhook-secret"
    assert post_webhook(api, body, signature=header).status_code == 400
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_a_stale_timestamp_is_refused(api, order):
    body = webhook_body(order, event_id="evt_old", ref="sbx_old")
    response = post_webhook(api, body, timestamp=int(time.time()) - 301)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "stale_webhook"
    future = post_webhook(api, body, timestamp=int(time.time()) + 3600)
    assert future.status_code == 400
    order.refresh_from_db()
    assert order.status == "pending_payment" and not Payment.objects.exists()


def test_a_replayed_event_changes_nothing(api, order):
    body = webhook_body(order, event_id="evt_once", ref="sbx_once")
    assert post_webhook(api, body).json()["status"] == "processed"
    events_before = OrderEvent.objects.count()
    replay = post_webhook(api, body)
    assert replay.status_code == 200
    assert replay.json() == {"status": "duplicate", "event_id": "evt_once"}
    assert OrderEvent.objects.count() == events_before
    assert Payment.objects.count() == 1 and PaymentWebhookEvent.objects.count() == 1


def test_another_event_for_a_settled_payment_is_ignored(api, order):
    assert post_webhook(api, webhook_body(order, event_id="e1", ref="sbx_p")).status_code == 200
    again = post_webhook(api, webhook_body(order, event_id="e2", ref="sbx_p"))
    assert again.json()["status"] == "ignored"
    assert Payment.objects.get().status == "succeeded"


def test_unknown_provider_is_404_and_malformed_body_is_400(api, order):
    body = webhook_body(order, event_id="evt", ref="r")
    response = api.post("/payments/webhooks/paypal", body)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_provider"
    bad = b'{"id": "evt", "type": "payment.succeeded"}'
    malformed = post_webhook(api, bad)
    assert malformed.status_code == 400
    assert malformed.json()["error"]["code"] == "invalid_payload"
    assert post_webhook(api, b"not json").status_code == 400


def test_a_webhook_for_an_unknown_order_is_404_and_not_recorded(api, order):
    body = json.dumps({"id": "evt_x", "type": "payment.succeeded",
                       "data": {"order_number": "SH00000000NOPE00", "payment_ref": "sbx_1",
                                "amount": "10.00"}}).encode()
    assert post_webhook(api, body).status_code == 404
    assert not PaymentWebhookEvent.objects.exists()


def test_a_payment_reference_moved_to_another_order_is_refused(api, buyer_api, place, order,
                                                               two_farms):
    other = Order.objects.get(pk=place(buyer_api, (two_farms["apples"], 1)).json()["id"])
    assert post_webhook(api, webhook_body(order, event_id="e1", ref="sbx_one")).status_code == 200
    # the same payment reported again, now naming another order
    moved = post_webhook(api, webhook_body(other, event_id="e2", ref="sbx_one"))
    assert moved.status_code == 422
    assert moved.json()["error"]["code"] == "payment_of_another_order"
    other.refresh_from_db()
    assert other.status == "pending_payment"
    assert Payment.objects.get().order_id == order.pk
    assert list(PaymentWebhookEvent.objects.values_list("event_id", flat=True)) == ["e1"]


def test_webhooks_are_refused_when_no_secret_is_configured(api, order, settings):
    body = webhook_body(order, event_id="evt", ref="r")
    header = sign(body)
    settings.PAYMENT_SANDBOX_WEBHOOK_SECRET = ""
    response = post_webhook(api, body, signature=header)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "webhook_not_configured"


def test_a_payment_after_expiry_is_recorded_and_refunded_not_lost(api, order, two_farms):
    # given an order that expired and was cancelled by the periodic task
    with time_machine.travel(order.expires_at + timedelta(minutes=1), tick=False):
        assert expire_unpaid_orders() == 1
    assert Listing.objects.get(pk=two_farms["apples"].pk).stock == 50
    # when the provider reports money taken for it
    with time_machine.travel(order.expires_at + timedelta(minutes=2), tick=False):
        response = post_webhook(api, webhook_body(order, event_id="evt_late", ref="sbx_late"))
    # then it is recorded, refunded, and noted; the order stays cancelled, stock untouched
    assert response.status_code == 200
    assert response.json()["status"] == "refunded"
    payment = Payment.objects.get(provider_ref="sbx_late")
    assert payment.status == "succeeded" and not payment.booked
    refund = payment.refunds.get()
    assert (refund.status, refund.amount) == ("succeeded", payment.amount) and refund.refund_id
    order.refresh_from_db()
    assert order.status == "cancelled"
    assert "refunded" in OrderEvent.objects.filter(order=order).last().note
    assert Listing.objects.get(pk=two_farms["apples"].pk).stock == 50


def test_a_payment_of_the_wrong_amount_is_refunded(api, order):
    body = webhook_body(order, event_id="evt_amt", ref="sbx_amt", amount="0.01")
    assert post_webhook(api, body).json()["status"] == "refunded"
    order.refresh_from_db()
    assert order.status == "pending_payment"
    payment = Payment.objects.get()
    assert payment.refunds.get().amount == Decimal("0.01") and not payment.booked


def test_a_second_payment_for_a_paid_order_is_refunded(api, buyer_api, order):
    pay(buyer_api, order)
    assert post_webhook(api, webhook_body(order, event_id="e", ref="sbx_2nd")).json() == {
        "status": "refunded", "event_id": "e"
    }
    second = Payment.objects.get(provider_ref="sbx_2nd")
    assert second.refunds.get().amount == second.amount and not second.booked
    first = Payment.objects.exclude(pk=second.pk).get()
    assert first.booked and not first.refunds.exists()


def test_a_webhook_slightly_after_the_window_still_pays_while_stock_is_held(api, order):
    # the money was taken while the order was open; the task has not cancelled it yet
    with time_machine.travel(order.expires_at + timedelta(seconds=5), tick=False):
        response = post_webhook(api, webhook_body(order, event_id="evt_g", ref="sbx_g"))
        assert response.json()["status"] == "processed"
        assert expire_unpaid_orders() == 0
    order.refresh_from_db()
    assert order.status == "paid"


def test_paid_at_and_timestamps_are_iso_with_offset(buyer_api, order):
    body = pay(buyer_api, order).json()
    assert body["paid_at"].endswith(("Z", "+00:00", "+08:00"))
    assert timezone.datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))


@pytest.mark.parametrize(
    "amount", ["0", "0.004", "-5.00", "1e20", "9999999999.995", "NaN", "Infinity", "abc"]
)
def test_a_webhook_with_an_impossible_amount_is_400(api, order, amount):
    body = webhook_body(order, event_id="evt_amount", ref="sbx_amount", amount=amount)
    response = post_webhook(api, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_payload"
    assert not Payment.objects.exists()


def test_an_oversized_webhook_is_413_not_500(api, order):
    body = b"x" * (3 * 1024 * 1024)
    response = post_webhook(api, body)
    assert response.status_code == 413


def test_a_webhook_with_nul_characters_is_400(api, order):
    body = webhook_body(order, event_id="evt\x00nul", ref="sbx_nul")
    response = post_webhook(api, body)
    assert response.status_code == 400
    assert not PaymentWebhookEvent.objects.exists()
