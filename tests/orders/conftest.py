"""Two farms and checkout helpers for the orders tests (rows from `tests/factories.py`)."""

import json
import time
from decimal import Decimal

import pytest

from payments.providers.sandbox import SIGNATURE_HEADER, sign
from producers.models import Listing
from tests.factories import client_for, make_address, make_listing, make_producer

WEBHOOK = "/payments/webhooks/sandbox"


@pytest.fixture(autouse=True)
def orders_settings(settings):
    settings.PAYMENT_SANDBOX_WEBHOOK_SECRET = "test-webhook-secret"
    settings.PAYMENT_PROVIDERS = ["sandbox"]
    settings.PAYMENT_WEBHOOK_TOLERANCE = 300
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("99.00")
    settings.ORDER_PAYMENT_TIMEOUT = 30 * 60
    settings.ORDER_MAX_QUANTITY = 999
    return settings


@pytest.fixture
def address(regions) -> dict:
    return make_address()


@pytest.fixture
def order_body(address):
    def body(*lines: tuple, **extra) -> dict:
        """order_body((listing, 2), (other, 1), note="...")"""
        return {
            "lines": [{"listing_id": listing.pk, "quantity": q} for listing, q in lines],
            "shipping_address": address,
            **extra,
        }

    return body


@pytest.fixture
def place(order_body):
    """place(client, (listing, q), ...) -> the response of POST /orders."""

    def post(client, *lines: tuple, headers=None, **extra):
        return client.post("/orders", order_body(*lines, **extra), headers=headers)

    return post


@pytest.fixture
def two_farms(db):
    """Two farms, each with a listing, and a client signed in as each farmer."""
    farm_a = make_producer(name="李家果园")
    farm_b = make_producer(name="张家茶园")
    apples = make_listing(producer=farm_a, price="12.50", stock=50, title="红富士苹果",
                          unit=Listing.Unit.KG)
    tea = make_listing(producer=farm_b, price="120.00", stock=20, title="明前龙井",
                       category="green-tea", unit=Listing.Unit.BOX)
    return {
        "farm_a": farm_a, "farm_b": farm_b, "apples": apples, "tea": tea,
        "api_a": client_for(farm_a.user), "api_b": client_for(farm_b.user),
    }


def webhook_body(order, *, event_id: str, ref: str, amount=None,
                 event_type: str = "payment.succeeded") -> bytes:
    return json.dumps({
        "id": event_id, "type": event_type,
        "data": {"order_number": order.number, "payment_ref": ref,
                 "amount": str(amount if amount is not None else order.total)},
    }).encode()


def post_webhook(client, body: bytes, *, timestamp: int | None = None, signature=None):
    header = signature if signature is not None else sign(body, timestamp or int(time.time()))
    return client.post(WEBHOOK, body, headers={SIGNATURE_HEADER: header})
