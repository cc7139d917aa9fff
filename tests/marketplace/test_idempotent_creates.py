"""`Idempotency-Key` on the creates a phone retries on a bad network: a listing, a photo, a
harvest lot, a video and a link are made once per key (two listings were made with one key)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from producers.models import Batch, Listing, ListingImage
from promotion.models import Link, Video
from tests.factories import client_for, make_listing, make_producer, make_video

LISTING = {"title": "太康县红富士苹果 5斤装", "description": "脆甜多汁", "category": "apples",
           "unit": "box", "price": "39.90", "stock": 50}


def _photo() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(buffer, "JPEG")
    return {"file": SimpleUploadedFile("apple.jpg", buffer.getvalue(), content_type="image/jpeg")}


@pytest.fixture
def farm(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    producer = make_producer()
    listing = make_listing(producer=producer, commission_rate="0.10")
    video = make_video(owner=producer.user)
    return {"api": client_for(producer.user), "listing": listing, "video": video}


CREATES = {
    "listing": (lambda f: "/listings", lambda f: LISTING, Listing),
    "lot": (lambda f: f"/listings/{f['listing'].pk}/batches",
            lambda f: {"harvested_on": "2026-10-01", "quantity": 100}, Batch),
    "video": (lambda f: "/videos",
              lambda f: {"url": "https://www.douyin.com/video/7301234567890123999"}, Video),
    "link": (lambda f: f"/videos/{f['video'].pk}/links",
             lambda f: {"listing_id": f["listing"].pk}, Link),
}


@pytest.mark.parametrize("what", list(CREATES))
def test_a_retried_create_with_the_same_key_makes_one_and_replays_the_answer(farm, what):
    path, body, model = CREATES[what]
    before = model.objects.count()
    # when the phone sends the same create twice with one key
    first = farm["api"].post(path(farm), body(farm), HTTP_IDEMPOTENCY_KEY=f"create-{what}-1")
    again = farm["api"].post(path(farm), body(farm), HTTP_IDEMPOTENCY_KEY=f"create-{what}-1")
    # then one row is made, and the second answer is the first one, marked as a replay
    assert first.status_code == 201, first.content
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert not first.has_header("Idempotent-Replayed")
    assert model.objects.count() == before + 1


@pytest.mark.parametrize("what", ["listing", "lot"])
def test_the_same_key_with_another_body_is_409(farm, what):
    path, body, _ = CREATES[what]
    farm["api"].post(path(farm), body(farm), HTTP_IDEMPOTENCY_KEY="k-1")
    other = {**body(farm), "quantity": 7} if what == "lot" else {**body(farm), "stock": 7}
    response = farm["api"].post(path(farm), other, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_a_retried_photo_upload_with_the_same_key_stores_one_photo(farm):
    path = f"/listings/{farm['listing'].pk}/images"
    first = farm["api"].upload(path, _photo(), HTTP_IDEMPOTENCY_KEY="photo-1")
    again = farm["api"].upload(path, _photo(), HTTP_IDEMPOTENCY_KEY="photo-1")
    assert first.status_code == 201, first.content
    assert (again.status_code, again.json()["id"]) == (201, first.json()["id"])
    assert again["Idempotent-Replayed"] == "true"
    assert ListingImage.objects.filter(listing=farm["listing"]).count() == 1


def test_another_photo_with_the_same_key_is_409(farm):
    path = f"/listings/{farm['listing'].pk}/images"
    farm["api"].upload(path, _photo(), HTTP_IDEMPOTENCY_KEY="photo-2")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "blue").save(buffer, "JPEG")
    other = {"file": SimpleUploadedFile("pear.jpg", buffer.getvalue(), content_type="image/jpeg")}
    response = farm["api"].upload(path, other, HTTP_IDEMPOTENCY_KEY="photo-2")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_the_document_declares_the_key_on_these_creates(api, db):
    paths = api.get("/openapi.json").json()["paths"]
    for path in ["/api/v1/listings", "/api/v1/listings/{listing_id}/images",
                 "/api/v1/listings/{listing_id}/batches", "/api/v1/videos",
                 "/api/v1/videos/{video_id}/links"]:
        names = [p["name"] for p in paths[path]["post"]["parameters"]]
        assert "Idempotency-Key" in names, path
