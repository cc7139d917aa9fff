"""A farm sees the buyer's name, phone and address while its parcel is open in a paid order;
before payment, and once it is delivered or cancelled, masked: 138****8000, the surname, no
street. The buyer sees them whole."""

import pytest

from orders.models import Order, Shipment
from orders.privacy import mask_phone

pytestmark = pytest.mark.django_db

WHOLE = {"recipient": "王小明", "phone": "13800138000", "detail": "文三路 90 号 3 幢 502"}
MASKED = {"recipient": "王**", "phone": "138****8000", "detail": ""}


@pytest.fixture
def order(buyer_api, place, two_farms) -> Order:
    response = place(buyer_api, (two_farms["apples"], 2))
    return Order.objects.get(pk=response.json()["id"])


def seen(client, order) -> tuple[dict, dict]:
    """(the order's address, the parcel's address) as `client` sees them."""
    shipment = Shipment.objects.get(order=order)
    from_order = client.get(f"/orders/{order.pk}").json()["shipping_address"]
    parcels = client.get("/shipments").json()["items"]
    from_shipments = next(s for s in parcels if s["id"] == shipment.pk)["shipping_address"]
    return from_order, from_shipments


def part(address: dict) -> dict:
    return {key: address[key] for key in ("recipient", "phone", "detail")}


def test_the_farm_sees_the_address_while_the_parcel_is_open_and_masked_once_delivered(
        buyer_api, order, two_farms):
    farm = two_farms["api_a"]
    shipment = Shipment.objects.get(order=order)

    # not paid yet: the farm has nothing to ship, and sees the details masked (hardening round
    # three, item 6)
    assert [part(a) for a in seen(farm, order)] == [MASKED, MASKED]
    assert part(buyer_api.get(f"/orders/{order.pk}").json()["shipping_address"]) == WHOLE

    # paid and shipped: the farm needs the address
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert [part(a) for a in seen(farm, order)] == [WHOLE, WHOLE]
    farm.post(f"/shipments/{shipment.pk}/ship", {"carrier": "顺丰速运",
                                                  "tracking_number": "SF1002003004005"})
    assert [part(a) for a in seen(farm, order)] == [WHOLE, WHOLE]

    # when the buyer confirms delivery
    assert buyer_api.post(f"/shipments/{shipment.pk}/confirm").status_code == 200

    # then the farm sees it masked, in the order and in its parcel list; the region stays
    from_order, from_shipments = seen(farm, order)
    assert part(from_order) == MASKED and part(from_shipments) == MASKED
    assert from_order["region_path"] == "浙江省 / 杭州市 / 西湖区"
    # and the buyer still sees it whole
    assert part(buyer_api.get(f"/orders/{order.pk}").json()["shipping_address"]) == WHOLE


def test_a_cancelled_order_shows_the_farm_a_masked_address(buyer_api, order, two_farms):
    assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200
    assert [part(a) for a in seen(two_farms["api_a"], order)] == [MASKED, MASKED]


@pytest.mark.parametrize(("phone", "masked"), [
    ("13800138000", "138****8000"), ("+86 138-0013-8000", "138****8000"), ("110", "***")])
def test_phone_masking_keeps_the_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked
