"""List endpoints run the same number of SQL queries for 1 row and for 20."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, Shipment
from payments.services import payment_start as order_pay
from tests.factories import make_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def make_orders(buyer, two_farms):
    def make(count: int) -> None:
        for _ in range(count):
            order = make_order(buyer=buyer,
                               lines=[(two_farms["apples"], 1), (two_farms["tea"], 1)])
            order_pay(order_id=order.pk, user=buyer, method="sandbox")

    return make


def count_queries(client, path, params=None) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


@pytest.mark.parametrize(
    ("who", "path", "params"),
    [
        ("buyer", "/orders", {}),
        ("farm", "/orders", {"role": "producer"}),
        ("farm", "/shipments", {}),
        ("farm", "/shipments", {"status": "pending"}),
    ],
)
def test_list_query_count_is_the_same_for_1_and_20_rows(
    make_orders, buyer_api, two_farms, who, path, params, django_assert_num_queries
):
    client = buyer_api if who == "buyer" else two_farms["api_a"]
    make_orders(1)
    one, body = count_queries(client, path, params)
    assert len(body["items"]) == 1
    make_orders(19)
    twenty, body = count_queries(client, path, params)
    assert len(body["items"]) == 20
    assert one == twenty
    with django_assert_num_queries(one):
        client.get(path, params)
    assert Order.objects.count() == 20 and Shipment.objects.count() == 40
