"""A parcel's courier: a code read from the name the farm typed (or given), a tracking page for
the number, and waybill numbers checked for their characters, length and the courier's shape."""

import pytest

from orders.models import Order, Shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def parcel(buyer_api, place, two_farms) -> Shipment:
    response = place(buyer_api, (two_farms["apples"], 2))
    order = Order.objects.get(pk=response.json()["id"])
    assert buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"}).status_code == 200
    return order.shipments.get()


def ship(two_farms, parcel, **body):
    return two_farms["api_a"].post(f"/shipments/{parcel.pk}/ship", body)


@pytest.mark.parametrize(("carrier", "number", "code", "host"), [
    ("顺丰", "SF1234567890123", "SF", "sf-express.com"),
    ("顺丰速运", "SF123456789012", "SF", "sf-express.com"),
    ("中通快递", "73100998877665", "ZTO", "zto.com"),
    ("圆通", "YT1234567890123", "YTO", "yto.net.cn"),
    ("申通快递", "773012345678901", "STO", "sto.cn"),
    ("韵达", "4312345678901", "YD", "yundaex.com"),
    ("京东", "JDVA12345678901", "JD", "jdl.com"),
    ("EMS", "1012345678901", "EMS", "ems.com.cn"),
    ("ems", "EA123456789CN", "EMS", "ems.com.cn"),
    ("邮政", "9812345678901", "YZPY", "ems.com.cn"),
    ("中国邮政", "9812345678901", "YZPY", "ems.com.cn"),
])
def test_a_known_name_maps_to_its_code_and_the_tracking_page(two_farms, parcel, carrier, number,
                                                              code, host):
    response = ship(two_farms, parcel, carrier=carrier, tracking_number=number)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["carrier"] == carrier
    assert body["carrier_code"] == code
    assert body["tracking_number"] == number
    assert host in body["tracking_url"] and number in body["tracking_url"]


def test_a_code_alone_names_the_carrier_and_the_buyer_sees_both(buyer_api, two_farms, parcel):
    response = ship(two_farms, parcel, carrier_code="ZTO", tracking_number="731009988776")

    assert response.status_code == 200, response.content
    assert response.json()["carrier"] == "中通快递"
    order = buyer_api.get(f"/orders/{parcel.order_id}").json()
    shipped = order["shipments"][0]
    assert shipped["carrier_code"] == "ZTO"
    assert shipped["tracking_url"] == (
        "https://www.zto.com/express/expressCheck.html?txtBill=731009988776")


def test_an_unknown_courier_is_other_with_no_tracking_page(two_farms, parcel):
    response = ship(two_farms, parcel, carrier="村里的拖拉机", tracking_number="LAJI-2026-01")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["carrier"], body["carrier_code"], body["tracking_url"]) == (
        "村里的拖拉机", "other", None)


def test_spaces_go_and_letters_are_upper_cased(two_farms, parcel):
    response = ship(two_farms, parcel, carrier="顺丰", tracking_number=" sf 1234 5678 90123 ")

    assert response.status_code == 200, response.content
    assert response.json()["tracking_number"] == "SF1234567890123"


def test_a_pending_parcel_has_no_code_and_no_tracking_page(buyer_api, parcel):
    shipped = buyer_api.get(f"/orders/{parcel.order_id}").json()["shipments"][0]

    assert (shipped["carrier_code"], shipped["tracking_url"]) == (None, None)


@pytest.mark.parametrize(("body", "field"), [
    # another courier's number
    ({"carrier": "顺丰", "tracking_number": "73100998877665"}, "tracking_number"),
    ({"carrier_code": "SF", "tracking_number": "SF123"}, "tracking_number"),
    ({"carrier_code": "JD", "tracking_number": "1234567890123"}, "tracking_number"),
    # characters no waybill has, too short, too long
    ({"carrier": "某快递", "tracking_number": "<script>1</script>"}, "tracking_number"),
    ({"carrier": "某快递", "tracking_number": "12345"}, "tracking_number"),
    ({"carrier": "某快递", "tracking_number": "1" * 33}, "tracking_number"),
    ({"carrier": "某快递", "tracking_number": "号码一二三四五六"}, "tracking_number"),
    # a name that is another courier's than the code given
    ({"carrier": "顺丰", "carrier_code": "ZTO", "tracking_number": "731009988776"}, "carrier"),
    # no carrier at all, or only "other" with no name
    ({"tracking_number": "SF1234567890123"}, "carrier"),
    ({"carrier": "  ", "tracking_number": "SF1234567890123"}, "carrier"),
    ({"carrier_code": "other", "tracking_number": "SF1234567890123"}, "carrier"),
    # a code that is none of the list
    ({"carrier_code": "DHL", "tracking_number": "SF1234567890123"}, "carrier_code"),
])
def test_bad_carrier_or_tracking_number_is_422_naming_the_field(two_farms, parcel, body, field):
    response = ship(two_farms, parcel, **body)

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in [d["field"] for d in error["details"]]
    parcel.refresh_from_db()
    assert parcel.status == "pending"
