"""Placing an order: validation, stock, the split across farms, shipping fees, one transaction."""

from decimal import Decimal

import pytest

from checkout import services as checkout
from marketplace.errors import ValidationFailed
from orders.models import Order, OrderEvent, OrderLine, Shipment
from producers.models import Listing
from tests.factories import make_listing, make_producer

pytestmark = pytest.mark.django_db


def fields(response) -> dict:
    assert response.status_code == 422, response.content
    return {d["field"]: d["message"] for d in response.json()["error"]["details"]}


def test_the_whole_path_two_farms_pay_ship_confirm_completed(buyer_api, place, two_farms):
    apples, tea = two_farms["apples"], two_farms["tea"]
    # given a buyer ordering from two farms
    response = place(buyer_api, (apples, 4), (tea, 1), note="下午送")
    assert response.status_code == 201, response.content
    order = response.json()
    assert order["status"] == "pending_payment"
    assert order["number"].startswith("SH") and len(order["number"]) == 16
    assert order["currency"] == "CNY" and order["view"] == "buyer"
    assert len(order["shipments"]) == 2
    assert {s["producer_id"] for s in order["shipments"]} == {
        two_farms["farm_a"].pk, two_farms["farm_b"].pk
    }
    # when paying
    paid = buyer_api.post(f"/orders/{order['id']}/pay", {"method": "sandbox"})
    assert paid.status_code == 200, paid.content
    assert paid.json()["status"] == "paid" and paid.json()["paid_at"]
    # and both farms ship their parcel
    by_farm = {s["producer_id"]: s["id"] for s in order["shipments"]}
    first = two_farms["api_a"].post(
        f"/shipments/{by_farm[two_farms['farm_a'].pk]}/ship",
        {"carrier": "顺丰速运", "tracking_number": "SF1234567890123"},
    )
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "shipped" and first.json()["order_status"] == "paid"
    second = two_farms["api_b"].post(
        f"/shipments/{by_farm[two_farms['farm_b'].pk]}/ship",
        {"carrier": "中通快递", "tracking_number": "73100998877665"},
    )
    assert second.json()["order_status"] == "shipped"
    assert buyer_api.get(f"/orders/{order['id']}").json()["status"] == "shipped"
    # then the buyer confirms both parcels and the order is completed
    for shipment_id in by_farm.values():
        confirmed = buyer_api.post(f"/shipments/{shipment_id}/confirm")
        assert confirmed.status_code == 200, confirmed.content
        assert confirmed.json()["status"] == "delivered"
    final = buyer_api.get(f"/orders/{order['id']}").json()
    assert final["status"] == "completed"
    assert {s["status"] for s in final["shipments"]} == {"delivered"}
    assert [s["tracking_number"] for s in final["shipments"]] == [
        "SF1234567890123", "73100998877665"]
    # every change is on record, in order
    steps = list(
        OrderEvent.objects.filter(order_id=order["id"], shipment__isnull=True)
        .values_list("to_status", flat=True)
    )
    assert steps == ["pending_payment", "paid", "shipped", "completed"]
    assert OrderEvent.objects.filter(order_id=order["id"], shipment__isnull=False).count() == 4


def test_split_across_farms_with_prices_copied_and_shipping_per_farm(
    buyer_api, place, two_farms
):
    apples, tea = two_farms["apples"], two_farms["tea"]
    # apples: 4 x 12.50 = 50.00 (< 99: 10.00 shipping); tea: 1 x 120.00 (>= 99: free)
    order = place(buyer_api, (apples, 4), (tea, 1)).json()
    assert order["subtotal"] == "170.00"
    assert order["shipping_fee"] == "10.00"
    assert order["total"] == "180.00"
    lines = {ln["listing_id"]: ln for ln in order["lines"]}
    assert lines[apples.pk] == {
        "id": lines[apples.pk]["id"], "listing_id": apples.pk,
        "shipment_id": lines[apples.pk]["shipment_id"], "title": "红富士苹果", "unit": "kg",
        "unit_price": "12.50", "quantity": 4, "line_total": "50.00", "currency": "CNY",
        "ships_from": None, "ships_by": None, "allocated_quantity": None, "trace_codes": [],
    }
    shipments = {s["producer_id"]: s for s in order["shipments"]}
    parcel_a = shipments[two_farms["farm_a"].pk]
    parcel_b = shipments[two_farms["farm_b"].pk]
    assert (parcel_a["subtotal"], parcel_a["shipping_fee"]) == ("50.00", "10.00")
    assert (parcel_b["subtotal"], parcel_b["shipping_fee"]) == ("120.00", "0.00")
    # every object with an amount says its currency
    assert {parcel_a["currency"], parcel_b["currency"], order["currency"]} == {"CNY"}
    assert parcel_a["line_ids"] == [lines[apples.pk]["id"]]
    assert parcel_a["producer_name"] == "李家果园"
    # a later price change does not touch the order
    Listing.objects.filter(pk=apples.pk).update(price=Decimal("99.00"))
    again = buyer_api.get(f"/orders/{order['id']}").json()
    assert again["lines"][0]["unit_price"] == "12.50" and again["total"] == "180.00"


