"""Farms ship their parcels, buyers confirm them; the order follows; wrong moves are 409."""

import pytest

from orders.models import Order, OrderEvent, Shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer_api, place, two_farms) -> Order:
    response = place(buyer_api, (two_farms["apples"], 2), (two_farms["tea"], 1))
    return Order.objects.get(pk=response.json()["id"])


@pytest.fixture
def parcels(order, two_farms) -> dict:
    return {
        "a": Shipment.objects.get(order=order, producer=two_farms["farm_a"]),
        "b": Shipment.objects.get(order=order, producer=two_farms["farm_b"]),
    }


def ship(client, shipment, carrier="顺丰速运", tracking="SF1002003004005"):
    return client.post(f"/shipments/{shipment.pk}/ship",
                       {"carrier": carrier, "tracking_number": tracking})


def test_an_unpaid_order_cannot_ship(order, parcels, two_farms):
    response = ship(two_farms["api_a"], parcels["a"])
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_state"
    parcels["a"].refresh_from_db()
    assert parcels["a"].status == "pending"


def test_shipping_records_carrier_and_the_order_follows(buyer_api, order, parcels, two_farms):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    response = ship(two_farms["api_a"], parcels["a"])
    assert response.status_code == 200
    body = response.json()
    assert body["carrier"] == "顺丰速运" and body["tracking_number"] == "SF1002003004005"
    assert body["shipped_at"] and body["order_status"] == "paid"
    event = OrderEvent.objects.get(shipment=parcels["a"])
    assert (event.from_status, event.to_status, event.actor_id) == (
        "pending", "shipped", two_farms["farm_a"].user_id
    )
    # shipping twice is a wrong transition
    again = ship(two_farms["api_a"], parcels["a"])
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    ship(two_farms["api_b"], parcels["b"])
    order.refresh_from_db()
    assert order.status == "shipped"


def test_a_farm_cannot_ship_anothers_parcel_or_a_buyer_ship(buyer_api, order, parcels, two_farms):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert ship(two_farms["api_b"], parcels["a"]).status_code == 404
    # the buyer sees the parcel in the order, but shipping is the farm's part: 403
    assert ship(buyer_api, parcels["a"]).status_code == 403
    missing = two_farms["api_a"].post(
        "/shipments/999999/ship", {"carrier": "顺丰", "tracking_number": "SF1234567890123"})
    assert missing.status_code == 404
    parcels["a"].refresh_from_db()
    assert parcels["a"].status == "pending"


def test_carrier_and_tracking_number_are_required(buyer_api, order, parcels, two_farms):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    response = two_farms["api_a"].post(f"/shipments/{parcels['a'].pk}/ship", {"carrier": "顺丰"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "tracking_number"
    blank = ship(two_farms["api_a"], parcels["a"], carrier="  ")
    assert blank.status_code == 422


def test_confirming_before_shipping_is_409_and_only_the_buyer_confirms(
    buyer_api, order, parcels, two_farms
):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    early = buyer_api.post(f"/shipments/{parcels['a'].pk}/confirm")
    assert early.status_code == 409 and early.json()["error"]["code"] == "invalid_state"
    ship(two_farms["api_a"], parcels["a"])
    # the farm sees its parcel, but confirming is the buyer's part: 403; another farm: 404
    assert two_farms["api_a"].post(f"/shipments/{parcels['a'].pk}/confirm").status_code == 403
    assert two_farms["api_b"].post(f"/shipments/{parcels['a'].pk}/confirm").status_code == 404
    assert buyer_api.post(f"/shipments/{parcels['a'].pk}/confirm").status_code == 200
    again = buyer_api.post(f"/shipments/{parcels['a'].pk}/confirm")
    assert again.status_code == 409
    # one of two delivered: the order is not complete
    order.refresh_from_db()
    assert order.status == "paid"


def test_delivering_every_parcel_completes_the_order(buyer_api, order, parcels, two_farms):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    ship(two_farms["api_a"], parcels["a"])
    buyer_api.post(f"/shipments/{parcels['a'].pk}/confirm")
    ship(two_farms["api_b"], parcels["b"])
    order.refresh_from_db()
    assert order.status == "shipped"
    buyer_api.post(f"/shipments/{parcels['b'].pk}/confirm")
    order.refresh_from_db()
    assert order.status == "completed"


def test_a_cancelled_orders_parcel_cannot_ship(buyer_api, order, parcels, two_farms):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    buyer_api.post(f"/orders/{order.pk}/cancel")
    response = ship(two_farms["api_a"], parcels["a"])
    assert response.status_code == 409


def test_a_farm_lists_its_own_parcels_filtered_by_status(buyer_api, place, two_farms):
    for quantity in (1, 2, 3):
        place(buyer_api, (two_farms["apples"], quantity), (two_farms["tea"], 1))
    first = Order.objects.order_by("id").first()
    buyer_api.post(f"/orders/{first.pk}/pay", {"method": "sandbox"})
    parcel = Shipment.objects.get(order=first, producer=two_farms["farm_a"])
    ship(two_farms["api_a"], parcel)
    mine = two_farms["api_a"].get("/shipments").json()
    assert len(mine["items"]) == 3 and mine["next_cursor"] is None
    assert {s["producer_id"] for s in mine["items"]} == {two_farms["farm_a"].pk}
    item = mine["items"][-1]
    assert item["shipping_address"]["recipient"] == "王小明"
    assert item["shipping_address"]["region_path"] == "浙江省 / 杭州市 / 西湖区"
    assert [ln["title"] for ln in item["lines"]] == ["红富士苹果"]
    shipped = two_farms["api_a"].get("/shipments", {"status": "shipped"}).json()["items"]
    assert [s["id"] for s in shipped] == [parcel.pk]
    # pages of one
    page = two_farms["api_a"].get("/shipments", {"limit": 1}).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = two_farms["api_a"].get("/shipments", {"limit": 5, "cursor": page["next_cursor"]})
    assert len(rest.json()["items"]) == 2


def test_shipment_list_errors(buyer_api, two_farms):
    assert buyer_api.get("/shipments").status_code == 403  # no producer profile
    assert two_farms["api_a"].get("/shipments", {"status": "lost"}).status_code == 422
    assert two_farms["api_a"].get("/shipments", {"cursor": "garbage"}).status_code == 400
