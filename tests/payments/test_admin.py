"""Staff give money back in the admin (Payments → Refunds → add): through the provider and the
books like any refund, never more than is left of the payment, and never edited afterwards."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from ledger.models import LedgerTransaction
from payments.models import Refund
from tests.factories import client_for, make_listing, make_order, make_user

pytestmark = pytest.mark.django_db
ADD = "/admin/payments/refund/add/"


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(make_user(username="clerk", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def paid():
    buyer = make_user()
    order = make_order(buyer=buyer, lines=[(make_listing(price="12.50"), 2)])  # 25 + 10
    client_for(buyer).post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    return order


def test_staff_refund_part_of_a_paid_order(staff, paid):
    assert staff.get(ADD).status_code == 200
    response = staff.post(ADD, {"order": paid.pk, "amount": "5.00", "reason": "苹果磕碰"})
    assert response.status_code == 302, response.content.decode()[:2000]
    refund = Refund.objects.get()
    assert (refund.amount, refund.status, refund.requested_by.username) == (
        Decimal("5.00"), "succeeded", "clerk")
    assert LedgerTransaction.objects.filter(key=f"refund:{refund.pk}").exists()
    page = staff.get(f"/admin/payments/refund/{refund.pk}/change/").content.decode()
    assert "苹果磕碰" in page and 'name="amount"' not in page  # shown, not editable


def test_more_than_is_left_is_a_form_error_and_nothing_is_refunded(staff, paid):
    first = staff.post(ADD, {"order": paid.pk, "amount": "30.00", "reason": "部分退款"})
    assert first.status_code == 302 and Refund.objects.get().amount == Decimal("30.00")
    response = staff.post(ADD, {"order": paid.pk, "amount": "5.01", "reason": "再退"})
    assert response.status_code == 200, [str(m) for m in get_messages(response.wsgi_request)]
    assert "More than is left of the payment (5.00)" in response.content.decode()
    assert Refund.objects.count() == 1


def test_an_unpaid_order_cannot_be_chosen(staff):
    order = make_order()
    response = staff.post(ADD, {"order": order.pk, "amount": "1.00", "reason": "x"})
    assert response.status_code == 200 and not Refund.objects.exists()
