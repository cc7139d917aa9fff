"""Where the fee shows: GET /listings/{id} and /l/{id} give what one unit costs to send to the
buyer's region (`?region=`, else the signed-in buyer's last shipping region) and the listing's
不发货地区; the same fee POST /orders/quote gives, from the same computation."""

from decimal import Decimal

import pytest

from producers.models import Region
from producers.regions import _place
from tests.factories import client_for, make_address, make_listing, make_order
from tests.freight.conftest import template_put

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def flat(settings):
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("99.00")


@pytest.fixture
def boxes(farm, template_body, regions):
    """赵家果园's apples by weight (2.5 kg a box at 39.90, so 3 kg): 浙江 8.00 + 2.00/kg, 太康县
    5.00 + 1.00/kg, elsewhere 12.00 + 5.00/kg; not sent to 城关回族镇."""
    template_put(farm, "按重量", template_body(no_ship=[regions["town"].pk]))
    return make_listing(producer=farm, title="苹果 5斤", price="39.90", stock=50,
                        net_weight_g=2500, freight_template="按重量")


def detail(api, listing, **params):
    response = api.get(f"/listings/{listing.pk}", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_the_detail_gives_the_fee_to_the_region_asked(api, boxes, regions):
    body = detail(api, boxes, region=regions["taikang"].pk)
    # 3 kg to 太康县: 5.00 + 2 x 1.00
    assert body["shipping"] == {
        "region": {"id": regions["taikang"].pk, "code": "411627", "name": "太康县",
                   "level": "county", "parent_id": regions["zhoukou"].pk,
                   "path": regions["taikang"].path},
        "served": True, "shipping_fee": "7.00", "currency": "CNY"}
    # 3 kg to 西湖区 (浙江): 8.00 + 2 x 2.00
    assert detail(api, boxes, region=regions["xihu"].pk)["shipping"]["shipping_fee"] == "12.00"


def test_a_region_not_served_says_so_with_no_fee(api, boxes, regions):
    for key in ("town", "village"):  # 城关回族镇 and the village under it
        shipping = detail(api, boxes, region=regions[key].pk)["shipping"]
        assert (shipping["region"]["id"], shipping["served"], shipping["shipping_fee"]) == (
            regions[key].pk, False, None)


def test_the_detail_names_the_regions_not_served(api, boxes, regions):
    body = detail(api, boxes)
    assert [(r["id"], r["name"]) for r in body["no_ship_regions"]] == [
        (regions["town"].pk, "城关回族镇")]
    assert body["shipping"] is None  # no region known: no fee


def test_a_listing_on_no_template_shows_the_flat_fee(api, farm, regions):
    tea = make_listing(producer=farm, title="龙井", price="30.00")
    body = detail(api, tea, region=regions["taikang"].pk)
    assert (body["shipping"]["served"], body["shipping"]["shipping_fee"]) == (True, "10.00")
    assert body["no_ship_regions"] == []
    dear = make_listing(producer=farm, title="龙井 礼盒", price="120.00")
    assert detail(api, dear, region=regions["xihu"].pk)["shipping"]["shipping_fee"] == "0.00"


def test_the_fee_shown_is_what_the_quote_charges_for_one(api, buyer_api, boxes, farm, regions):
    tea = make_listing(producer=farm, title="龙井", price="30.00")
    for listing in (boxes, tea):
        for key in ("taikang", "xihu"):
            quote = buyer_api.post("/orders/quote", {
                "lines": [{"listing_id": listing.pk, "quantity": 1}],
                "shipping_address": make_address(region=regions[key])}).json()
            shown = detail(api, listing, region=regions[key].pk)["shipping"]["shipping_fee"]
            assert shown == quote["shipping_fee"], (listing.title, key)


@pytest.mark.parametrize("value", ["999999", "0", "-3", "abc", "1.5", "9" * 30, "henan"])
def test_a_region_that_is_not_a_region_is_422_naming_it(api, boxes, regions, value):
    value = str(regions["henan"].pk) if value == "henan" else value  # a province: too coarse
    response = api.get(f"/listings/{boxes.pk}", {"region": value})
    assert response.status_code == 422, (value, response.content)
    assert [d["field"] for d in response.json()["error"]["details"]] == ["region"]


def test_a_signed_in_buyer_sees_the_fee_to_their_last_shipping_region(buyer, boxes, regions):
    api = client_for(buyer)
    assert detail(api, boxes)["shipping"] is None  # never ordered: no region known
    make_order(buyer=buyer)  # sent to 西湖区
    shipping = detail(api, boxes)["shipping"]
    assert (shipping["region"]["id"], shipping["shipping_fee"]) == (regions["xihu"].pk, "12.00")
    # a region asked for wins
    assert detail(api, boxes, region=regions["taikang"].pk)["shipping"]["shipping_fee"] == "7.00"


def test_the_etag_varies_with_the_region(api, boxes, regions):
    to_taikang = api.get(f"/listings/{boxes.pk}", {"region": regions["taikang"].pk})
    again = api.get(f"/listings/{boxes.pk}", {"region": regions["taikang"].pk},
                    headers={"If-None-Match": to_taikang["ETag"]})
    assert again.status_code == 304
    to_xihu = api.get(f"/listings/{boxes.pk}", {"region": regions["xihu"].pk},
                      headers={"If-None-Match": to_taikang["ETag"]})
    assert to_xihu.status_code == 200 and to_xihu["ETag"] != to_taikang["ETag"]


def county(code: str, name: str, parent: Region) -> Region:
    region = Region(code=code, name=name, level=Region.Level.COUNTY)
    _place(region, parent)
    region.save()
    return region


@pytest.mark.parametrize("no_ship", [1, 4])
def test_the_detail_costs_the_same_queries_however_many_regions_it_names(
        api, farm, template_body, regions, django_assert_num_queries, no_ship):
    counties = [county(f"4116{n:02d}", f"县{n}", regions["zhoukou"]) for n in range(21, 25)]
    template_put(farm, "按重量", template_body(
        no_ship=[region.pk for region in counties[:no_ship]]))
    listing = make_listing(producer=farm, net_weight_g=500, freight_template="按重量")
    with django_assert_num_queries(2):  # the listing with its template, then the regions
        body = detail(api, listing, region=regions["taikang"].pk)
    assert len(body["no_ship_regions"]) == no_ship and body["shipping"]["served"]


def test_a_signed_in_buyer_costs_one_statement_more(buyer, boxes, django_assert_num_queries):
    make_order(buyer=buyer)
    api = client_for(buyer)
    # the token and its user, the last order's region, the listing, the regions
    with django_assert_num_queries(4):
        assert detail(api, boxes)["shipping"]["shipping_fee"] == "12.00"


# --- /l/{id}, the page for people -----------------------------------------------------------

def test_the_page_shows_the_fee_and_the_regions_not_served(client, boxes, regions):
    html = client.get(f"/l/{boxes.pk}", {"region": regions["taikang"].pk}).content.decode()
    assert "运费 ¥7.00" in html and regions["taikang"].path in html
    assert "不发货地区" in html and "城关回族镇" in html
    html = client.get(f"/l/{boxes.pk}", {"region": regions["village"].pk}).content.decode()
    assert f"{regions['village'].path}不发货" in html and "运费 ¥" not in html


def test_the_page_without_a_region_shows_no_fee(client, boxes):
    response = client.get(f"/l/{boxes.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "运费 ¥" not in html and "城关回族镇" in html


@pytest.mark.parametrize("value", ["999999", "abc", "9" * 30, "henan"])
def test_the_page_with_a_wrong_region_says_so_in_chinese(client, boxes, regions, value):
    value = str(regions["henan"].pk) if value == "henan" else value
    response = client.get(f"/l/{boxes.pk}", {"region": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert "没有这个收货地区" in html and "运费 ¥" not in html


@pytest.mark.postgres
def test_the_bench_ceiling_answers_the_apps_bytes_with_regions_not_served(boxes, regions):
    from django.test import Client, RequestFactory

    from bench import ceilings

    agent = {"HTTP_USER_AGENT": "bench-check", "REMOTE_ADDR": "127.0.0.9"}
    ours = Client(**agent).get(f"/api/v1/listings/{boxes.pk}")
    ceiling = ceilings.listing(RequestFactory(**agent).get("/"), boxes.pk)
    assert ours.status_code == 200 and ours.content == ceiling.content
    assert "城关回族镇" in ours.content.decode()
