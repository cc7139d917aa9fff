"""Paying through the API: which methods a server offers, what the order shows of its payment
and refunds, and a production server that never settles a payment no provider reported."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from payments.models import Payment, Refund
from tests.factories import client_for, make_listing, make_order, make_user

pytestmark = pytest.mark.django_db

SECRET = {"SECRET_KEY": "k" * 50}


def start(**env) -> subprocess.CompletedProcess:
    """Load the application as gunicorn does (shanhuo.wsgi) with `env`."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("PAYMENT_") and k not in {"DEBUG", "SECRET_KEY"}}
    code = ("import sys, shanhuo.wsgi; from django.conf import settings; "
            "sys.stdout.write(','.join(settings.PAYMENT_PROVIDERS))")
    env = {**clean, **SECRET, "DJANGO_SETTINGS_MODULE": "shanhuo.settings", **env}
    return subprocess.run([sys.executable, "-c", code], env=env,
                          cwd=django_settings.BASE_DIR, capture_output=True, text=True)


def test_production_offers_no_provider_by_default():
    result = start(DEBUG="0")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""


def test_development_offers_the_sandbox_by_default():
    result = start(DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "sandbox"


def test_production_refuses_to_load_with_the_sandbox_unless_told_it_is_meant():
    refused = start(DEBUG="0", PAYMENT_PROVIDERS="sandbox")
    assert refused.returncode != 0
    assert "PAYMENT_SANDBOX_IN_PRODUCTION" in refused.stderr
    meant = start(DEBUG="0", PAYMENT_PROVIDERS="sandbox", PAYMENT_SANDBOX_IN_PRODUCTION="1")
    assert meant.returncode == 0, meant.stderr
    assert meant.stdout == "sandbox"


def test_an_unknown_provider_name_stops_the_start():
    result = start(DEBUG="0", PAYMENT_PROVIDERS="paypal")
    assert result.returncode != 0 and "paypal" in result.stderr


@pytest.fixture
def unpaid():
    buyer = make_user()
    order = make_order(buyer=buyer, lines=[(make_listing(price="25.60"), 10)])
    return client_for(buyer), order


def test_a_server_without_the_sandbox_refuses_it_409_and_nothing_is_paid(unpaid, settings):
    settings.PAYMENT_PROVIDERS = []
    api, order = unpaid
    response = api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_method_unavailable"
    order.refresh_from_db()
    assert order.status == "pending_payment" and not Payment.objects.exists()


@pytest.mark.parametrize("method", ["wechat_h5", "wechat_native", "alipay_wap", "alipay_app"])
def test_a_platform_this_server_has_not_enabled_is_409(unpaid, method):
    api, order = unpaid
    response = api.post(f"/orders/{order.pk}/pay", {"method": method})
    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "payment_method_unavailable"
    assert not Payment.objects.exists()


@pytest.mark.parametrize("body, field", [
    ({"method": "bitcoin"}, "method"),
    ({"method": 7}, "method"),
    ({"method": "wechat_jsapi"}, "openid"),
    ({"method": "wechat_jsapi", "openid": "has spaces"}, "openid"),
    ({"method": "wechat_jsapi", "openid": ""}, "openid"),
])
def test_bad_payment_input_is_422_naming_the_field(unpaid, body, field):
    api, order = unpaid
    response = api.post(f"/orders/{order.pk}/pay", body)
    assert response.status_code == 422, response.content
    assert field in {d["field"].split(".")[-1] for d in response.json()["error"]["details"]}
    assert not Payment.objects.exists()


def test_the_order_shows_its_payment_and_refunds_to_the_buyer_only(unpaid):
    api, order = unpaid
    placed = api.get(f"/orders/{order.pk}").json()
    assert placed["payment"] is None and placed["refunds"] == []
    paid = api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"}).json()
    payment = Payment.objects.get(order=order)
    assert paid["payment"] == {"id": payment.pk, "provider": "sandbox", "method": "sandbox",
                               "status": "succeeded", "amount": str(order.total),
                               "currency": "CNY", "action": None}
    cancelled = api.post(f"/orders/{order.pk}/cancel").json()
    refund = Refund.objects.get(order=order)
    assert [(r["id"], r["amount"], r["status"], r["reason"]) for r in cancelled["refunds"]] == [
        (refund.pk, str(order.total), "succeeded", "订单取消，全额退款")]
    farm = client_for(order.shipments.get().producer.user)
    seen_by_farm = farm.get(f"/orders/{order.pk}").json()
    assert seen_by_farm["payment"] is None and seen_by_farm["refunds"] == []


def test_the_order_list_reads_payments_in_a_constant_number_of_queries():
    buyer = make_user()
    api = client_for(buyer)
    listing = make_listing(stock=1000)
    for _ in range(3):
        order = make_order(buyer=buyer, lines=[(listing, 1)])
        api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    with CaptureQueriesContext(connection) as three:
        assert len(api.get("/orders").json()["items"]) == 3
    for _ in range(5):
        order = make_order(buyer=buyer, lines=[(listing, 1)])
        api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    with CaptureQueriesContext(connection) as eight:
        assert len(api.get("/orders").json()["items"]) == 8
    assert len(eight) == len(three)
    assert Order.objects.filter(status="paid").count() == 8


def test_a_return_url_with_another_placeholder_stops_the_start():
    result = start(DEBUG="1", PAYMENT_RETURN_URL="https://m.example.cn/orders/{order}")
    assert result.returncode != 0 and "PAYMENT_RETURN_URL" in result.stderr
    fine = start(DEBUG="1", PAYMENT_RETURN_URL="https://m.example.cn/orders/{order_id}")
    assert fine.returncode == 0, fine.stderr
