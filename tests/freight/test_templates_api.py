"""A farm's freight templates through the API: PUT whole, GET, list, DELETE, and every bad
input the contract names."""

import pytest

from freight.models import FreightTemplate
from producers.models import Listing, Region
from producers.regions import _place
from tests.factories import client_for, make_listing, make_user
from tests.freight.conftest import charge

pytestmark = pytest.mark.django_db

URL = "/producers/me/freight-templates/"


def fields(response) -> dict[str, str]:
    assert response.status_code == 422, response.content
    return {d["field"]: d["message"] for d in response.json()["error"]["details"]}


def test_a_template_is_made_read_back_and_replaced_whole(farm_api, template_body, regions):
    made = farm_api.put(URL + "江浙沪", template_body())
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["name"] == "江浙沪" and body["basis"] == "weight" and body["currency"] == "CNY"
    assert body["rules"][0] == {"regions": [regions["zhejiang"].pk],
                                "first": {"units": 1, "fee": "8.00"},
                                "next": {"units": 1, "fee": "2.00"}}
    assert body["default_rule"] == {"first": {"units": 1, "fee": "12.00"},
                                    "next": {"units": 1, "fee": "5.00"}}
    assert body["free_over"] == [{"regions": [regions["zhejiang"].pk], "min_amount": "99.00",
                                  "min_units": None}]
    assert [r["path"] for r in body["regions"]] == ["浙江省", "河南省 / 周口市 / 太康县"]
    assert farm_api.get(URL + "江浙沪").json() == body

    # a second PUT replaces it whole: 200, one template still
    replaced = farm_api.put(URL + "江浙沪", template_body(
        basis="piece", rules=[], free_over=[{"min_units": 5}],
        no_ship=[regions["town"].pk]))
    assert replaced.status_code == 200, replaced.content
    assert replaced.json()["rules"] == [] and replaced.json()["no_ship"] == [regions["town"].pk]
    assert replaced.json()["free_over"] == [{"regions": [], "min_amount": None, "min_units": 5}]
    assert FreightTemplate.objects.get().basis == "piece"


def test_the_list_is_the_farms_own_templates_by_name_in_constant_queries(
        farm_api, other_api, template_body, django_assert_num_queries):
    other_api.put(URL + "别人的", template_body())
    farm_api.put(URL + "b", template_body())
    with django_assert_num_queries(4):  # token and user, producer, page, its regions
        page = farm_api.get(URL[:-1])
    assert [t["name"] for t in page.json()["items"]] == ["b"]
    for n in range(20):
        farm_api.put(URL + f"a{n:02}", template_body())
    with django_assert_num_queries(4):
        page = farm_api.get(URL[:-1], {"limit": 20})
    assert [t["name"] for t in page.json()["items"]][:2] == ["a00", "a01"]
    rest = farm_api.get(URL[:-1], {"limit": 20, "cursor": page.json()["next_cursor"]})
    assert [t["name"] for t in rest.json()["items"]] == ["b"]


def test_another_farms_template_is_not_found(farm_api, other_api, template_body):
    other_api.put(URL + "别人的", template_body())
    assert farm_api.get(URL + "别人的").status_code == 404
    assert farm_api.delete(URL + "别人的").json()["error"]["code"] == "freight_template_not_found"


def test_only_a_farm_keeps_templates(template_body, regions):
    buyer = client_for(make_user())
    response = buyer.put(URL + "x", template_body())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "producer_required"


