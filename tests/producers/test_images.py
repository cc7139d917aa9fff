"""POST /listings/{id}/images: content checks (415), size and pixel limits (413), EXIF gone,
thumbnails made after commit by an idempotent task."""

import io
import os
from datetime import timedelta
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from outbox.models import Intent
from outbox.services import relay
from producers import images, services
from producers.models import ListingImage
from producers.tasks import make_listing_image_thumbnails
from tests.concurrency import run_concurrently
from tests.factories import make_listing
from tests.producers.conftest import jpeg_bytes, png_bytes, png_header_only

pytestmark = pytest.mark.django_db


def upload(client, listing, content: bytes, name="photo.jpg", content_type="image/jpeg"):
    return client.upload(f"/listings/{listing.pk}/images",
                         {"file": SimpleUploadedFile(name, content, content_type=content_type)})


def upload_processed(client, listing, content: bytes, name="photo.jpg",
                     content_type="image/jpeg"):
    """The upload, committed: the (eager) worker has cleaned it and cut its thumbnails."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return upload(client, listing, content, name, content_type)


def stored(field) -> Image.Image:
    with field.open("rb") as f:
        image = Image.open(io.BytesIO(f.read()))
        image.load()
    return image


# --- who may upload ------------------------------------------------------------------------------

def test_upload_anonymous_is_401(api, listing):
    assert upload(api, listing, jpeg_bytes()).status_code == 401


def test_upload_by_a_buyer_is_404(buyer_api, listing):
    assert upload(buyer_api, listing, jpeg_bytes()).status_code == 404
    assert not ListingImage.objects.exists()


def test_upload_by_another_producer_is_404(other_api, listing):
    assert upload(other_api, listing, jpeg_bytes()).status_code == 404
    assert not ListingImage.objects.exists()


# --- the pipeline --------------------------------------------------------------------------------

def test_a_real_jpeg_gets_small_and_medium_webp_thumbnails_after_commit(
    owner_api, listing, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(owner_api, listing, jpeg_bytes(1200, 800))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "processing"
    assert body["thumbnails"] == {"small": None, "medium": None}
    assert body["original_url"] is None  # the upload as it came: never shown
    assert (body["width"], body["height"]) == (1200, 800)
    assert len(callbacks) == 1  # the task is enqueued only once the upload is committed

    callbacks[0]()  # commit: the (eager) task runs
    image = ListingImage.objects.get(pk=body["id"])
    assert image.status == "ready"
    small, medium = stored(image.small), stored(image.medium)
    assert (small.format, small.size) == ("WEBP", (240, 160))
    assert (medium.format, medium.size) == ("WEBP", (720, 480))

    shown = owner_api.get(f"/listings/{listing.pk}").json()["images"][0]
    assert shown["status"] == "ready"
    assert shown["original_url"].startswith("http://") and shown["original_url"].endswith(".jpg")
    assert shown["thumbnails"]["small"].endswith("-small.webp")
    assert shown["thumbnails"]["medium"].endswith("-medium.webp")


def test_a_small_png_is_never_enlarged(owner_api, listing, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(owner_api, listing, png_bytes(64, 48), "a.png", "image/png")
    assert response.status_code == 201, response.content
    image = ListingImage.objects.get()
    assert image.original.name.endswith(".png")
    assert stored(image.small).size == (64, 48)
    assert stored(image.medium).size == (64, 48)


def test_webp_is_accepted(owner_api, listing):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "green").save(buffer, "WEBP")
    response = upload(owner_api, listing, buffer.getvalue(), "a.webp", "image/webp")
    assert response.status_code == 201, response.content


def test_a_phones_mpo_jpeg_is_kept_as_a_plain_jpeg_without_gps(owner_api, listing):
    # MPO: a JPEG with further frames (depth map, second lens), as many phones save photos
    buffer = io.BytesIO()
    Image.new("RGB", (300, 200), "red").save(
        buffer, "MPO", save_all=True, append_images=[Image.new("RGB", (300, 200), "blue")],
        exif=Image.open(io.BytesIO(jpeg_bytes(gps=True))).getexif(),
    )
    assert Image.open(io.BytesIO(buffer.getvalue())).format == "MPO"
    response = upload_processed(owner_api, listing, buffer.getvalue())
    assert response.status_code == 201, response.content
    shown = owner_api.get(f"/listings/{listing.pk}").json()["images"][0]
    assert shown["original_url"].endswith(".jpg")
    image = stored(ListingImage.objects.get().original)
    assert image.format == "JPEG" and getattr(image, "n_frames", 1) == 1
    assert image.getpixel((10, 10))[0] > 200  # the first frame: the red one
    assert not image.getexif().get_ifd(0x8825)


@pytest.mark.parametrize("kind", ["PNG", "WEBP"])
def test_gps_exif_is_gone_from_png_and_webp_too(owner_api, listing, kind):
    buffer = io.BytesIO()
    gps = Image.open(io.BytesIO(jpeg_bytes(gps=True))).getexif()
    Image.new("RGB", (120, 80), "green").save(buffer, kind, exif=gps)
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif().get_ifd(0x8825)
    assert upload_processed(owner_api, listing, buffer.getvalue(), "a.img").status_code == 201
    image = stored(ListingImage.objects.get().original)
    assert image.format == kind and not image.getexif().get_ifd(0x8825)


def test_gps_exif_is_gone_from_the_stored_original(owner_api, listing):
    original = jpeg_bytes(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload has GPS
    upload_processed(owner_api, listing, original)
    image = stored(ListingImage.objects.get().original)
    exif = image.getexif()
    assert not exif.get_ifd(0x8825)
    assert 0x010F not in exif and len(exif) == 0
    assert "exif" not in image.info


def test_xmp_and_comments_are_gone_too(owner_api, listing):
    buffer = io.BytesIO()
    xmp = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
           b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
           b'exif:GPSLatitude="34,3.5N"/></rdf:RDF></x:xmpmeta>')
    Image.new("RGB", (200, 100), "red").save(buffer, "JPEG", xmp=xmp, comment=b"farm at 34N")
    assert b"GPSLatitude" in buffer.getvalue()
    upload_processed(owner_api, listing, buffer.getvalue())
    with ListingImage.objects.get().original.open("rb") as f:
        content = f.read()
    assert b"GPSLatitude" not in content and b"farm at 34N" not in content


def test_orientation_is_applied_before_exif_is_dropped(owner_api, listing):
    # 6 = "rotate 90° clockwise to display": a 120x60 sensor image is a 60x120 photo
    response = upload_processed(owner_api, listing, jpeg_bytes(120, 60, orientation=6))
    assert (response.json()["width"], response.json()["height"]) == (60, 120)
    assert stored(ListingImage.objects.get().original).size == (60, 120)


# --- what the request costs (hardening round three, item 14) ------------------------------------

@pytest.fixture
def encodes(monkeypatch):
    """Every image Pillow encodes from here on: (format, size)."""
    saved = []
    save = Image.Image.save

    def counting_save(image, fp, format=None, **params):
        saved.append((format, image.size))
        return save(image, fp, format, **params)

    monkeypatch.setattr(Image.Image, "save", counting_save)
    return saved


@pytest.mark.parametrize("kind", ["PNG", "JPEG"])
def test_the_request_encodes_nothing_and_shows_no_upload(owner_api, listing, kind, encodes,
                                                        django_capture_on_commit_callbacks):
    # an upload with GPS in it: re-encoding it costs with its pixels (40-96 s of CPU for a
    # 23-megapixel PNG), so it is the worker's, never the request's
    buffer = io.BytesIO()
    Image.effect_noise((900, 600), 60).convert("RGB").save(
        buffer, kind, exif=Image.open(io.BytesIO(jpeg_bytes(gps=True))).getexif())
    content = buffer.getvalue()
    encodes.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(owner_api, listing, content, "p.img")

    assert response.status_code == 201, response.content
    assert encodes == []  # nothing encoded while the uploader waited
    assert response.json()["original_url"] is None  # the upload, GPS and all, is not shown
    assert owner_api.get(f"/listings/{listing.pk}").json()["images"][0]["original_url"] is None
    image = ListingImage.objects.get()
    with image.original.open("rb") as f:
        assert f.read() == content  # kept as it came, until the worker has cleaned it
    upload_name = image.original.name

    callbacks[0]()  # the worker
    image.refresh_from_db()
    assert image.status == "ready"
    assert [size for _, size in encodes if size == (900, 600)]  # re-encoded there
    assert not stored(image.original).getexif().get_ifd(0x8825)
    assert not image.original.storage.exists(upload_name)
    shown = owner_api.get(f"/listings/{listing.pk}").json()["images"][0]["original_url"]
    assert shown.endswith(image.original.name) and "-upload" not in shown


def test_a_jpeg_is_decoded_at_an_eighth_of_its_size_in_the_request(monkeypatch):
    # the one decode the request does is bounded: libjpeg scales a JPEG down as it decodes
    decoded = []
    load = Image.Image.load

    def counting_load(image):
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(Image.Image, "load", counting_load)
    images.check_decodes(io.BytesIO(jpeg_bytes(1600, 1200)))
    assert decoded[-1] == (200, 150), decoded  # the pixels made: 1/64 of the photo's


def test_a_photo_past_its_time_limit_is_failed_not_retried(owner_api, listing, monkeypatch,
                                                          django_capture_on_commit_callbacks):
    from celery.exceptions import SoftTimeLimitExceeded

    from producers.tasks import PHOTO_SOFT_TIME_LIMIT

    assert make_listing_image_thumbnails.soft_time_limit == PHOTO_SOFT_TIME_LIMIT
    assert make_listing_image_thumbnails.time_limit > PHOTO_SOFT_TIME_LIMIT
    attempts = []

    def past_the_limit(image, *args, **kwargs):
        # the worker's soft limit fires while Pillow is still encoding
        attempts.append(1)
        raise SoftTimeLimitExceeded()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image_id = upload(owner_api, listing, jpeg_bytes()).json()["id"]
    monkeypatch.setattr(Image.Image, "save", past_the_limit)
    callbacks[0]()

    assert ListingImage.objects.get(pk=image_id).status == "failed"
    assert len(attempts) == 1  # not tried again: it would take as long again
    intent = Intent.objects.get(task="producers.tasks.make_listing_image_thumbnails")
    assert intent.status == "failed" and "SoftTimeLimitExceeded" in intent.error
    # nor taken back by the sweeper (storage trouble is: item 11)
    from outbox.services import stuck_work_sweep

    assert stuck_work_sweep(now=timezone.now() + timedelta(minutes=6)) == 0


# --- refused uploads -----------------------------------------------------------------------------

def test_a_text_file_named_jpg_is_415(owner_api, listing):
    response = upload(owner_api, listing, b"just some words, not a photo\n" * 20)
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_image"
    assert not ListingImage.objects.exists()


def test_a_gif_is_415_whatever_its_name(owner_api, listing):
    buffer = io.BytesIO()
    Image.new("P", (10, 10)).save(buffer, "GIF")
    response = upload(owner_api, listing, buffer.getvalue(), "photo.png", "image/png")
    assert response.status_code == 415


def test_a_truncated_jpeg_is_415(owner_api, listing):
    response = upload(owner_api, listing, jpeg_bytes(800, 600)[:600])
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unreadable_image"  # a JPEG, but damaged


def test_a_20000_by_20000_png_is_413_without_decoding_it(owner_api, listing):
    bomb = png_header_only(20000, 20000)
    assert len(bomb) < 200  # the test itself allocates nothing of the sort
    response = upload(owner_api, listing, bomb, "bomb.png", "image/png")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "image_too_large"
    assert not ListingImage.objects.exists()


def test_just_over_the_pixel_limit_is_413(owner_api, listing, settings):
    # 7000 x 7000 = 49 megapixels: over the 24 MP limit (and past Pillow's own error threshold)
    response = upload(owner_api, listing, png_header_only(7000, 7000), "big.png", "image/png")
    assert response.status_code == 413
    assert response.json()["error"]["details"]["max_pixels"] == 24_000_000


def test_over_the_byte_limit_is_413(owner_api, listing, settings):
    settings.LISTING_IMAGE_MAX_BYTES = 2000
    response = upload(owner_api, listing, jpeg_bytes(400, 400))
    assert response.status_code == 413
    assert response.json()["error"]["details"]["max_bytes"] == 2000


def test_an_upload_bigger_than_djangos_memory_limits_is_413_in_the_envelope(owner_api, listing):
    # 11 MB: past LISTING_IMAGE_MAX_BYTES (10 MB) and Django's in-memory upload size
    response = upload(owner_api, listing, b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "image_too_large"


def test_a_body_announced_too_big_is_413_before_it_is_read(owner_api, listing):
    # The body is 1 kB but claims 2 GB: reading it would fail the test client ("Cannot read
    # more than the available bytes"), so a 413 proves the server never read it.
    response = owner_api.upload(f"/listings/{listing.pk}/images",
                                {"file": SimpleUploadedFile("a.jpg", b"x" * 1000)},
                                CONTENT_LENGTH=str(2 * 1024**3))
    assert response.status_code == 413
    assert response.json()["error"]["details"]["size"] == 2 * 1024**3
    assert not ListingImage.objects.exists()


def test_a_request_without_the_file_field_is_422(owner_api, listing):
    response = owner_api.upload(f"/listings/{listing.pk}/images", {"photo": "nothing"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "file"


def test_a_json_body_instead_of_multipart_is_415(owner_api, listing):
    # a media type the operation does not declare (API.md: 415), not a 500 nor a missing field
    response = owner_api.post(f"/listings/{listing.pk}/images", {"file": "abc"})
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


def test_an_archived_listing_takes_no_photos(owner_api, listing):
    owner_api.delete(f"/listings/{listing.pk}")
    assert upload(owner_api, listing, jpeg_bytes()).status_code == 409


def test_the_thirteenth_photo_of_a_listing_is_409(owner_api, listing):
    for n in range(services.MAX_IMAGES_PER_LISTING):
        assert upload(owner_api, listing, png_bytes(), f"{n}.png").status_code == 201
    response = upload(owner_api, listing, png_bytes(), "13.png")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_many_images"
    positions = list(ListingImage.objects.order_by("position").values_list("position", flat=True))
    assert positions == list(range(services.MAX_IMAGES_PER_LISTING))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_uploads_never_pass_the_photo_limit(listing):
    def add(n):
        file = SimpleUploadedFile(f"{n}.png", png_bytes())
        return services.listing_image_add(listing=listing, file=file, size=file.size)

    outcomes = ["added" if isinstance(result, ListingImage) else getattr(result, "code", result)
                for result in run_concurrently(*[partial(add, n) for n in range(16)])]
    assert sorted(outcomes) == ["added"] * 12 + ["too_many_images"] * 4
    assert ListingImage.objects.filter(listing=listing).count() == 12


# --- the task -------------------------------------------------------------------------------------

def test_the_thumbnail_task_is_safe_to_run_twice(owner_api, listing,
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        image_id = upload(owner_api, listing, jpeg_bytes()).json()["id"]
    image = ListingImage.objects.get(pk=image_id)
    first = (image.small.name, image.medium.name)
    assert make_listing_image_thumbnails(image_id) == "ready"
    image.refresh_from_db()
    assert (image.small.name, image.medium.name) == first
    assert make_listing_image_thumbnails(424242) == "missing"


def test_two_runs_racing_keep_one_set_of_thumbnails_and_no_stray_files(
    owner_api, listing, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=False):
        image_id = upload(owner_api, listing, jpeg_bytes()).json()["id"]
    make_thumbnails = images.make_thumbnails

    def slow_run(file):
        # a second run starts and finishes while this one is still cutting its thumbnails
        monkeypatch.setattr(images, "make_thumbnails", make_thumbnails)
        assert services.listing_image_process(image_id=image_id).status == "ready"
        return make_thumbnails(file)

    monkeypatch.setattr(images, "make_thumbnails", slow_run)
    image = services.listing_image_process(image_id=image_id)
    assert image.status == "ready"
    folder, _ = os.path.split(image.small.name)
    stem = os.path.basename(image.original.name).rsplit(".", 1)[0]
    kept = sorted(name for name in image.small.storage.listdir(folder)[1] if stem in name)
    assert kept == sorted(os.path.basename(f.name) for f in (image.small, image.medium))


def test_a_photo_that_cannot_be_read_later_ends_failed(owner_api, listing,
                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image_id = upload(owner_api, listing, jpeg_bytes()).json()["id"]
    image = ListingImage.objects.get(pk=image_id)
    with image.original.open("wb") as f:  # the stored file is damaged before the task runs
        f.write(b"garbage")
    callbacks[0]()
    image.refresh_from_db()
    assert image.status == "failed" and not image.small and not image.medium
    assert make_listing_image_thumbnails(image_id) == "failed"


@pytest.mark.redis
def test_a_real_worker_makes_the_thumbnails_after_commit(real_worker, owner_api, listing):
    # the upload commits and enqueues the task through Redis
    image_id = upload(owner_api, listing, jpeg_bytes(1000, 500)).json()["id"]
    # a second run queued behind it: when it answers, the first has run too
    sent = make_listing_image_thumbnails.apply_async(args=[image_id], ignore_result=False)
    assert real_worker(sent) == "ready"
    image = ListingImage.objects.get(pk=image_id)
    assert image.status == "ready"
    assert stored(image.small).size == (240, 120) and stored(image.medium).size == (720, 360)


# --- storage that cannot be written ---------------------------------------------------------------

def _files_under(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture
def blocked_media(settings, tmp_path):
    """A media folder where `block("listings/thumbs")` makes that folder impossible to create
    (a file sits at its path): unwritable even for root, as on a full or read-only disk."""
    settings.MEDIA_ROOT = str(tmp_path)

    def block(folder: str):
        path = tmp_path / folder
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"in the way")
        return path

    return block


def test_an_upload_into_unwritable_storage_is_503_and_leaves_nothing(owner_api, listing,
                                                                    blocked_media, tmp_path):
    blocked_media("listings")
    response = upload(owner_api, listing, jpeg_bytes())
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "storage_unavailable"
    assert not ListingImage.objects.exists()
    assert _files_under(tmp_path) == ["listings"]  # only what was in the way


def test_thumbnails_that_cannot_be_written_are_retried_then_the_photo_is_failed(
    owner_api, listing, blocked_media, tmp_path, django_capture_on_commit_callbacks
):
    blocked_media("listings/thumbs")
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(owner_api, listing, jpeg_bytes())
    assert response.status_code == 201, response.content
    image = ListingImage.objects.get()
    assert image.status == "failed"  # not `processing` for ever
    assert not image.small and not image.medium
    assert [f for f in _files_under(tmp_path) if f.endswith(".webp")] == []
    intent = Intent.objects.get(task="producers.tasks.make_listing_image_thumbnails")
    assert intent.status == "failed" and intent.error.startswith("NotADirectoryError")


def test_the_sweeper_re_enqueues_a_photo_stuck_in_processing(owner_api, listing,
                                                            django_capture_on_commit_callbacks):
    from outbox.services import stuck_work_sweep

    # given a photo whose thumbnails were never made (its task lost with the broker)
    with django_capture_on_commit_callbacks(execute=False):
        image_id = upload(owner_api, listing, jpeg_bytes()).json()["id"]
    Intent.objects.update(status="sent", attempts=1, sent_at=timezone.now())
    # a few minutes on: its intent is handed over again, and the photo is made
    later = timezone.now() + timedelta(minutes=6)
    assert stuck_work_sweep(now=later - timedelta(minutes=3)) == 0  # not stuck yet
    assert stuck_work_sweep(now=later) == 1  # handed over again at once (run, eager here)
    assert ListingImage.objects.get(pk=image_id).status == "ready"
    intent = Intent.objects.get()
    assert (intent.status, intent.attempts) == ("done", 2)
    assert relay(now=later) == 0
    # a photo stuck with no intent at all (from before the outbox) gets one
    ListingImage.objects.filter(pk=image_id).update(status="processing", small="", medium="")
    Intent.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert stuck_work_sweep(now=later) == 1
    assert ListingImage.objects.get(pk=image_id).status == "ready"
    assert stuck_work_sweep(now=later) == 0


# --- storage trouble that lasts minutes (hardening round three, item 11) ------------------------

def test_storage_trouble_is_retried_over_minutes_not_seconds():
    from celery.utils.time import get_exponential_backoff_interval

    task = make_listing_image_thumbnails
    waits = [get_exponential_backoff_interval(task.retry_backoff, attempt,
                                              task.retry_backoff_max, task.retry_jitter)
             for attempt in range(task.max_retries)]
    # five jittered waits used to be spent in about 51 s, two of them after 0 s
    assert min(waits) >= 30
    assert sum(waits) >= 20 * 60, waits


def test_a_photo_failed_for_storage_trouble_is_made_once_the_storage_is_back(
    owner_api, listing, blocked_media, django_capture_on_commit_callbacks
):
    from outbox.services import stuck_work_sweep

    # given a photo whose thumbnails could not be written for longer than the retries lasted
    blocked = blocked_media("listings/thumbs")
    with django_capture_on_commit_callbacks(execute=True):
        image_id = upload(owner_api, listing, jpeg_bytes()).json()["id"]
    assert ListingImage.objects.get(pk=image_id).status == "failed"
    later = timezone.now() + timedelta(minutes=6)
    # the sweeper takes it back, and while the storage is still unwritable it fails again
    with django_capture_on_commit_callbacks(execute=True):
        assert stuck_work_sweep(now=later) == 1
    assert ListingImage.objects.get(pk=image_id).status == "failed"

    # when the storage is writable again, the next sweep makes it: no button per photo
    blocked.unlink()
    with django_capture_on_commit_callbacks(execute=True):
        assert stuck_work_sweep(now=later + timedelta(minutes=6)) == 1
    image = ListingImage.objects.get(pk=image_id)
    assert image.status == "ready" and image.small and image.medium
    assert stuck_work_sweep(now=later + timedelta(minutes=12)) == 0


def test_a_photo_that_cannot_be_read_is_not_taken_back(owner_api, listing,
                                                      django_capture_on_commit_callbacks):
    from outbox.services import stuck_work_sweep

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image_id = upload(owner_api, listing, jpeg_bytes()).json()["id"]
    image = ListingImage.objects.get(pk=image_id)
    with image.original.open("wb") as f:
        f.write(b"garbage")
    callbacks[0]()
    assert ListingImage.objects.get(pk=image_id).status == "failed"
    # failed for what it is, not for a passing cause: trying again would fail the same way
    assert stuck_work_sweep(now=timezone.now() + timedelta(minutes=6)) == 0
    assert ListingImage.objects.get(pk=image_id).status == "failed"


# --- cheap checks first, a phone-sized pixel cap, a limit per account -----------------------------

def test_an_archived_listing_refuses_a_photo_before_decoding_it(owner_api, listing):
    # a header that reads (100 x 100) over data that cannot be decoded: only a decode finds out
    owner_api.delete(f"/listings/{listing.pk}")
    response = upload(owner_api, listing, png_header_only(100, 100), name="p.png",
                      content_type="image/png")
    assert response.status_code == 409  # refused for the listing, not found broken (415)
    assert response.json()["error"]["code"] == "invalid_state"


def test_the_thirteenth_photo_is_refused_before_it_is_decoded(owner_api, listing):
    for _ in range(12):
        assert upload(owner_api, listing, png_bytes(), name="p.png",
                      content_type="image/png").status_code == 201
    response = upload(owner_api, listing, png_header_only(100, 100), name="p.png",
                      content_type="image/png")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_many_images"


def test_the_default_pixel_cap_is_what_a_phone_photo_needs(owner_api, listing):
    # the attack: a small PNG that says 6300 x 6300 (39.7 MP); a phone saves 12 MP by default
    response = upload(owner_api, listing, png_header_only(6300, 6300), name="p.png",
                      content_type="image/png")
    assert response.status_code == 413
    assert response.json()["error"]["details"] == {"width": 6300, "height": 6300,
                                                   "max_pixels": 24_000_000}


def test_photo_uploads_are_limited_per_account(owner_api, listing, other_api, other_producer,
                                               settings):
    from django.core.cache import cache

    cache.clear()
    settings.IMAGE_UPLOAD_THROTTLE_RATE = "2/hour"
    for _ in range(2):
        assert upload(owner_api, listing, png_bytes(), name="p.png",
                      content_type="image/png").status_code == 201
    throttled = upload(owner_api, listing, png_bytes(), name="p.png", content_type="image/png")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert ListingImage.objects.filter(listing=listing).count() == 2
    # another farm is not held back by it
    theirs = make_listing(producer=other_producer)
    assert upload(other_api, theirs, png_bytes(), name="p.png",
                  content_type="image/png").status_code == 201
    cache.clear()
