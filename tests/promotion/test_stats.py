"""What promoters and farms see: per link / per listing clicks, orders, GMV and commissions, the
totals, the commission ledger, and constant query counts."""

from datetime import date
from decimal import Decimal

import pytest

from checkout import services as checkout
from promotion import services
from promotion.models import ClickDaily, Commission, Link
from tests.factories import (
    client_for,
    make_listing,
    make_order,
    make_promoter,
    make_user,
    make_video,
)

pytestmark = pytest.mark.django_db


def new_link(user, listing, n: int) -> Link:
    video = make_video(owner=user, external_id=f"av{n}")
    return services.link_create(user=user, video_id=video.pk, listing_id=listing.pk)[0]


def buy(buyer, listing, quantity, code):
    return make_order(buyer=buyer, lines=[(listing, quantity)], promo_code=code)


@pytest.fixture
def story(promoter, farm):
    """Two links: apples (3 orders: pending, settled, cancelled) and pears (1 pending)."""
    user = promoter[0].user
    pears = make_listing(producer=farm["producer"], price="30.00", commission_rate="0.05",
                         title="砀山梨")
    apples_link = new_link(user, farm["apples"], 1)
    pears_link = new_link(user, pears, 2)
    buyers = [make_user() for _ in range(4)]
    buy(buyers[0], farm["apples"], 1, apples_link.code)  # 20.00 -> 2.00 pending
    settled = buy(buyers[1], farm["apples"], 2, apples_link.code)  # 40 -> 4.00
    cancelled = buy(buyers[2], farm["apples"], 5, apples_link.code)  # 100 -> 10.00
    buy(buyers[3], pears, 3, pears_link.code)  # 90.00 -> 4.50 pending
    Commission.objects.filter(order=settled).update(status="settled")
    checkout.order_cancel(order_id=cancelled.pk, user=buyers[2])
    ClickDaily.objects.create(link=apples_link, day=date(2026, 11, 27), clicks=7)
    ClickDaily.objects.create(link=apples_link, day=date(2026, 11, 28), clicks=5)
    ClickDaily.objects.create(link=pears_link, day=date(2026, 11, 28), clicks=3)
    return {"apples_link": apples_link, "pears_link": pears_link, "pears": pears}


def test_a_promoter_sees_each_link_and_the_totals(promoter, story):
    _, client = promoter
    response = client.get("/promoters/me/stats")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["currency"] == "CNY"
    by_code = {row["code"]: row for row in body["links"]}
    apples = by_code[story["apples_link"].code]
    assert apples == {
        "link_id": story["apples_link"].pk, "code": story["apples_link"].code,
        "video_id": story["apples_link"].video_id, "listing_id": story["apples_link"].listing_id,
        "batch_id": None, "clicks": 12, "orders": 2, "gmv": "60.00",
        "commission_pending": "2.00", "commission_settled": "4.00", "currency": "CNY",
    }
    pears = by_code[story["pears_link"].code]
    assert (pears["clicks"], pears["orders"], pears["gmv"], pears["commission_pending"],
            pears["commission_settled"]) == (3, 1, "90.00", "4.50", "0.00")
    assert body["totals"] == {"links": 2, "clicks": 15, "orders": 3, "gmv": "150.00",
                              "commission_pending": "6.50", "commission_settled": "4.00",
                              "currency": "CNY"}
    assert body["next_cursor"] is None


def test_a_farm_sees_how_each_listing_does_through_promotion(farm, story):
    response = farm["api"].get("/producers/me/promotion")
    assert response.status_code == 200, response.content
    body = response.json()
    rows = {row["listing_id"]: row for row in body["items"]}
    apples = rows[farm["apples"].pk]
    assert (apples["links"], apples["clicks"], apples["orders"], apples["gmv"],
            apples["commission_pending"], apples["commission_settled"]) == (
        1, 12, 2, "60.00", "2.00", "4.00")
    assert rows[farm["honey"].pk]["clicks"] == 0 and rows[farm["honey"].pk]["gmv"] == "0.00"
    assert body["totals"]["gmv"] == "150.00" and body["totals"]["clicks"] == 15
    # the currency stands beside the amounts in every object that has them
    assert body["currency"] == body["totals"]["currency"] == apples["currency"] == "CNY"


def test_stats_need_the_role(buyer_api):
    assert buyer_api.get("/promoters/me/stats").status_code == 403
    assert buyer_api.get("/producers/me/promotion").status_code == 403
    assert buyer_api.get("/promoters/me/commissions").status_code == 403