def test_a_replay_with_the_same_idempotency_key_is_the_first_answer(farm_api, template_body):
    headers = {"Idempotency-Key": "tmpl-1"}
    first = farm_api.put(URL + "江浙沪", template_body(), headers=headers)
    again = farm_api.put(URL + "江浙沪", template_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()


# --- Bad input ---------------------------------------------------------------------------------

def test_no_rule_covering_a_region_and_no_default_is_refused(farm_api, template_body, regions):
    rules = template_body()["rules"]
    body = template_body(default_rule=None, rules=rules[:1])  # 浙江 only: 河南 has no rule
    assert "河南省" in fields(farm_api.put(URL + "x", body))["default_rule"]
    assert not FreightTemplate.objects.exists()
    # 河南 left out with no_ship, or covered all the way down (太康县 is all the test tree
    # holds of it): every region has a rule
    assert farm_api.put(URL + "x", template_body(
        default_rule=None, rules=rules[:1], no_ship=[regions["henan"].pk])).status_code == 201
    assert farm_api.put(URL + "y", template_body(default_rule=None, rules=rules)
                        ).status_code == 201
    # a county of 周口市 with no rule, once the tree has one: 周口市 is no longer covered
    chuanhui = Region(code="411602", name="川汇区", level="county")
    _place(chuanhui, regions["zhoukou"])
    chuanhui.save()
    message = fields(farm_api.put(URL + "y", template_body(default_rule=None, rules=rules)))
    assert "川汇区" in message["default_rule"]


def test_a_negative_fee_is_refused(farm_api, template_body, regions):
    body = template_body()
    body["rules"][0]["first"] = charge(1, "-0.01")
    assert fields(farm_api.put(URL + "x", body)) == {
        "rules.0.first.fee": "A fee cannot be negative."}
    body = template_body(default_rule={"first": charge(1, "12.00"), "next": charge(1, "-5")})
    assert "default_rule.next.fee" in fields(farm_api.put(URL + "x", body))


def test_zero_units_are_refused(farm_api, template_body):
    body = template_body()
    body["rules"][1]["next"] = charge(0, "1.00")
    assert "rules.1.next.units" in fields(farm_api.put(URL + "x", body))
    body = template_body(free_over=[{"min_units": 0}])
    assert "free_over.0.min_units" in fields(farm_api.put(URL + "x", body))
    assert not FreightTemplate.objects.exists()


@pytest.mark.parametrize(("change", "field"), [
    ({"rules": [{"regions": [], "first": charge(1, "1"), "next": charge(1, "1")}]},
     "rules.0.regions"),
    ({"no_ship": [9_999_999]}, "no_ship.0"),
    ({"free_over": [{"min_amount": "99.00", "min_units": 3}]}, "free_over.0"),
    ({"free_over": [{"regions": []}]}, "free_over.0"),
    ({"free_over": [{"min_amount": "0.00"}]}, "free_over.0.min_amount"),
    ({"free_over": [{"min_amount": "9.999"}]}, "free_over.0.min_amount"),
    ({"free_over": [{"min_units": 3}, {"min_amount": "99"}]}, "free_over.1.regions"),
    ({"basis": "volume"}, "basis"),
])
def test_malformed_rules_name_the_field(farm_api, template_body, change, field):
    assert field in fields(farm_api.put(URL + "x", template_body(**change)))


def test_a_region_named_twice_is_refused(farm_api, template_body, regions):
    body = template_body(no_ship=[regions["zhejiang"].pk])
    assert "no_ship.0" in fields(farm_api.put(URL + "x", body))


def test_a_rule_inside_a_region_not_served_is_refused(farm_api, template_body, regions):
    body = template_body(no_ship=[regions["henan"].pk])  # 太康县's rule would never apply
    assert "河南省" in fields(farm_api.put(URL + "x", body))["rules.1.regions.0"]


def test_no_ship_is_never_the_whole_country(farm_api, template_body, regions):
    body = template_body(rules=[], free_over=[],
                         no_ship=[regions["henan"].pk, regions["zhejiang"].pk])
    assert "whole country" in fields(farm_api.put(URL + "x", body))["no_ship"]


def test_a_name_that_cannot_be_a_path_is_refused(farm_api, template_body):
    assert farm_api.put(URL + "a" * 65, template_body()).status_code == 422


# --- Deleting ------------------------------------------------------------------------------------

def test_an_unused_template_is_deleted(farm_api, template_body):
    farm_api.put(URL + "x", template_body())
    assert farm_api.delete(URL + "x").status_code == 204
    assert farm_api.get(URL + "x").status_code == 404


def test_a_template_a_listing_names_cannot_be_deleted(farm, farm_api, template_body):
    farm_api.put(URL + "x", template_body())
    listing = make_listing(producer=farm, net_weight_g=500, freight_template="x",
                           status=Listing.Status.ARCHIVED)
    response = farm_api.delete(URL + "x")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "freight_template_in_use"
    assert response.json()["error"]["details"] == {"listing_ids": [listing.pk]}
    # moved to the flat fee, it can go
    assert farm_api.patch(f"/listings/{listing.pk}", {"freight_template": None}
                          ).status_code == 200
    assert farm_api.delete(URL + "x").status_code == 204
