"""Who sees an order: the buyer all of it; a farm with a parcel in it its own part and the
address; everyone else a 404."""

import pytest

from orders.models import Order
from tests.factories import client_for, make_producer, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer_api, place, two_farms) -> dict:
    response = place(buyer_api, (two_farms["apples"], 4), (two_farms["tea"], 1))
    assert response.status_code == 201
    return response.json()


@pytest.fixture
def other_farm_api():
    return client_for(make_producer(name="王家菜园").user)


def test_the_buyer_sees_everything(buyer_api, order):
    body = buyer_api.get(f"/orders/{order['id']}").json()
    assert body["view"] == "buyer"
    assert len(body["lines"]) == 2 and len(body["shipments"]) == 2
    assert body["total"] == "180.00"
    assert body["shipping_address"]["phone"] == "13800138000"


def test_a_farm_sees_only_its_part_and_the_address(order, two_farms, buyer_api):
    # (the address once the order is paid: tests/orders/test_buyer_privacy.py)
    assert buyer_api.post(f"/orders/{order['id']}/pay", {"method": "sandbox"}).status_code == 200
    body = two_farms["api_a"].get(f"/orders/{order['id']}").json()
    assert body["view"] == "producer"
    assert [ln["listing_id"] for ln in body["lines"]] == [two_farms["apples"].pk]
    assert [s["producer_id"] for s in body["shipments"]] == [two_farms["farm_a"].pk]
    # its own goods and parcel fee, not the other farm's tea
    assert (body["subtotal"], body["shipping_fee"], body["total"]) == ("50.00", "10.00", "60.00")
    assert body["shipping_address"]["detail"] == "文三路 90 号 3 幢 502"
    other = two_farms["api_b"].get(f"/orders/{order['id']}").json()
    assert [ln["listing_id"] for ln in other["lines"]] == [two_farms["tea"].pk]
    assert other["total"] == "120.00"


@pytest.mark.parametrize("who", ["other_farm", "stranger"])
def test_everyone_else_gets_404(order, who, other_farm_api):
    client = other_farm_api if who == "other_farm" else client_for(make_user())
    response = client.get(f"/orders/{order['id']}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "order_not_found"
    assert client.get("/orders").json()["items"] == []


def test_anonymous_gets_401(api, order):
    assert api.get(f"/orders/{order['id']}").status_code == 401
    assert api.get("/orders").status_code == 401


def test_a_missing_order_is_404_like_a_hidden_one(buyer_api):
    assert buyer_api.get("/orders/424242").status_code == 404


def test_lists_by_role(buyer_api, order, two_farms, other_farm_api):
    own = buyer_api.get("/orders").json()["items"]
    assert [o["id"] for o in own] == [order["id"]]
    # a farmer's own purchases are not the orders they sell
    assert two_farms["api_a"].get("/orders").json()["items"] == []
    selling = two_farms["api_a"].get("/orders", {"role": "producer"}).json()["items"]
    assert [o["id"] for o in selling] == [order["id"]]
    assert selling[0]["view"] == "producer" and len(selling[0]["lines"]) == 1
    assert other_farm_api.get("/orders", {"role": "producer"}).json()["items"] == []
    assert buyer_api.get("/orders", {"role": "producer"}).status_code == 403


def test_list_filters_by_status_and_pages(buyer_api, place, two_farms):
    ids = [place(buyer_api, (two_farms["apples"], 1)).json()["id"] for _ in range(3)]
    buyer_api.post(f"/orders/{ids[0]}/pay", {"method": "sandbox"})
    paid = buyer_api.get("/orders", {"status": "paid"}).json()["items"]
    assert [o["id"] for o in paid] == [ids[0]]
    first = buyer_api.get("/orders", {"limit": 2}).json()
    assert [o["id"] for o in first["items"]] == [ids[2], ids[1]]
    second = buyer_api.get("/orders", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [o["id"] for o in second["items"]] == [ids[0]] and second["next_cursor"] is None
    assert buyer_api.get("/orders", {"status": "lost"}).status_code == 422
    assert buyer_api.get("/orders", {"cursor": "forged"}).status_code == 400
    assert Order.objects.count() == 3
