"""POST /orders/quote answers what POST /orders will charge: each farm's goods and its
parcel's fee from its listings' freight templates, to the shipping region; a region a
template does not serve is 422 `region_not_served` naming the listing, before any stock is
taken; listings on no template keep the flat fee."""

from decimal import Decimal

import pytest

from producers.models import Listing
from tests.factories import client_for, make_address, make_listing
from tests.freight.conftest import template_put

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def flat(settings):
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("99.00")


@pytest.fixture
def body(regions):
    def make(*lines, region="xihu") -> dict:
        return {"lines": [{"listing_id": listing.pk, "quantity": q} for listing, q in lines],
                "shipping_address": make_address(region=regions[region])}

    return make


@pytest.fixture
def boxes(farm, template_body, regions):
    """赵家果园's apples by weight (2.5 kg a box at 39.90): 浙江 8.00 + 2.00/kg, 太康县
    5.00 + 1.00/kg, elsewhere 12.00 + 5.00/kg, free in 浙江 from 99.00; not sent to 城关回族镇."""
    template_put(farm, "按重量", template_body(no_ship=[regions["town"].pk]))
    return make_listing(producer=farm, title="苹果 5斤", price="39.90", stock=50,
                        net_weight_g=2500, freight_template="按重量")


def test_a_quote_is_what_the_order_charges(buyer_api, body, boxes, other_farm):
    tea = make_listing(producer=other_farm, title="龙井", price="30.00", stock=9)
    order_body = body((boxes, 2), (tea, 1), region="taikang")
    quote = buyer_api.post("/orders/quote", order_body)
    assert quote.status_code == 200, quote.content
    # apples: 5 kg to 太康县 = 5.00 + 4 x 1.00; tea: the flat fee under 99.00
    assert quote.json() == {
        "shipments": [{"producer_id": boxes.producer_id, "subtotal": "79.80",
                       "shipping_fee": "9.00"},
                      {"producer_id": tea.producer_id, "subtotal": "30.00",
                       "shipping_fee": "10.00"}],
        "subtotal": "109.80", "shipping_fee": "19.00", "total": "128.80", "currency": "CNY"}
    order = buyer_api.post("/orders", order_body).json()
    assert [(s["producer_id"], s["subtotal"], s["shipping_fee"]) for s in order["shipments"]] == [
        (s["producer_id"], s["subtotal"], s["shipping_fee"]) for s in quote.json()["shipments"]]
    assert (order["subtotal"], order["shipping_fee"], order["total"]) == ("109.80", "19.00",
                                                                          "128.80")


def test_free_over_an_amount_where_the_template_says(buyer_api, body, boxes):
    # 3 boxes = 119.70 to 西湖区: 浙江 is free from 99.00
    assert buyer_api.post("/orders/quote", body((boxes, 3))).json()["shipping_fee"] == "0.00"
    # to 太康县 it is not: 7.5 kg -> 8 kg = 5.00 + 7 x 1.00
    assert buyer_api.post("/orders/quote", body((boxes, 3), region="taikang")
                          ).json()["shipping_fee"] == "12.00"


def test_a_region_not_served_is_refused_naming_the_listing_and_takes_nothing(
        buyer_api, body, boxes, other_farm):
    tea = make_listing(producer=other_farm, title="龙井", price="30.00", stock=9)
    order_body = body((tea, 1), (boxes, 1), region="village")  # 二郎庙村 is under 城关回族镇
    quote = buyer_api.post("/orders/quote", order_body)
    assert quote.status_code == 422
    error = quote.json()["error"]
    assert error["code"] == "region_not_served"
    assert [(d["field"], d["listing_id"]) for d in error["details"]] == [
        ("lines.1.listing_id", boxes.pk)]
    placed = buyer_api.post("/orders", order_body)
    assert placed.status_code == 422 and placed.json() == quote.json()
    assert dict(Listing.objects.filter(pk__in=[tea.pk, boxes.pk]).values_list("pk", "stock")
                ) == {tea.pk: 9, boxes.pk: 50}


def test_listings_on_no_template_keep_the_flat_fee(buyer_api, body, other_farm):
    tea = make_listing(producer=other_farm, title="龙井", price="98.99", stock=9)
    assert buyer_api.post("/orders/quote", body((tea, 1))).json()["shipping_fee"] == "10.00"
    tea2 = make_listing(producer=other_farm, title="龙井", price="99.00", stock=9)
    assert buyer_api.post("/orders/quote", body((tea2, 1))).json()["shipping_fee"] == "0.00"


def test_anyone_may_ask_and_the_shipping_region_is_a_county_or_below(api, body, boxes,
                                                                       regions):
    assert api.post("/orders/quote", body((boxes, 1))).status_code == 200
    for above in ("zhejiang", "hangzhou"):
        response = api.post("/orders/quote", body((boxes, 1), region=above))
        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["field"] == "shipping_address.region_id"


def test_an_order_to_a_province_is_refused_too(buyer_api, body, boxes):
    response = buyer_api.post("/orders", body((boxes, 1), region="henan"))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "shipping_address.region_id"


def test_a_quote_refuses_what_the_order_would_refuse(buyer_api, farm, body, boxes):
    short = buyer_api.post("/orders/quote", body((boxes, 51)))
    assert short.status_code == 409 and short.json()["error"]["code"] == "insufficient_stock"
    own = client_for(farm.user).post("/orders/quote", body((boxes, 1)))
    assert own.status_code == 422
    assert own.json()["error"]["details"][0]["message"] == "You cannot buy your own listing."


def test_a_quote_reads_the_region_and_the_listings_once_each(buyer_api, body, boxes,
                                                             other_farm,
                                                             django_assert_num_queries):
    listings = [boxes] + [make_listing(producer=other_farm, title=f"茶{n}", price="5.00")
                          for n in range(5)]
    with django_assert_num_queries(3):  # token and user, region, listings with templates
        response = buyer_api.post("/orders/quote", body(*[(lst, 1) for lst in listings]))
    assert response.status_code == 200