def test_shipping_fee_settings_are_honoured(buyer_api, place, settings):
    settings.SHIPPING_FEE_FLAT = Decimal("8.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("30.00")
    cheap = make_listing(price="9.99")
    order = place(buyer_api, (cheap, 2)).json()
    assert (order["subtotal"], order["shipping_fee"], order["total"]) == ("19.98", "8.00", "27.98")
    free = place(buyer_api, (cheap, 4)).json()
    assert (free["subtotal"], free["shipping_fee"], free["total"]) == ("39.96", "0.00", "39.96")


def test_stock_moves_at_once_and_sales_once_paid(buyer_api, place, two_farms):
    order = place(buyer_api, (two_farms["apples"], 7)).json()
    apples = Listing.objects.get(pk=two_farms["apples"].pk)
    assert (apples.stock, apples.sales) == (43, 0)
    buyer_api.post(f"/orders/{order['id']}/pay", {"method": "sandbox"})
    apples.refresh_from_db()
    assert (apples.stock, apples.sales) == (43, 7)


def test_the_same_listing_twice_is_merged(buyer_api, place, two_farms):
    apples = two_farms["apples"]
    order = place(buyer_api, (apples, 2), (apples, 3)).json()
    assert len(order["lines"]) == 1 and order["lines"][0]["quantity"] == 5
    assert Listing.objects.get(pk=apples.pk).stock == 45


def test_short_order_is_409_with_what_is_available_and_nothing_taken(
    buyer_api, place, two_farms
):
    apples, tea = two_farms["apples"], two_farms["tea"]  # 50 and 20 in stock
    honey = make_listing(producer=two_farms["farm_a"], stock=3, title="槐花蜜")
    # given an order whose first line fits and whose other two do not
    response = place(buyer_api, (apples, 10), (tea, 21), (honey, 5))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "insufficient_stock"
    assert sorted(error["details"], key=lambda d: d["listing_id"]) == [
        {"listing_id": tea.pk, "available": 20},
        {"listing_id": honey.pk, "available": 3},
    ]
    # then nothing was taken, not even the line that fitted
    stock = dict(Listing.objects.values_list("pk", "stock"))
    assert (stock[apples.pk], stock[tea.pk], stock[honey.pk]) == (50, 20, 3)
    assert Listing.objects.get(pk=apples.pk).sales == 0
    assert not Order.objects.exists() and not OrderLine.objects.exists()


def test_a_listing_sold_out_while_short_reports_zero(buyer_api, place):
    empty = make_listing(stock=0)
    response = place(buyer_api, (empty, 1))
    assert response.status_code == 409
    assert response.json()["error"]["details"] == [{"listing_id": empty.pk, "available": 0}]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([{"listing_id": 1, "quantity": 0}], "lines.0.quantity"),
        ([{"listing_id": 1, "quantity": -3}], "lines.0.quantity"),
        ([{"listing_id": 1, "quantity": 2.5}], "lines.0.quantity"),
        ([{"listing_id": 1, "quantity": "2"}], "lines.0.quantity"),
        ([{"listing_id": 1, "quantity": True}], "lines.0.quantity"),
        ([{"listing_id": 1, "quantity": 2**70}], "lines.0.quantity"),
        ([{"listing_id": 1, "quantity": 1}, {"listing_id": None, "quantity": 1}],
         "lines.1.listing_id"),
        ([{"listing_id": 1}], "lines.0.quantity"),
        ([{"listing_id": "x", "quantity": 1}], "lines.0.listing_id"),
        ([{"listing_id": n, "quantity": 1} for n in range(1, 52)], "lines"),
    ],
)
def test_bad_lines_are_422_with_the_field(buyer_api, address, lines, field):
    response = buyer_api.post("/orders", {"lines": lines, "shipping_address": address})
    assert field in fields(response)
    assert not Order.objects.exists()


def test_quantity_above_the_maximum_is_422(buyer_api, place, two_farms, settings):
    settings.ORDER_MAX_QUANTITY = 10
    apples = two_farms["apples"]
    assert "lines.0.quantity" in fields(place(buyer_api, (apples, 11)))
    # merged duplicates count together
    assert "lines.1.quantity" in fields(place(buyer_api, (apples, 6), (apples, 6)))
    assert Listing.objects.get(pk=apples.pk).stock == 50


