"""A farm's parcel of apples (perishable) and of tea (not), paid by the buyer; fixtures move it
along and open claims through the API."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from orders.models import Order, Shipment
from producers.models import Listing
from tests.factories import client_for, make_address, make_listing, make_producer, make_user


@pytest.fixture(autouse=True)
def claims_settings(settings, tmp_path):
    settings.PAYMENT_PROVIDERS = ["sandbox"]
    settings.SHIPPING_FEE_FLAT = Decimal("10.00")
    settings.SHIPPING_FREE_THRESHOLD = Decimal("999.00")
    settings.CLAIM_WINDOW_HOURS = 48
    settings.RETURN_WINDOW_DAYS = 7
    settings.CLAIM_RESPONSE_HOURS = 48
    settings.CLAIM_NOT_RECEIVED_DAYS = 7
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return settings


@pytest.fixture
def farm(db, regions):
    producer = make_producer(name="李家果园")
    apples = make_listing(producer=producer, price="12.50", stock=50, title="红富士苹果",
                          unit=Listing.Unit.KG)
    tea = make_listing(producer=producer, price="100.00", stock=20, title="明前龙井",
                       category="green-tea", unit=Listing.Unit.BOX)
    return {"producer": producer, "apples": apples, "tea": tea,
            "api": client_for(producer.user)}


def place_and_pay(client, farm, apples: int = 4, tea: int = 1) -> dict:
    lines = [{"listing_id": farm["apples"].pk, "quantity": apples}]
    if tea:
        lines.append({"listing_id": farm["tea"].pk, "quantity": tea})
    order = client.post("/orders", {"lines": lines, "shipping_address": make_address()})
    assert order.status_code == 201, order.json()
    paid = client.post(f"/orders/{order.json()['id']}/pay", {"method": "sandbox"})
    assert paid.status_code == 200, paid.json()
    return paid.json()


def ship(farm, shipment_id: int) -> None:
    response = farm["api"].post(f"/shipments/{shipment_id}/ship",
                                {"carrier": "顺丰速运", "tracking_number": "SF1002003004005"})
    assert response.status_code == 200, response.json()


@pytest.fixture
def parcel(buyer_api, farm):
    """The buyer's order (4 kg apples at 12.50, 1 box of tea at 100.00, shipping 10.00),
    shipped and delivered: {order, shipment, apples_line, tea_line}."""
    order = place_and_pay(buyer_api, farm)
    shipment_id = order["shipments"][0]["id"]
    ship(farm, shipment_id)
    assert buyer_api.post(f"/shipments/{shipment_id}/confirm").status_code == 200
    lines = {line["listing_id"]: line["id"] for line in order["lines"]}
    return {"order": Order.objects.get(pk=order["id"]),
            "shipment": Shipment.objects.get(pk=shipment_id),
            "apples_line": lines[farm["apples"].pk], "tea_line": lines[farm["tea"].pk]}


@pytest.fixture
def open_claim(buyer_api, parcel):
    def open_(lines=None, kind="damaged", client=None, note="箱子压坏了"):
        body = {"shipment_id": parcel["shipment"].pk, "kind": kind, "note": note,
                "lines": lines or [{"line_id": parcel["apples_line"], "quantity": 2,
                                    "damage_pct": 50}]}
        return (client or buyer_api).post(f"/orders/{parcel['order'].pk}/claims", body)

    return open_


@pytest.fixture
def other_buyer_api(db):
    return client_for(make_user(username="other_buyer"))


def photo(color=(200, 40, 40), *, exif_time: str | None = None, size=(64, 48),
          pattern: bool = True) -> SimpleUploadedFile:
    image = Image.new("RGB", size, color)
    if pattern:  # something for the perceptual hash to see
        for x in range(0, size[0], 8):
            for y in range(size[1]):
                image.putpixel((x, y), (0, 0, 0) if (x // 8 + color[1]) % 2 else (255, 255, 255))
    buffer = io.BytesIO()
    exif = Image.Exif()
    if exif_time:
        exif.get_ifd(0x8769)[0x9003] = exif_time
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0)}  # GPS
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return SimpleUploadedFile("damage.jpg", buffer.getvalue(), content_type="image/jpeg")


def upload(client, path: str, file) -> object:
    return client.upload(path, {"file": file})
