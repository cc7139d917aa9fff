"""Pre-sale (全款预售): a listing of a coming harvest, ordered and paid in full until it closes;
its lines carry the promised shipping window; the buyer may walk away before the close, and
after ships_by if nothing has shipped, not in between."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from checkout.services import order_place
from orders.models import Order
from payments.models import Refund
from payments.services import payment_start as order_pay
from producers.models import Listing
from tests.concurrency import run_concurrently
from tests.factories import client_for, make_address, make_listing, make_producer, make_user

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")


def terms(*, closes_in=timedelta(days=10), ships_from_day=1, ships_for=14, expected=500):
    """A pre-sale closing `closes_in` from now, shipping from `ships_from_day` days after the
    day it closes, for `ships_for` days."""
    closes_at = timezone.now() + closes_in
    ships_from = timezone.localdate(closes_at) + timedelta(days=ships_from_day)
    return {"closes_at": closes_at, "ships_from": ships_from,
            "ships_by": ships_from + timedelta(days=ships_for), "expected_quantity": expected}


def as_json(presale: dict) -> dict:
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in presale.items()}


@pytest.fixture
def farm(regions, categories):
    producer = make_producer(name="东坡苹果园")
    return {"producer": producer, "api": client_for(producer.user)}


@pytest.fixture
def presale_listing(farm) -> Listing:
    return make_listing(producer=farm["producer"], title="2026 新季红富士（预售）",
                        price="12.50", stock=300, presale=terms())


LISTING = {"title": "冰糖心苹果（预售）", "category": "apples", "unit": "jin", "price": "9.90",
           "stock": 200, "status": "active"}


def test_a_farm_lists_a_presale_and_the_catalog_shows_its_terms(farm, api):
    presale = terms()

    response = farm["api"].post("/listings", {**LISTING, "presale": as_json(presale)})

    assert response.status_code == 201, response.content
    shown = response.json()["presale"]
    assert datetime.fromisoformat(shown["closes_at"]) == presale["closes_at"].replace(
        microsecond=presale["closes_at"].microsecond // 1000 * 1000)
    assert (shown["ships_from"], shown["ships_by"], shown["expected_quantity"]) == (
        presale["ships_from"].isoformat(), presale["ships_by"].isoformat(), 500)
    card = api.get("/listings").json()["items"][0]
    assert card["presale"]["ships_by"] == presale["ships_by"].isoformat()
    assert api.get(f"/listings/{response.json()['id']}").json()["presale"] == shown
    ordinary = farm["api"].post("/listings", {**LISTING, "title": "现货苹果"}).json()
    assert ordinary["presale"] is None


def _bad_terms():
    good = terms()
    closes_day = timezone.localdate(good["closes_at"])
    return {
        "closes in the past": ({**good, "closes_at": timezone.now() - timedelta(minutes=1)},
                               "presale.closes_at"),
        "ships before the day it closes": ({**good, "ships_from": closes_day - timedelta(days=1),
                                            "ships_by": closes_day + timedelta(days=3)},
                                           "presale.ships_from"),
        "ships_by before ships_from": ({**good, "ships_by": good["ships_from"]
                                        - timedelta(days=1)}, "presale.ships_by"),
        "no harvest expected": ({**good, "expected_quantity": 0},
                                "presale.expected_quantity"),
        "closes years from now": ({**good, "closes_at": timezone.now() + timedelta(days=800)},
                                  "presale.closes_at"),
    }


@pytest.mark.parametrize("case", ["closes in the past", "ships before the day it closes",
                                  "ships_by before ships_from", "no harvest expected",
                                  "closes years from now"])
def test_bad_presale_terms_are_422_on_create_and_on_patch(farm, case):
    presale, field = _bad_terms()[case]
    listing = make_listing(producer=farm["producer"], title="预售待定")

    created = farm["api"].post("/listings", {**LISTING, "presale": as_json(presale)})
    patched = farm["api"].patch(f"/listings/{listing.pk}", {"presale": as_json(presale)})

    for response in (created, patched):
        assert response.status_code == 422, response.content
        assert field in [d["field"] for d in response.json()["error"]["details"]]
    listing.refresh_from_db()
    assert listing.presale_closes_at is None


@pytest.mark.parametrize("presale", [
    {"closes_at": "2030-01-01T10:00:00", "ships_from": "2030-01-02", "ships_by": "2030-01-09",
     "expected_quantity": 10},  # a time with no offset: which day is it in 太康?
    {"closes_at": "2030-01-01T10:00:00+08:00", "ships_from": "2030-01-02"},
    {"closes_at": "soon", "ships_from": "2030-01-02", "ships_by": "2030-01-09",
     "expected_quantity": 10},
    # the last instant there is, where turning it into a day in 太康 would leave the calendar
    {"closes_at": "9999-12-31T23:59:59-14:00", "ships_from": "9999-12-31",
     "ships_by": "9999-12-31", "expected_quantity": 10},
    {"closes_at": "2030-01-01T10:00:00+08:00", "ships_from": "2030-01-02",
     "ships_by": "2030-01-09", "expected_quantity": "many"},
])
def test_malformed_presale_is_422(farm, presale):
    response = farm["api"].post("/listings", {**LISTING, "presale": presale})

    assert response.status_code == 422, response.content
    assert all(d["field"].startswith("presale") for d in response.json()["error"]["details"])


def test_a_presale_closing_late_at_night_ships_from_that_day_in_china(farm):
    # 23:30 in 太康 is 15:30 UTC: the day it closes is the Chinese one
    year = timezone.localdate().year + 1
    closes_at = datetime(year, 5, 1, 23, 30, tzinfo=SHANGHAI)
    presale = {"closes_at": closes_at.isoformat(), "ships_from": f"{year}-05-01",
               "ships_by": f"{year}-05-20", "expected_quantity": 100}

    response = farm["api"].post("/listings", {**LISTING, "presale": presale})

    assert response.status_code == 201, response.content


def test_presale_terms_change_until_it_closes_then_409(farm, presale_listing):
    later = terms(closes_in=timedelta(days=20))
    changed = farm["api"].patch(f"/listings/{presale_listing.pk}", {"presale": as_json(later)})
    assert changed.status_code == 200, changed.content
    assert changed.json()["presale"]["ships_by"] == later["ships_by"].isoformat()

    with time_machine.travel(later["closes_at"] + timedelta(seconds=1), tick=False):
        late = farm["api"].patch(f"/listings/{presale_listing.pk}", {"presale": None})
        price = farm["api"].patch(f"/listings/{presale_listing.pk}", {"price": "13.00"})

    assert late.status_code == 409 and late.json()["error"]["code"] == "presale_closed"
    assert price.status_code == 200  # other fields still change


def test_lines_carry_the_window_and_ordering_stops_at_the_close(buyer, buyer_api, place,
                                                                 presale_listing):
    placed = place(buyer_api, (presale_listing, 4))
    assert placed.status_code == 201, placed.content
    line = placed.json()["lines"][0]
    assert (line["ships_from"], line["ships_by"], line["allocated_quantity"]) == (
        presale_listing.presale_ships_from.isoformat(),
        presale_listing.presale_ships_by.isoformat(), None)

    with time_machine.travel(presale_listing.presale_closes_at, tick=False):
        late = place(client_for(make_user()), (presale_listing, 1))

    assert late.status_code == 409, late.content
    error = late.json()["error"]
    assert error["code"] == "presale_closed"
    assert error["details"] == {"listing_ids": [presale_listing.pk]}
    presale_listing.refresh_from_db()
    assert presale_listing.stock == 296
    assert Order.objects.count() == 1


def test_an_ordinary_line_has_no_window(buyer_api, place, two_farms):
    line = place(buyer_api, (two_farms["apples"], 1)).json()["lines"][0]

    assert (line["ships_from"], line["ships_by"], line["allocated_quantity"]) == (
        None, None, None)


def paid(buyer, listing, quantity=2) -> Order:
    order = order_place(buyer=buyer, shipping_address=make_address(),
                        lines=[{"listing_id": listing.pk, "quantity": quantity}])
    order_pay(order_id=order.pk, user=buyer, method="sandbox")
    return order


def test_the_farm_may_ship_before_ships_from(buyer, farm, presale_listing):
    order = paid(buyer, presale_listing)
    assert timezone.localdate() < presale_listing.presale_ships_from

    response = farm["api"].post(f"/shipments/{order.shipments.get().pk}/ship",
                                {"carrier": "顺丰", "tracking_number": "SF1234567890123"})

    assert response.status_code == 200, response.content


def test_the_buyer_cancels_before_the_close_not_after_until_ships_by_has_passed(
        buyer, buyer_api, presale_listing):
    early = paid(buyer, presale_listing)
    committed = paid(buyer, presale_listing, 3)
    assert buyer_api.post(f"/orders/{early.pk}/cancel").status_code == 200

    closed = presale_listing.presale_closes_at + timedelta(hours=1)
    with time_machine.travel(closed, tick=False):
        refused = buyer_api.post(f"/orders/{committed.pk}/cancel")
    last_day = datetime.combine(presale_listing.presale_ships_by,
                                datetime.max.time(), tzinfo=SHANGHAI)
    with time_machine.travel(last_day - timedelta(minutes=1), tick=False):
        on_the_last_day = buyer_api.post(f"/orders/{committed.pk}/cancel")
    with time_machine.travel(last_day + timedelta(minutes=1), tick=False):
        past = buyer_api.post(f"/orders/{committed.pk}/cancel")

    for response in (refused, on_the_last_day):
        assert response.status_code == 409, response.content
        assert response.json()["error"]["code"] == "presale_committed"
    assert past.status_code == 200, past.content
    assert past.json()["status"] == "cancelled"
    # the whole of what was paid goes back through the provider
    assert [(r.amount, r.status) for r in Refund.objects.filter(order=committed)] == [
        (committed.total, "succeeded")]
    presale_listing.refresh_from_db()
    assert presale_listing.stock == 300


def test_an_unpaid_presale_order_may_always_be_cancelled(buyer, buyer_api, presale_listing):
    order = order_place(buyer=buyer, shipping_address=make_address(),
                        lines=[{"listing_id": presale_listing.pk, "quantity": 1}])
    with time_machine.travel(presale_listing.presale_closes_at + timedelta(minutes=1),
                             tick=False):
        response = buyer_api.post(f"/orders/{order.pk}/cancel")

    assert response.status_code == 200, response.content


# --- hardening round three, item 7: the terms a paid line holds ------------------------------

@pytest.mark.parametrize("change", ["removed", "shortened", "extended", "ships later"])
def test_a_presale_buyers_paid_for_keeps_its_terms(buyer, farm, presale_listing, change):
    paid(buyer, presale_listing)
    before = {"closes_at": presale_listing.presale_closes_at,
              "ships_from": presale_listing.presale_ships_from,
              "ships_by": presale_listing.presale_ships_by, "expected_quantity": 500}
    presale = {
        "removed": None,
        "shortened": {**before, "closes_at": timezone.now() + timedelta(minutes=5)},
        "extended": {**before, "closes_at": before["closes_at"] + timedelta(days=3)},
        "ships later": {**before, "ships_by": before["ships_by"] + timedelta(days=700)},
    }[change]

    response = farm["api"].patch(f"/listings/{presale_listing.pk}",
                                 {"presale": as_json(presale) if presale else None})

    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "presale_has_orders"
    assert error["details"] == {"paid_orders": 1, "unpaid_orders": 0}
    presale_listing.refresh_from_db()
    assert presale_listing.presale_closes_at == before["closes_at"]
    assert presale_listing.presale_ships_by == before["ships_by"]
    # the estimate alone may still change, and so may the rest of the listing
    assert farm["api"].patch(f"/listings/{presale_listing.pk}", {
        "presale": as_json({**before, "expected_quantity": 450}),
        "price": "13.00"}).status_code == 200


def test_an_unpaid_order_holds_the_terms_too(buyer, farm, presale_listing):
    order_place(buyer=buyer, shipping_address=make_address(),
                lines=[{"listing_id": presale_listing.pk, "quantity": 1}])

    response = farm["api"].patch(f"/listings/{presale_listing.pk}", {"presale": None})

    assert response.status_code == 409, response.content
    assert response.json()["error"]["details"] == {"paid_orders": 0, "unpaid_orders": 1}


def test_a_presale_no_order_holds_may_still_be_withdrawn(buyer, buyer_api, farm,
                                                          presale_listing):
    order = paid(buyer, presale_listing)
    assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200

    response = farm["api"].patch(f"/listings/{presale_listing.pk}", {"presale": None})

    assert response.status_code == 200, response.content
    assert response.json()["presale"] is None


def test_closed_is_judged_from_the_lines_own_terms(buyer, buyer_api, presale_listing):
    # a line ordered while the pre-sale was open keeps its close, whatever the listing says
    # later (a pre-sale cleared behind the API's back: no close on the listing at all)
    order = paid(buyer, presale_listing)
    Listing.objects.filter(pk=presale_listing.pk).update(
        presale_closes_at=None, presale_ships_from=None, presale_ships_by=None,
        presale_expected_quantity=None)

    response = buyer_api.post(f"/orders/{order.pk}/cancel")

    # still before its close: the buyer may walk away (it was refused until ships_by)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_orders_racing_the_close_are_taken_before_it_and_refused_after(settings, regions):
    # given a pre-sale closing in a second and buyers ordering one unit after another until
    # they are told it closed
    settings.ORDER_MAX_UNPAID = 1000
    settings.ORDER_MAX_UNPAID_UNITS = 1000
    buyers = [make_user() for _ in range(6)]
    # (three seconds: on a loaded machine each order may take a few hundred milliseconds)
    listing = make_listing(stock=10_000, presale=terms(closes_in=timedelta(seconds=3)))
    closes_at = listing.presale_closes_at

    def keep_ordering(buyer):
        outcomes = []
        while True:
            before = timezone.now()
            try:
                order_place(buyer=buyer, shipping_address=make_address(),
                            lines=[{"listing_id": listing.pk, "quantity": 1}])
            except Exception as exc:  # noqa: BLE001 - the outcome is what is checked
                outcomes.append((before, timezone.now(), getattr(exc, "code", repr(exc))))
                return outcomes
            outcomes.append((before, timezone.now(), "placed"))
            if time.monotonic() > deadline:
                return outcomes

    deadline = time.monotonic() + 30
    results = run_concurrently(*[lambda b=b: keep_ordering(b) for b in buyers])

    # then every order taken started before the close, every buyer was finally refused with
    # presale_closed, after the close, and the stock adds up
    placed = [o for r in results for o in r if o[2] == "placed"]
    refused = [o for r in results for o in r if o[2] != "placed"]
    assert placed, results
    assert [o[2] for o in refused] == ["presale_closed"] * len(buyers), refused
    assert all(before < closes_at for before, _, _ in placed)
    assert all(after >= closes_at for _, after, _ in refused)
    listing.refresh_from_db()
    assert listing.stock == 10_000 - len(placed)
    assert Order.objects.filter(lines__listing=listing).count() == len(placed)


def test_the_page_for_people_says_it_is_a_presale_and_when_it_ships(client, presale_listing):
    page = client.get(f"/l/{presale_listing.pk}").content.decode()

    ships_by = presale_listing.presale_ships_by
    assert "预售 300" in page and f"{ships_by.month}月{ships_by.day}日发货" in page