def test_the_commission_ledger_explains_every_amount(promoter, story):
    _, client = promoter
    response = client.get("/promoters/me/commissions")
    assert response.status_code == 200
    items = response.json()["items"]
    assert len(items) == 4
    assert {i["status"] for i in items} == {"pending", "settled", "cancelled"}
    assert all(i["order_number"].startswith("SH") and i["currency"] == "CNY" for i in items)
    settled = client.get("/promoters/me/commissions?status=settled").json()["items"]
    assert [(i["base_amount"], i["rate"], i["amount"]) for i in settled] == [
        ("40.00", "0.10", "4.00")]
    by_link = client.get(f"/promoters/me/commissions?link={story['pears_link'].pk}").json()
    assert [i["amount"] for i in by_link["items"]] == ["4.50"]
    assert client.get("/promoters/me/commissions?status=paid").status_code == 422


def test_another_promoter_sees_none_of_it(story):
    stranger = client_for(make_promoter().user)
    body = stranger.get("/promoters/me/stats").json()
    assert body["links"] == [] and body["totals"]["gmv"] == "0.00"
    assert stranger.get("/promoters/me/commissions").json()["items"] == []


def _fill(user, listing, start: int, count: int) -> None:
    for n in range(start, start + count):
        link = new_link(user, listing, n)
        ClickDaily.objects.create(link=link, day=date(2026, 11, 28), clicks=n)
        buy(make_user(), listing, 1, link.code)


def test_promoter_stats_run_constant_queries(promoter, farm, django_assert_num_queries):
    user, (_, client) = promoter[0].user, promoter
    _fill(user, farm["apples"], 1, 1)
    # token, promoter, page, the links (for today's live clicks), today's click rows,
    # click totals, money totals
    with django_assert_num_queries(7):
        body = client.get("/promoters/me/stats").json()
    assert len(body["links"]) == 1 and body["totals"]["orders"] == 1
    _fill(user, farm["apples"], 2, 19)
    with django_assert_num_queries(7):
        body = client.get("/promoters/me/stats?limit=20").json()
    assert len(body["links"]) == 20
    assert body["totals"]["orders"] == 20
    assert body["totals"]["commission_pending"] == str(Decimal("2.00") * 20)


def test_producer_promotion_runs_constant_queries(farm, promoter, django_assert_num_queries):
    user = promoter[0].user
    # token, producer, page, the links (ids, and their listings), today's click rows, click
    # totals, money totals
    with django_assert_num_queries(8):
        assert len(farm["api"].get("/producers/me/promotion").json()["items"]) == 2
    for i in range(18):
        listing = make_listing(producer=farm["producer"], title=f"苹果{i}", commission_rate="0.10")
        _fill(user, listing, 100 + i, 1)
    with django_assert_num_queries(8):
        body = farm["api"].get("/producers/me/promotion?limit=20").json()
    assert len(body["items"]) == 20


def test_commission_ledger_runs_constant_queries(promoter, farm, django_assert_num_queries):
    user, (_, client) = promoter[0].user, promoter
    _fill(user, farm["apples"], 1, 1)
    with django_assert_num_queries(3):  # token, promoter, page
        assert len(client.get("/promoters/me/commissions").json()["items"]) == 1
    _fill(user, farm["apples"], 2, 19)
    with django_assert_num_queries(3):
        assert len(client.get("/promoters/me/commissions").json()["items"]) == 20


PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"


def test_todays_clicks_show_at_once_before_any_rollup(promoter, farm, story, api):
    """A creator who taps their own link sees it in the stats straight away."""
    _, client = promoter
    link = story["apples_link"]
    before = client.get("/promoters/me/stats").json()
    api.get(f"/p/{link.code}", HTTP_USER_AGENT=PHONE, REMOTE_ADDR="203.0.113.50")
    api.get(f"/p/{link.code}", HTTP_USER_AGENT=PHONE, REMOTE_ADDR="203.0.113.50")  # same visitor
    api.get(f"/p/{link.code}", HTTP_USER_AGENT=PHONE, REMOTE_ADDR="203.0.113.51")
    after = client.get("/promoters/me/stats").json()
    row = {r["code"]: r for r in after["links"]}[link.code]
    assert row["clicks"] == 12 + 2
    assert after["totals"]["clicks"] == before["totals"]["clicks"] + 2
    farm_rows = {r["listing_id"]: r for r in farm["api"].get("/producers/me/promotion").json()[
        "items"]}
    assert farm_rows[farm["apples"].pk]["clicks"] == 12 + 2
    # once rolled up, the same figures (today is not counted twice)
    services.clicks_rollup()
    assert client.get("/promoters/me/stats").json()["totals"] == after["totals"]
