"""Staff pay farms out in the admin: never above the available balance (a form error, nothing
written), mark a payout paid with the transfer's reference or failed (money back)."""

import pytest
from django.test import Client

from books.models import Payout
from ledger.models import Entry, LedgerTransaction
from tests.factories import make_user

pytestmark = pytest.mark.django_db
ADD = "/admin/books/payout/add/"


@pytest.fixture
def staff(db) -> Client:
    client = Client()
    client.force_login(make_user(username="clerk", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def available(market):
    """Farm 0 has 52.50 available."""
    order = market.buy({0: 4})
    market.ship_and_deliver(order)
    market.settle()
    return market.farm_account(market.farms[0])


def test_a_payout_above_the_available_balance_is_a_form_error_and_nothing_is_posted(
        staff, available):
    entries = Entry.objects.count()

    response = staff.post(ADD, {"account": available.pk, "amount": "52.51",
                                "method": "bank_transfer"})

    assert response.status_code == 200
    assert "More than the available balance (52.50)" in response.content.decode()
    assert not Payout.objects.exists()
    assert Entry.objects.count() == entries


def test_staff_create_a_payout_and_mark_it_paid(staff, available, market):
    assert staff.get(ADD).status_code == 200
    response = staff.post(ADD, {"account": available.pk, "amount": "52.50",
                                "method": "bank_transfer"})
    assert response.status_code == 302
    payout = Payout.objects.get()
    assert (payout.amount_fen, payout.status, payout.created_by.username) == (
        5250, "pending", "clerk")
    page = staff.get(f"/admin/books/payout/{payout.pk}/change/").content.decode()
    assert f"/admin/books/payout/{payout.pk}/paid/" in page

    assert staff.post(f"/admin/books/payout/{payout.pk}/paid/", {"reference": ""}
                      ).status_code == 200  # a reference is required
    response = staff.post(f"/admin/books/payout/{payout.pk}/paid/",
                          {"reference": "ICBC-20261201-0007"})

    assert response.status_code == 302
    payout.refresh_from_db()
    assert (payout.status, payout.reference) == ("paid", "ICBC-20261201-0007")
    assert market.farm_balance(market.farms[0])["paid_out"] == 52.5
    # a second click changes nothing
    again = staff.post(f"/admin/books/payout/{payout.pk}/failed/", {"reason": "x"})
    assert "still being sent" in again.content.decode()
    assert LedgerTransaction.objects.filter(key__startswith="payout_").count() == 2


def test_a_failed_payout_gives_the_money_back(staff, available, market):
    staff.post(ADD, {"account": available.pk, "amount": "50.00", "method": "bank_transfer"})
    payout = Payout.objects.get()

    staff.post(f"/admin/books/payout/{payout.pk}/failed/", {"reason": "户名不符"})

    payout.refresh_from_db()
    assert (payout.status, payout.failure_reason) == ("failed", "户名不符")
    assert str(market.farm_balance(market.farms[0])["available"]) == "52.50"


@pytest.mark.parametrize("page", ["/admin/ledger/entry/", "/admin/ledger/ledgertransaction/",
                                  "/admin/ledger/account/", "/admin/books/statement/"])
def test_the_ledger_is_read_only_in_the_admin(staff, available, page):
    assert staff.get(page).status_code == 200
    assert staff.get(f"{page}add/").status_code == 403
    first = Entry.objects.order_by("pk").first()
    if page == "/admin/ledger/entry/":
        assert staff.post(f"{page}{first.pk}/change/", {"memo": "x"}).status_code == 403
        assert staff.post(f"{page}{first.pk}/delete/", {"post": "yes"}).status_code == 403
