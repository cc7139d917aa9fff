"""Evidence: photos cleaned of EXIF and GPS with a perceptual hash kept, a photo older than the
shipping flagged, videos with their metadata blanked, and the limits."""

import io
import struct
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from claims.models import Claim, Evidence
from orders.models import Shipment
from tests.claims.conftest import photo, upload

pytestmark = pytest.mark.django_db


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def video(gps: bytes = b"+30.2741+120.1551/") -> SimpleUploadedFile:
    udta = _box(b"udta", _box(b"\xa9xyz", gps))
    moov = _box(b"moov", _box(b"mvhd", bytes(100)) + udta)
    data = _box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2mp41") + moov + _box(b"mdat", b"\x01" * 64)
    return SimpleUploadedFile("unboxing.mp4", data, content_type="video/mp4")


def test_a_photo_is_stored_without_exif_or_gps_and_hashed(open_claim, buyer_api):
    claim_id = open_claim().json()["id"]

    response = upload(buyer_api, f"/claims/{claim_id}/evidence",
                      photo(exif_time="2026:01:01 10:00:00"))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "photo" and body["party"] == "buyer"
    item = Evidence.objects.get(pk=body["id"])
    assert len(item.phash) == 16 and item.phash != "0" * 16
    with item.file.open("rb") as stored, Image.open(stored) as image:
        assert not image.getexif() and "exif" not in image.info
    # the claim's timeline records it
    events = buyer_api.get(f"/claims/{claim_id}").json()["events"]
    assert events[-1]["action"] == "evidence_added"


def test_a_photo_taken_before_the_parcel_shipped_is_flagged(open_claim, buyer_api, parcel):
    claim_id = open_claim().json()["id"]
    shipped = timezone.now() - timedelta(days=1)
    Shipment.objects.filter(pk=parcel["shipment"].pk).update(shipped_at=shipped)
    before = (shipped - timedelta(days=3)).astimezone(ZoneInfo("Asia/Shanghai"))

    old = upload(buyer_api, f"/claims/{claim_id}/evidence",
                 photo(exif_time=f"{before:%Y:%m:%d %H:%M:%S}"))
    fresh = upload(buyer_api, f"/claims/{claim_id}/evidence", photo(color=(10, 20, 30)))

    assert old.json()["taken_before_shipped"] is True
    assert fresh.json()["taken_before_shipped"] is False


def test_a_video_keeps_its_size_and_loses_its_location(open_claim, buyer_api):
    claim_id = open_claim().json()["id"]
    sent = video()

    response = upload(buyer_api, f"/claims/{claim_id}/evidence", sent)

    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "video"
    item = Evidence.objects.get(pk=response.json()["id"])
    with item.file.open("rb") as stored:
        data = stored.read()
    assert len(data) == sent.size  # no offset moved
    assert b"+30.2741" not in data and b"udta" not in data and b"free" in data
    assert item.file.name.endswith(".mp4") and item.phash == ""


@pytest.mark.parametrize("content, status, code", [
    (b"not an image at all", 415, "unsupported_image"),
    (b"\x00\x00\x00\x10ftypisom\x00\x00\x00\x00", 415, "unreadable_video"),
])
def test_files_that_are_neither_photo_nor_video_are_refused(open_claim, buyer_api, content,
                                                            status, code):
    claim_id = open_claim().json()["id"]

    response = upload(buyer_api, f"/claims/{claim_id}/evidence",
                      SimpleUploadedFile("x.jpg", content, content_type="image/jpeg"))

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert not Evidence.objects.exists()


def test_a_video_over_the_limit_is_413(open_claim, buyer_api, settings):
    settings.CLAIM_VIDEO_MAX_BYTES = 100
    claim_id = open_claim().json()["id"]

    response = upload(buyer_api, f"/claims/{claim_id}/evidence", video())

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "video_too_large"


def test_a_photo_over_the_pixel_limit_is_413(open_claim, buyer_api, settings):
    settings.LISTING_IMAGE_MAX_PIXELS = 1000
    claim_id = open_claim().json()["id"]

    response = upload(buyer_api, f"/claims/{claim_id}/evidence", photo())

    assert response.status_code == 413


def test_at_most_nine_pieces_each_and_none_on_a_finished_claim(open_claim, buyer_api,
                                                                settings):
    settings.CLAIM_EVIDENCE_MAX = 2
    claim_id = open_claim().json()["id"]
    for shade in (10, 20):
        assert upload(buyer_api, f"/claims/{claim_id}/evidence",
                      photo(color=(shade, shade, shade))).status_code == 201

    third = upload(buyer_api, f"/claims/{claim_id}/evidence", photo())
    buyer_api.post(f"/claims/{claim_id}/withdraw")
    finished = upload(buyer_api, f"/claims/{claim_id}/evidence", photo())

    assert third.status_code == 409 and third.json()["error"]["code"] == "too_many_evidence"
    assert finished.status_code == 409 and finished.json()["error"]["code"] == "invalid_state"


def test_only_the_parties_add_evidence_and_only_the_farm_packs(open_claim, buyer_api, farm,
                                                               other_buyer_api, parcel):
    claim_id = open_claim().json()["id"]

    assert upload(other_buyer_api, f"/claims/{claim_id}/evidence", photo()).status_code == 404
    farm_photo = upload(farm["api"], f"/claims/{claim_id}/evidence", photo())
    assert farm_photo.status_code == 201 and farm_photo.json()["party"] == "farm"
    shipment = f"/shipments/{parcel['shipment'].pk}/evidence"
    assert upload(buyer_api, shipment, photo()).status_code == 403
    assert upload(other_buyer_api, shipment, photo()).status_code == 404
    assert upload(farm["api"], "/shipments/999999/evidence", photo()).status_code == 404


def test_the_same_photo_in_two_buyers_claims_sends_both_to_staff(
        open_claim, buyer_api, other_buyer_api, farm):
    from tests.claims.conftest import place_and_pay, ship

    mine = open_claim().json()["id"]
    order = place_and_pay(other_buyer_api, farm, apples=1, tea=0)
    shipment_id = order["shipments"][0]["id"]
    ship(farm, shipment_id)
    other_buyer_api.post(f"/shipments/{shipment_id}/confirm")
    theirs = other_buyer_api.post(f"/orders/{order['id']}/claims", {
        "shipment_id": shipment_id, "kind": "damaged",
        "lines": [{"line_id": order["lines"][0]["id"], "quantity": 1, "damage_pct": 100}],
    }).json()["id"]

    upload(buyer_api, f"/claims/{mine}/evidence", photo())
    assert Claim.objects.get(pk=mine).staff_reasons == []
    upload(other_buyer_api, f"/claims/{theirs}/evidence", photo())

    assert Claim.objects.get(pk=mine).staff_reasons == ["photo_reused"]
    assert Claim.objects.get(pk=theirs).staff_reasons == ["photo_reused"]


def test_the_farms_evidence_never_flags_a_buyer(open_claim, buyer_api, farm, parcel):
    claim_id = open_claim().json()["id"]
    upload(farm["api"], f"/shipments/{parcel['shipment'].pk}/evidence", photo())

    upload(buyer_api, f"/claims/{claim_id}/evidence", photo())

    assert Claim.objects.get(pk=claim_id).staff_reasons == []


def test_a_png_is_accepted_too(open_claim, buyer_api):
    claim_id = open_claim().json()["id"]
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (1, 2, 3)).save(buffer, format="PNG")

    response = upload(buyer_api, f"/claims/{claim_id}/evidence",
                      SimpleUploadedFile("a.png", buffer.getvalue(), content_type="image/png"))

    assert response.status_code == 201
