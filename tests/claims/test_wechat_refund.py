"""A claim on an order paid with WeChat Pay: the refund goes to the (fake) platform, keyed by
the claim, and the claim is `refunded` once the platform reports the refund done."""

from decimal import Decimal

import pytest
from django.utils import timezone

from claims.models import Claim
from claims.services import claims_due
from payments.models import Payment, Refund
from tests.claims.conftest import ship
from tests.factories import make_address

pytestmark = pytest.mark.django_db
WEBHOOK = "/payments/webhooks/wechat"


@pytest.fixture(autouse=True)
def wechat_shop(settings, wechat_platform):
    settings.PAYMENT_PROVIDERS = ["wechat"]
    settings.PAYMENT_NOTIFY_BASE_URL = "https://shop.example.cn"


def _notify(api, headers_body):
    headers, body = headers_body
    return api.post(WEBHOOK, body, content_type="application/json", headers=headers)


def test_a_claim_refunded_through_wechat_pay(api, buyer_api, farm, wechat_platform,
                                             django_capture_on_commit_callbacks):
    order = buyer_api.post("/orders", {
        "lines": [{"listing_id": farm["apples"].pk, "quantity": 4}],
        "shipping_address": make_address()}).json()
    assert buyer_api.post(f"/orders/{order['id']}/pay",
                          {"method": "wechat_native"}).status_code == 200
    payment = Payment.objects.get(order_id=order["id"])
    wechat_platform.pay(payment.provider_ref)
    assert _notify(api, wechat_platform.transaction_notification(payment.provider_ref)
                   ).status_code == 204
    shipment_id = order["shipments"][0]["id"]
    ship(farm, shipment_id)
    buyer_api.post(f"/shipments/{shipment_id}/confirm")
    claim_id = buyer_api.post(f"/orders/{order['id']}/claims", {
        "shipment_id": shipment_id, "kind": "damaged",
        "lines": [{"line_id": order["lines"][0]["id"], "quantity": 2, "damage_pct": 50}],
    }).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        accepted = farm["api"].post(f"/claims/{claim_id}/accept").json()

    assert accepted["status"] == "accepted" and accepted["refund"]["status"] == "pending"
    refund = Refund.objects.get(key=f"claim:{claim_id}")
    asked = wechat_platform.refunds[refund.number]
    assert asked.refund == int(refund.amount * 100) and refund.amount == Decimal("15.00")
    # the task asks nothing twice while the platform works on it
    claims_due(now=timezone.now())
    assert Claim.objects.get(pk=claim_id).status == "accepted"
    assert len(wechat_platform.refunds) == 1

    wechat_platform.settle_refund(refund.number)
    assert _notify(api, wechat_platform.refund_notification(refund.number)).status_code == 204
    claims_due(now=timezone.now())

    assert buyer_api.get(f"/claims/{claim_id}").json()["status"] == "refunded"
