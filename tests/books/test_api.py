"""The books as a farm's and a promoter's phone read them: lists in cursor pages, a constant
number of queries per page, a role one does not have is 403."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from books import services as books

from .conftest import at

pytestmark = pytest.mark.django_db


def count_queries(client, path, params=None) -> tuple[int, dict]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()


def _orders(market, count: int) -> None:
    for _ in range(count):
        market.buy({0: 1})


def _payouts(market, count: int) -> None:
    farm = market.farms[0]
    market.buy({0: 4 * count})
    market.ship_and_deliver(market.farms[0].shipments.latest("id").order)
    market.settle()
    for _ in range(count):
        payout = market.payout(farm, "1.00")
        books.payout_mark_paid(payout_id=payout.pk, reference=f"BANK-{payout.pk}")


def _statements(market, count: int) -> None:
    start = datetime(2026, 1, 5, 10, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday
    done = market.farms[0].statements.count()
    with at(start + timedelta(weeks=done)):
        market.buy({0: 1})
    with at(start + timedelta(weeks=done + count)):
        books.statements_close()


@pytest.mark.parametrize(("who", "path", "make"), [
    ("farm", "/producers/me/ledger", _orders),
    ("farm", "/producers/me/payouts", _payouts),
    ("farm", "/producers/me/statements", _statements),
    ("promoter", "/promoters/me/ledger", _orders),
])
def test_list_query_count_is_the_same_for_1_and_20_rows(market, who, path, make):
    user = market.farms[0].user if who == "farm" else market.promoter.user
    client = market.client_for(user)
    make(market, 1)
    one, body = count_queries(client, path, {"limit": 100})
    assert len(body["items"]) >= 1
    make(market, 19)
    twenty, body = count_queries(client, path, {"limit": 100})
    assert len(body["items"]) >= 20
    assert one == twenty


def test_the_ledger_pages_with_a_cursor_newest_first(market):
    for _ in range(3):
        market.buy({0: 1})  # 4 farm entries each
    client = market.client_for(market.farms[0].user)

    first = client.get("/producers/me/ledger", {"limit": 5}).json()
    second = client.get("/producers/me/ledger",
                        {"limit": 5, "cursor": first["next_cursor"]}).json()
    third = client.get("/producers/me/ledger",
                       {"limit": 5, "cursor": second["next_cursor"]}).json()

    ids = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert len(ids) == 12 == len(set(ids))
    assert ids == sorted(ids, reverse=True)
    assert third["next_cursor"] is None


def test_a_bad_cursor_is_a_400(market):
    client = market.client_for(market.farms[0].user)
    response = client.get("/producers/me/ledger", {"cursor": "not-a-cursor"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_cursor"


def test_a_farm_sees_only_its_own_money(market):
    market.buy({0: 1, 1: 1})
    mine = market.client_for(market.farms[1].user).get("/producers/me/ledger").json()["items"]
    assert {i["kind"] for i in mine} == {"sale", "shipping", "platform_fee"}
    assert [i["amount"] for i in mine if i["kind"] == "sale"] == ["33.30"]


@pytest.mark.parametrize("path", ["/producers/me/balance", "/producers/me/ledger",
                                  "/producers/me/statements", "/producers/me/payouts"])
def test_without_a_producer_profile_the_farm_books_are_403(market, path):
    response = market.client_for(market.buyer).get(path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "producer_required"


@pytest.mark.parametrize("path", ["/promoters/me/balance", "/promoters/me/ledger",
                                  "/promoters/me/payouts"])
def test_without_a_promoter_profile_the_promoter_books_are_403(market, path):
    response = market.client_for(market.farms[0].user).get(path)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "promoter_required"


@pytest.mark.parametrize("path", ["/producers/me/balance", "/promoters/me/ledger"])
def test_anonymous_is_401(api, path):
    assert api.get(path).status_code == 401


def test_a_new_farm_has_a_zero_balance(market):
    response = market.client_for(market.farms[1].user).get("/producers/me/balance")
    assert response.json() == {"pending": "0.00", "available": "0.00", "paid_out": "0.00",
                               "payout_pending": "0.00", "currency": "CNY"}
