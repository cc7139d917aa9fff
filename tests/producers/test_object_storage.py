"""Photos and thumbnails in S3-compatible object storage (MEDIA_STORAGE=s3): the same upload
through the API, against a local S3 server (moto's standalone server, started here), with the
client settings S3-compatible stores need. Nothing touches a path on disk."""

import socket
import urllib.request

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.storage import STATICFILES, s3_options
from producers import services
from producers.models import ListingImage
from tests.producers.conftest import jpeg_bytes

pytestmark = pytest.mark.django_db
BUCKET = "shanhuo-media-test"


@pytest.fixture(scope="module")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint, settings, monkeypatch):
    """STORAGES as MEDIA_STORAGE=s3 makes them, pointed at the local server, with a bucket."""
    import boto3

    env = {"S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": s3_endpoint, "S3_REGION": "us-east-1",
           "S3_ACCESS_KEY_ID": "test-key", "S3_SECRET_ACCESS_KEY": "test-secret"}
    options = s3_options(env)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1",
                          aws_access_key_id="test-key", aws_secret_access_key="test-secret",
                          config=options["client_config"])
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "staticfiles": STATICFILES,
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def keys(client) -> set[str]:
    return {item["Key"] for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", [])}


def test_a_photo_and_its_thumbnails_go_to_the_bucket_and_their_urls_open(
        s3, s3_endpoint, owner_api, listing, django_capture_on_commit_callbacks):
    content = jpeg_bytes(1200, 800)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.upload(f"/listings/{listing.pk}/images",
                                    {"file": SimpleUploadedFile("photo.jpg", content,
                                                                content_type="image/jpeg")})
    assert response.status_code == 201, response.content
    image = ListingImage.objects.get(pk=response.json()["id"])
    assert image.status == "ready"  # the thumbnail task ran (eagerly) against the bucket
    stored = keys(s3)
    assert {image.original.name, image.small.name, image.medium.name} <= stored
    assert len(stored) == 3
    # what a phone is given: signed URLs of the store, which open
    body = owner_api.get(f"/listings/{listing.pk}").json()
    [shown] = body["images"]
    assert shown["original_url"].startswith(f"{s3_endpoint}/{BUCKET}/")
    with urllib.request.urlopen(shown["thumbnails"]["small"], timeout=10) as answer:
        assert answer.status == 200 and answer.read()[:4] == b"RIFF"  # WebP
    with urllib.request.urlopen(shown["original_url"], timeout=10) as answer:
        assert answer.read()[:2] == b"\xff\xd8"  # JPEG, EXIF gone but still a JPEG


def test_thumbnails_made_again_leave_no_stale_object(s3, owner_api, listing,
                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_api.upload(f"/listings/{listing.pk}/images",
                                    {"file": SimpleUploadedFile("photo.jpg", jpeg_bytes(),
                                                                content_type="image/jpeg")})
    image = ListingImage.objects.get(pk=response.json()["id"])
    s3.put_object(Bucket=BUCKET, Key=image.small.name, Body=b"stale")
    with django_capture_on_commit_callbacks(execute=True):
        services.listing_image_reprocess(image=image)
    image.refresh_from_db()
    assert image.status == "ready"
    # the old thumbnails were deleted from the bucket and made again: three objects, fresh
    assert {image.original.name, image.small.name, image.medium.name} == keys(s3)
    small = s3.get_object(Bucket=BUCKET, Key=image.small.name)["Body"].read()
    assert small[:4] == b"RIFF"


def test_s3_needs_a_bucket(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="S3_BUCKET"):
        s3_options({})


def test_the_checksum_settings_s3_compatible_stores_need():
    config = s3_options({"S3_BUCKET": "b"})["client_config"]
    assert config.request_checksum_calculation == "when_required"
    assert config.response_checksum_validation == "when_required"