def test_an_order_too_large_for_the_money_columns_is_422_and_takes_nothing(
    buyer_api, place, two_farms
):
    # the highest price a farm may ask, times the most one line may hold: over 10 billion yuan
    gold = make_listing(price="99999999.99", stock=5000, title="金瓜")
    response = place(buyer_api, (two_farms["apples"], 1), (gold, 999))
    assert "lines" in fields(response)
    stock = dict(Listing.objects.values_list("pk", "stock"))
    assert (stock[gold.pk], stock[two_farms["apples"].pk]) == (5000, 50)
    assert not Order.objects.exists()


def test_unknown_draft_archived_and_own_listings_are_422(buyer, buyer_api, place, two_farms):
    draft = make_listing(status=Listing.Status.DRAFT)
    archived = make_listing(status=Listing.Status.ARCHIVED)
    own = make_listing(producer=make_producer(user=buyer))
    ghost = Listing(pk=999_999)
    response = place(buyer_api, (two_farms["apples"], 1), (draft, 1), (archived, 1), (own, 1),
                     (ghost, 1))
    errors = fields(response)
    assert set(errors) == {"lines.1.listing_id", "lines.2.listing_id", "lines.3.listing_id",
                           "lines.4.listing_id"}
    assert "own" in errors["lines.3.listing_id"]
    assert Listing.objects.get(pk=two_farms["apples"].pk).stock == 50


def test_bad_address_is_422(buyer_api, order_body, two_farms, address):
    body = order_body((two_farms["apples"], 1))
    body["shipping_address"] = {**address, "region_id": 987654}
    assert "shipping_address.region_id" in fields(buyer_api.post("/orders", body))
    body["shipping_address"] = {**address, "recipient": "   "}
    assert "shipping_address.recipient" in fields(buyer_api.post("/orders", body))
    body["shipping_address"] = {**address, "phone": "call me"}
    assert "shipping_address.phone" in fields(buyer_api.post("/orders", body))
    del body["shipping_address"]
    assert "shipping_address" in fields(buyer_api.post("/orders", body))
    assert not Order.objects.exists()


