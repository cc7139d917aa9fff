"""A listing names one of its farm's freight templates (`freight_template`); on a weight
template it needs its net weight to go on sale."""

import pytest

from producers.models import Listing
from tests.freight.conftest import charge

pytestmark = pytest.mark.django_db

URL = "/producers/me/freight-templates/"


@pytest.fixture
def listing_body(categories):
    def body(**changes) -> dict:
        return {"title": "洛川苹果 5斤", "category": "apples", "unit": "box", "price": "39.90",
                "stock": 10, "status": "active", **changes}

    return body


@pytest.fixture
def by_piece(template_body):
    return template_body(basis="piece", free_over=[])


def test_a_listing_names_its_farms_template(farm_api, template_body, listing_body):
    farm_api.put(URL + "按重量", template_body())
    response = farm_api.post("/listings", listing_body(freight_template="按重量",
                                                       net_weight_g=2500))
    assert response.status_code == 201, response.content
    listing = Listing.objects.get(pk=response.json()["id"])
    assert listing.freight_template.name == "按重量"
    # and back to the flat fee
    assert farm_api.patch(f"/listings/{listing.pk}", {"freight_template": None}
                          ).status_code == 200
    assert Listing.objects.get(pk=listing.pk).freight_template is None


def test_another_farms_template_is_refused(farm_api, other_api, template_body, listing_body):
    other_api.put(URL + "钱家的", template_body())
    response = farm_api.post("/listings", listing_body(freight_template="钱家的",
                                                       net_weight_g=500))
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["error"]["details"]] == ["freight_template"]
    assert not Listing.objects.exists()
    listing = farm_api.post("/listings", listing_body(net_weight_g=500)).json()
    response = farm_api.patch(f"/listings/{listing['id']}", {"freight_template": "钱家的"})
    assert response.status_code == 422
    assert Listing.objects.get(pk=listing["id"]).freight_template is None


def test_on_a_weight_template_a_listing_without_net_weight_cannot_be_activated(
        farm_api, template_body, listing_body):
    farm_api.put(URL + "按重量", template_body())
    refused = farm_api.post("/listings", listing_body(freight_template="按重量"))
    assert refused.status_code == 422
    assert refused.json()["error"]["details"][0]["field"] == "net_weight_g"
    draft = farm_api.post("/listings", listing_body(freight_template="按重量", status="draft"))
    assert draft.status_code == 201
    url = f"/listings/{draft.json()['id']}"
    assert farm_api.patch(url, {"status": "active"}).status_code == 422
    assert farm_api.patch(url, {"status": "active", "net_weight_g": 2500}).status_code == 200
    # the weight cannot go while it is on sale on that template
    assert farm_api.patch(url, {"net_weight_g": None}).status_code == 422
    assert Listing.objects.get(pk=draft.json()["id"]).net_weight_g == 2500


def test_a_piece_template_needs_no_weight(farm_api, by_piece, listing_body):
    farm_api.put(URL + "按件", by_piece)
    assert farm_api.post("/listings", listing_body(freight_template="按件")).status_code == 201


def test_a_template_turned_to_weight_under_listings_without_weight_is_refused(
        farm_api, by_piece, template_body, listing_body):
    farm_api.put(URL + "按件", by_piece)
    listing = farm_api.post("/listings", listing_body(freight_template="按件")).json()
    response = farm_api.put(URL + "按件", template_body())
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{
        "field": "basis", "listing_ids": [listing["id"]],
        "message": "Listings on sale on this template have no net weight: set their "
                   "net_weight_g first."}]
    assert farm_api.get(URL + "按件").json()["basis"] == "piece"
    # once the listing is off sale (a draft), the template may change
    farm_api.patch(f"/listings/{listing['id']}", {"status": "draft"})
    assert farm_api.put(URL + "按件", template_body()).json()["basis"] == "weight"


def test_an_unknown_template_name_is_refused(farm_api, listing_body):
    response = farm_api.post("/listings", listing_body(freight_template="没有这个"))
    assert response.status_code == 422
    assert response.json()["error"]["details"][0] == {
        "field": "freight_template", "message": "No freight template of yours has this name."}


def test_charges_in_a_template_are_kept_to_the_fen(farm_api, template_body):
    body = template_body(default_rule={"first": charge(1, "12"), "next": charge(2, "0.5")})
    assert farm_api.put(URL + "x", body).json()["default_rule"] == {
        "first": {"units": 1, "fee": "12.00"}, "next": {"units": 2, "fee": "0.50"}}
