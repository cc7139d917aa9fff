"""`PORT=9000 make run`: the links the API gives point at port 9000 (SITE_URL follows PORT),
and a SITE_URL that is set is kept."""

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.factories import client_for, make_listing, make_producer, make_promoter

ROOT = Path(settings.BASE_DIR)


def site_url_seen_by_make_run(tmp_path: Path, **env) -> set[str]:
    """Run the Makefile's `run` with a stand-in python that writes down the SITE_URL each
    command (migrate, demo, runserver) gets."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    record = tmp_path / "seen"
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$SITE_URL" >> {record}\n')
    python.chmod(0o755)
    (venv / ".installed").touch()  # newer than pyproject.toml: nothing to install
    environment = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    subprocess.run(["make", "-s", "run", f"VENV={venv}"], cwd=ROOT, check=True,
                   env={**environment, **env}, capture_output=True, timeout=60)
    return set(record.read_text().split())


def test_make_run_on_port_9000_gives_links_to_port_9000(tmp_path):
    assert site_url_seen_by_make_run(tmp_path, PORT="9000") == {"http://127.0.0.1:9000"}


def test_make_run_keeps_a_site_url_that_is_set(tmp_path):
    seen = site_url_seen_by_make_run(tmp_path, PORT="9000", SITE_URL="https://shanhuo.example")
    assert seen == {"https://shanhuo.example"}


@pytest.mark.django_db
def test_photo_trace_qr_and_share_urls_carry_the_sites_port(settings, tmp_path,
                                                           django_capture_on_commit_callbacks):
    # given the server of `PORT=9000 make run` (photos stored in a folder of this test)
    settings.SITE_URL = "http://127.0.0.1:9000"
    settings.MEDIA_ROOT = tmp_path
    producer = make_producer()
    listing = make_listing(producer=producer, commission_rate="0.10")
    owner = client_for(producer.user)
    promoter = client_for(make_promoter().user)
    # when the farm adds a photo and a lot, and a promoter links a video to the listing
    photo = Image.new("RGB", (64, 48), "green")
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG")
    upload = SimpleUploadedFile("photo.jpg", buffer.getvalue(), content_type="image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):  # the worker cleans the photo
        owner.upload(f"/listings/{listing.pk}/images", {"file": upload})
    image = owner.get(f"/listings/{listing.pk}").json()["images"][0]
    lot = owner.post(f"/listings/{listing.pk}/batches", {"harvested_on": "2026-10-01"}).json()
    video = promoter.post("/videos", {"url": "https://www.bilibili.com/video/BV1xx411c7mD"})
    link = promoter.post(f"/videos/{video.json()['id']}/links", {"listing_id": listing.pk})
    # then every absolute URL the API gives points at port 9000
    urls = [image["original_url"], lot["trace_url"], lot["qr_url"], link.json()["share_url"]]
    assert all(url.startswith("http://127.0.0.1:9000/") for url in urls), urls
