import io

import pytest

from demo import orders as demo
from orders.models import Order

pytestmark = pytest.mark.django_db


def test_demo_orders_in_every_state_and_idempotent(two_farms):
    accounts = demo.load(stdout=io.StringIO())
    assert [(a.username, a.role) for a in accounts] == [("buyer_demo", "buyer")]
    statuses = sorted(Order.objects.values_list("status", flat=True))
    assert statuses == ["cancelled", "completed", "paid", "pending_payment", "shipped"]
    assert all(o.shipments.count() == 2 for o in Order.objects.all())
    again = demo.load(stdout=io.StringIO())
    assert [a.username for a in again] == ["buyer_demo"]
    assert Order.objects.count() == 5


def test_demo_without_listings_creates_nothing(regions):
    assert demo.load(stdout=io.StringIO()) == []
    assert not Order.objects.exists()