def test_not_json_is_400_not_a_500(buyer_api):
    response = buyer_api.post("/orders", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_anonymous_cannot_order(api, place, two_farms):
    response = place(api, (two_farms["apples"], 1))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_the_commission_and_the_pledges_are_written_in_the_order_s_transaction(
    buyer_api, place, two_farms, monkeypatch
):
    """Placing calls orders, then promotion, then benefit, in one transaction: each later step
    sees the order with its lines and shipments, and the pledges see the commission."""
    seen = []
    commission_for_order = checkout.promotion_services.commission_for_order
    pledges_snapshot = checkout.benefit_services.pledges_snapshot

    def commission(*, order, promo_visit):
        seen.append(("commission", order.number, order.lines.count(), order.shipments.count()))
        return commission_for_order(order=order, promo_visit=promo_visit)

    def pledges(*, order, lines):
        seen.append(("pledges", order.number, len(lines)))
        return pledges_snapshot(order=order, lines=lines)

    monkeypatch.setattr(checkout.promotion_services, "commission_for_order", commission)
    monkeypatch.setattr(checkout.benefit_services, "pledges_snapshot", pledges)
    order = place(buyer_api, (two_farms["apples"], 1), (two_farms["tea"], 1)).json()
    assert seen == [("commission", order["number"], 2, 2), ("pledges", order["number"], 2)]


def test_a_step_refusing_the_promo_code_rolls_the_order_back(buyer_api, place, two_farms,
                                                              monkeypatch):
    pledges_snapshot = checkout.benefit_services.pledges_snapshot

    def refuse(*, order, lines):
        if order.promo_code == "NOPE":
            raise ValidationFailed({"promo_code": "Unknown promo code."})
        return pledges_snapshot(order=order, lines=lines)

    monkeypatch.setattr(checkout.benefit_services, "pledges_snapshot", refuse)
    response = place(buyer_api, (two_farms["apples"], 5), promo_code="NOPE")
    assert "promo_code" in fields(response)
    assert not Order.objects.exists() and not Shipment.objects.exists()
    assert Listing.objects.get(pk=two_farms["apples"].pk).stock == 50


def test_expires_at_is_the_payment_timeout_after_creation(buyer_api, place, two_farms, settings):
    settings.ORDER_PAYMENT_TIMEOUT = 1800
    settings.ORDER_PAYMENT_TIMEOUT_NEW_BUYER = 600

    def hold(order) -> float:
        stored = Order.objects.get(pk=order["id"])
        return (stored.expires_at - stored.created_at).total_seconds()

    # an account that has never paid holds stock for the shorter while (hardening round
    # three, item 4)
    first = place(buyer_api, (two_farms["apples"], 1)).json()
    assert hold(first) == pytest.approx(600, abs=2)
    assert buyer_api.post(f"/orders/{first['id']}/pay", {"method": "sandbox"}).status_code == 200
    # one that has paid, for the payment timeout
    assert hold(place(buyer_api, (two_farms["apples"], 1)).json()) == pytest.approx(1800, abs=2)


def test_one_account_holds_at_most_a_share_of_a_listing_unpaid(buyer_api, place, settings,
                                                                two_farms):
    # a listing of 50: the larger of 5 units and 20% of it (10) may wait for payment per account
    settings.ORDER_UNPAID_LISTING_PERCENT = 20
    apples = two_farms["apples"]

    whole = place(buyer_api, (apples, 50))
    assert whole.status_code == 409, whole.content
    error = whole.json()["error"]
    assert error["code"] == "too_much_of_listing_unpaid"
    assert error["details"] == {"listing_id": apples.pk, "unpaid_units": 0, "units": 50,
                                "max_unpaid_units": 10}

    assert place(buyer_api, (apples, 6)).status_code == 201
    # a second unpaid order of the same account counts with the first
    more = place(buyer_api, (apples, 5))
    assert more.status_code == 409 and more.json()["error"]["details"]["unpaid_units"] == 6
    assert place(buyer_api, (apples, 4)).status_code == 201
    apples.refresh_from_db()
    assert apples.stock == 40  # only the two orders took stock


def test_a_small_listing_still_sells_a_few_units_unpaid(buyer_api, place, settings, two_farms):
    settings.ORDER_UNPAID_LISTING_PERCENT = 20
    settings.ORDER_UNPAID_LISTING_UNITS = 5
    Listing.objects.filter(pk=two_farms["tea"].pk).update(stock=8)

    assert place(buyer_api, (two_farms["tea"], 5)).status_code == 201  # 20% of 8 is 1
    assert place(buyer_api, (two_farms["tea"], 1)).json()["error"]["code"] == (
        "too_much_of_listing_unpaid")


def test_impossible_ids_and_nul_characters_are_422_not_500(buyer_api, order_body, two_farms,
                                                          address):
    huge = buyer_api.post("/orders", {"lines": [{"listing_id": 2**70, "quantity": 1}],
                                      "shipping_address": address})
    assert "lines.0.listing_id" in fields(huge)
    body = order_body((two_farms["apples"], 1), note="门口\x00")
    assert "note" in fields(buyer_api.post("/orders", body))
    body = order_body((two_farms["apples"], 1))
    body["shipping_address"]["region_id"] = 2**64
    assert "shipping_address.region_id" in fields(buyer_api.post("/orders", body))
    assert buyer_api.get(f"/orders/{2**70}").status_code == 422
    assert Listing.objects.get(pk=two_farms["apples"].pk).stock == 50


def test_pay_without_a_body_uses_the_sandbox(buyer_api, place, two_farms):
    order = place(buyer_api, (two_farms["apples"], 1)).json()
    response = buyer_api.post(f"/orders/{order['id']}/pay")
    assert response.status_code == 200 and response.json()["status"] == "paid"


@pytest.mark.parametrize("price", ["2.87", "4.56", "9.63"])
def test_an_order_whose_total_is_no_binary_fraction_is_placed(buyer_api, place, price):
    # 2.87 + 10.00 shipping was refused by the database's "total adds up" check on SQLite,
    # which adds decimals as floats, and answered 500 "could not draw a free order number"
    response = place(buyer_api, (make_listing(price=price, stock=5), 1))
    assert response.status_code == 201, response.content
    assert response.json()["total"] == str(Decimal(price) + Decimal("10.00"))


def test_the_share_holds_when_expiring_overdue_orders_would_make_room(
        buyer_api, place, settings, two_farms):
    import time_machine
    from django.utils import timezone

    from tests.factories import client_for, make_user

    settings.ORDER_UNPAID_LISTING_PERCENT = 20
    apples = two_farms["apples"]
    # 40 of the 50 held by others' orders that are past their payment window
    for _ in range(8):
        assert place(client_for(make_user()), (apples, 5)).status_code == 201
    with time_machine.travel(timezone.now() + timezone.timedelta(hours=1), tick=False):
        taken = place(buyer_api, (apples, 45))  # 45 of the 50 once those expire

    assert taken.status_code == 409, taken.content
    assert taken.json()["error"]["code"] == "too_much_of_listing_unpaid"
