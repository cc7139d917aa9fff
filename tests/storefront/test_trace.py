"""Harvest lots: POST /listings/{id}/batches, trace codes, the QR label, the trace JSON and
the page for people; a look counts once per visitor a day."""

import io
import re
import uuid
from datetime import date

import pytest
import zxingcpp
from django.conf import settings as django_settings
from PIL import Image

from marketplace.errors import InvalidState
from producers import services
from producers.models import Batch, BatchScan
from producers.tasks import rollup_scans
from producers.tracecodes import ALPHABET, LENGTH
from tests.concurrency import run_concurrently
from tests.factories import (
    make_batch,
    make_link,
    make_listing,
    make_producer,
    make_user,
    make_video,
)

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"
BATCH = {"harvested_on": "2026-10-08", "quantity": 500, "lot_code": "FJ-2026-01",
         "notes": "晴天采摘", "certifications": ["绿色食品", "地理标志产品"]}


# --- POST /listings/{id}/batches: anonymous / buyer / another producer / owner --------------------

def test_create_batch_anonymous_is_401(api, listing):
    assert api.post(f"/listings/{listing.pk}/batches", BATCH).status_code == 401


def test_create_batch_by_a_buyer_is_404(buyer_api, listing):
    assert buyer_api.post(f"/listings/{listing.pk}/batches", BATCH).status_code == 404
    assert not Batch.objects.exists()


def test_create_batch_by_another_producer_is_404(other_api, listing):
    assert other_api.post(f"/listings/{listing.pk}/batches", BATCH).status_code == 404
    assert not Batch.objects.exists()


def test_the_owner_registers_a_harvest_lot(owner_api, listing, settings):
    response = owner_api.post(f"/listings/{listing.pk}/batches", BATCH)
    assert response.status_code == 201, response.content
    body = response.json()
    code = body["trace_code"]
    assert body["lot_code"] == "FJ-2026-01"
    assert body["harvested_on"] == "2026-10-08" and body["quantity"] == 500
    assert body["certifications"] == ["绿色食品", "地理标志产品"]
    assert body["trace_url"] == f"{settings.SITE_URL}/trace/{code}"
    assert body["qr_url"] == f"{settings.SITE_URL}/trace/{code}/qr.png"
    assert owner_api.get(f"/listings/{listing.pk}").json()["batches"][0]["trace_code"] == code


def test_trace_codes_are_short_url_safe_and_distinct(listing):
    codes = {make_batch(listing=listing).trace_code for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert len(code) == LENGTH and set(code) <= set(ALPHABET)
        assert re.fullmatch(r"[A-Za-z0-9]+", code)
        assert not set(code) & set("0O1lI")


def test_a_trace_code_collision_is_drawn_again(listing, monkeypatch):
    taken = make_batch(listing=listing).trace_code
    draws = iter([taken, taken, "Zz23456789"])
    monkeypatch.setattr(services, "new_trace_code", lambda: next(draws))
    assert make_batch(listing=listing).trace_code == "Zz23456789"


def test_lot_codes_are_made_from_the_date_when_left_out(owner_api, listing):
    first = owner_api.post(f"/listings/{listing.pk}/batches", {"harvested_on": "2026-10-08"})
    second = owner_api.post(f"/listings/{listing.pk}/batches", {"harvested_on": "2026-10-08"})
    assert (first.json()["lot_code"], second.json()["lot_code"]) == ("20261008-1", "20261008-2")


def test_a_duplicate_lot_code_on_one_listing_is_409(owner_api, listing):
    owner_api.post(f"/listings/{listing.pk}/batches", BATCH)
    response = owner_api.post(f"/listings/{listing.pk}/batches", BATCH)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "lot_code_taken"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"harvested_on": "2099-01-01"}, "harvested_on"),
        ({"harvested_on": "yesterday"}, "harvested_on"),
        ({"quantity": -5}, "quantity"),
        ({"lot_code": "有 空格/斜杠"}, "lot_code"),
        ({"certifications": "绿色食品"}, "certifications"),
    ],
)
def test_bad_batch_fields_are_422(owner_api, listing, change, field):
    response = owner_api.post(f"/listings/{listing.pk}/batches", BATCH | change)
    assert response.status_code == 422, response.content
    assert field in [d["field"] for d in response.json()["error"]["details"]]


def test_no_lot_for_a_listing_archived_after_it_was_read(owner_api, listing):
    from producers import selectors

    read_by_the_request = selectors.listing_owned(user=listing.producer.user,
                                                  listing_id=listing.pk)
    assert owner_api.delete(f"/listings/{listing.pk}").status_code == 204  # meanwhile
    with pytest.raises(InvalidState):
        make_batch(listing=read_by_the_request)
    assert owner_api.post(f"/listings/{listing.pk}/batches", BATCH).status_code == 409
    assert not Batch.objects.exists()


def test_a_missing_harvest_date_is_422(owner_api, listing):
    response = owner_api.post(f"/listings/{listing.pk}/batches", {"quantity": 3})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "harvested_on"


# --- GET /api/v1/trace/{code} --------------------------------------------------------------------

@pytest.fixture
def batch(listing):
    return make_batch(listing=listing, lot_code="FJ-2026-01",
                      certifications=["绿色食品", "自然成熟"])


def look(api, path: str, *, address: str = "203.0.113.7", ua: str = PHONE, **headers):
    return api.get(path, HTTP_USER_AGENT=ua, REMOTE_ADDR=address, **headers)


def test_trace_json_tells_where_the_lot_came_from(api, batch, producer):
    response = look(api, f"/api/v1/trace/{batch.trace_code}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["batch"]["lot_code"] == "FJ-2026-01"
    # the farm's own words: 绿色食品 needs a verified certificate (tests/certificates)
    assert body["batch"]["certifications"] == ["自然成熟"]
    assert body["listing"] == {"id": batch.listing_id, "title": "红富士苹果"}
    assert body["producer"]["id"] == producer.pk
    assert body["producer"]["name"] == "李家果园"
    assert body["producer"]["story"] == "三代人种苹果。"
    assert body["producer"]["region"]["path"].endswith("太康县 / 城关回族镇 / 二郎庙村")
    assert body["origin_region"]["code"] == "411627100201"
    assert body["scans"] == 1  # this look, counted live
    assert body["label_warning"] is False
    assert body["videos"] == []


def test_a_visitor_counts_once_a_day_and_the_rollup_keeps_the_count(api, batch):
    url = f"/api/v1/trace/{batch.trace_code}"
    first = look(api, url).json()
    look(api, f"/trace/{batch.trace_code}")  # the page is the same lot: the same visitor
    again = look(api, url).json()
    other = look(api, url, address="198.51.100.9").json()
    assert (first["scans"], again["scans"], other["scans"]) == (1, 1, 2)
    batch.refresh_from_db()
    assert batch.scans == 0  # nothing written to the lot on the request path
    rollup_scans.delay()
    batch.refresh_from_db()
    assert batch.scans == 2 and batch.first_scanned_at is not None
    after = look(api, url).json()
    assert after["scans"] == 2 and after["first_scanned_at"]
    rollup_scans.delay()  # run twice: the same counts
    batch.refresh_from_db()
    assert batch.scans == 2


def test_a_hundred_looks_from_one_visitor_raise_no_warning(api, batch, settings):
    """1,000 anonymous GETs raised `scans` to 1,002 and showed the red banner. A
    visitor is counted once a day by an exact mark, so 100 looks (20 times the threshold) show
    it as well as 1,000 did, at a tenth of the requests."""
    settings.TRACE_SCAN_WARNING_THRESHOLD = 5
    for _ in range(100):
        look(api, f"/api/v1/trace/{batch.trace_code}")
    rollup_scans.delay()
    body = look(api, f"/api/v1/trace/{batch.trace_code}").json()
    assert (body["scans"], body["label_warning"]) == (1, False)
    assert "可能被复制" not in look(api, f"/trace/{batch.trace_code}").content.decode()


@pytest.mark.parametrize("ua", [
    "", "Mozilla/5.0 (compatible; Googlebot/2.1)", "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23", "facebookexternalhit/1.1", "Mozilla/5.0 (compatible; Bytespider)",
    "curl/8.5.0", "python-requests/2.32",
])
def test_crawlers_and_link_previews_are_not_looks(api, batch, ua):
    assert look(api, f"/trace/{batch.trace_code}", ua=ua).status_code == 200
    assert look(api, f"/api/v1/trace/{batch.trace_code}", ua=ua).json()["scans"] == 0
    rollup_scans.delay()
    batch.refresh_from_db()
    assert batch.scans == 0


def test_the_qr_image_does_not_count_as_a_scan(api, batch):
    api.get(f"/trace/{batch.trace_code}/qr.png")
    batch.refresh_from_db()
    assert batch.scans == 0 and batch.first_scanned_at is None


def test_a_head_request_is_not_a_scan(api, batch):
    assert api.head(f"/trace/{batch.trace_code}").status_code == 200
    assert api.head("/trace/NoSuchCode").status_code == 404
    batch.refresh_from_db()
    assert batch.scans == 0 and batch.first_scanned_at is None


def test_an_unknown_trace_code_is_404_everywhere(api, categories):
    response = api.get("/api/v1/trace/NoSuchCode")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "trace_code_not_found"
    assert api.get("/trace/NoSuchCode").status_code == 404
    assert api.get("/trace/NoSuchCode/qr.png").status_code == 404


def test_past_the_threshold_of_distinct_visitors_the_json_and_the_page_warn(
        api, batch, settings):
    settings.TRACE_SCAN_WARNING_THRESHOLD = 2
    json_url, page_url = f"/api/v1/trace/{batch.trace_code}", f"/trace/{batch.trace_code}"
    assert look(api, json_url, address="203.0.113.1").json()["label_warning"] is False
    assert "可能被复制" not in look(api, page_url, address="203.0.113.2").content.decode()
    assert look(api, json_url, address="203.0.113.3").json()["label_warning"] is True
    rollup_scans.delay()  # rolled up or live, the same answer
    assert look(api, json_url, address="203.0.113.3").json()["label_warning"] is True
    assert "此标签可能被复制" in look(api, page_url, address="203.0.113.3").content.decode()


@pytest.mark.parametrize("kind", ["json", "page"])
def test_the_trace_etag_holds_while_only_the_count_changes(api, batch, kind):
    """The count was in the body, so the ETag changed on every read and no phone
    ever got a 304."""
    url = f"/api/v1/trace/{batch.trace_code}" if kind == "json" else f"/trace/{batch.trace_code}"
    first = look(api, url, address="203.0.113.1")
    etag = first["ETag"]
    assert etag.startswith('W/"')
    # another visitor: the count moves, the ETag does not, and the look still counts
    second = look(api, url, address="203.0.113.2", HTTP_IF_NONE_MATCH=etag)
    assert second.status_code == 304 and second["ETag"] == etag
    assert look(api, f"/api/v1/trace/{batch.trace_code}", address="203.0.113.3").json()[
        "scans"] == 3
    rollup_scans.delay()
    assert look(api, url, address="203.0.113.4", HTTP_IF_NONE_MATCH=etag).status_code == 304
    # anything else changes: a new answer
    Batch.objects.filter(pk=batch.pk).update(notes="霜降后采摘")
    changed = look(api, url, address="203.0.113.5", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


def test_the_json_and_the_page_have_different_etags(api, batch):
    json_etag = look(api, f"/api/v1/trace/{batch.trace_code}")["ETag"]
    assert look(api, f"/trace/{batch.trace_code}")["ETag"] != json_etag


def test_trace_shows_the_farms_origin_videos_and_nothing_else(api, batch, producer):
    def video(owner, n, kind="origin", status="ready"):
        return make_video(owner=owner, kind=kind, external_id=f"BV{n}", status=status,
                          source_url=f"https://b23.tv/{n}", title=f"果园实拍{n}",
                          thumbnail_url=f"https://i0.hdslb.com/{n}.jpg")

    on_lot = video(producer.user, 1)
    on_listing = video(producer.user, 2)
    failed = video(producer.user, 3, status="failed")
    promo = video(make_user(username="promoter"), 4, kind="promo")
    make_link(video=on_lot, batch=batch)
    make_link(video=on_listing, listing=batch.listing)
    make_link(video=failed, batch=batch)
    make_link(video=promo, listing=batch.listing)

    videos = api.get(f"/api/v1/trace/{batch.trace_code}").json()["videos"]
    assert {v["id"] for v in videos} == {on_lot.pk, on_listing.pk}
    # the Video of API.md, as GET /listings/{id}/videos shows it
    shown = api.get(f"/listings/{batch.listing_id}/videos").json()["items"]
    assert [v for v in shown if v["id"] == on_lot.pk] == [v for v in videos if v["id"] == on_lot.pk]
    page = api.get(f"/trace/{batch.trace_code}").content.decode()
    assert "果园实拍1" in page and 'href="https://www.bilibili.com/video/BV1"' in page
    assert "<small>哔哩哔哩</small>" in page
    assert "果园实拍4" not in page


# --- The page for people --------------------------------------------------------------------------

def test_the_trace_page_shows_the_lot_the_producer_and_the_place(api, batch, regions):
    response = api.get(f"/trace/{batch.trace_code}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "FJ-2026-01" in page and batch.trace_code in page
    assert "李家果园" in page and "三代人种苹果。" in page
    assert "河南省 / 周口市 / 太康县 / 城关回族镇 / 二郎庙村" in page
    assert "2026年10月1日" in page  # harvest date
    assert "自然成熟" in page and "红富士苹果" in page
    assert "绿色食品" not in page  # a claim no verified certificate backs is not shown
    assert 'name="viewport"' in page and "<script" not in page


def test_the_trace_page_escapes_what_producers_wrote(api, listing, producer):
    services.producer_update(producer=producer, story="<script>alert(1)</script>")
    batch = make_batch(listing=listing)
    page = api.get(f"/trace/{batch.trace_code}").content.decode()
    assert "<script>" not in page and "&lt;script&gt;" in page


# --- The QR label --------------------------------------------------------------------------------

def test_the_qr_label_decodes_to_the_trace_url(api, batch, settings):
    response = api.get(f"/trace/{batch.trace_code}/qr.png")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    decoded = [r.text for r in zxingcpp.read_barcodes(image)]
    assert decoded == [f"{settings.SITE_URL}/trace/{batch.trace_code}"]


def test_the_trace_url_in_the_label_opens_the_page(api, batch):
    response = api.get(f"/trace/{batch.trace_code}/qr.png")
    url = zxingcpp.read_barcodes(Image.open(io.BytesIO(response.content)))[0].text
    path = "/" + url.split("/", 3)[3]
    assert api.get(path).status_code == 200


# --- Concurrent scans on PostgreSQL --------------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_looks_count_each_visitor_once():
    batch = make_batch(listing=make_listing(
        producer=make_producer(username="farmer_zhao", name="赵家")))
    threads, per_thread = 8, 10

    def scanner(n):
        def scan():
            for i in range(per_thread):  # each thread: 5 visitors, each looking twice
                services.trace_look(batch_id=batch.pk, address=f"203.0.113.{n * 10 + i % 5}",
                                    user_agent=PHONE)
        return scan

    assert run_concurrently(*[scanner(n) for n in range(threads)]) == [None] * threads
    rollup_scans.delay()
    batch.refresh_from_db()
    assert batch.scans == threads * 5
    assert batch.first_scanned_at is not None


@pytest.mark.redis
def test_with_redis_a_look_writes_nothing_to_the_database(api, batch, settings,
                                                          django_assert_num_queries):
    settings.CLICK_REDIS_URL = django_settings.REDIS_URL
    settings.SCAN_REDIS_PREFIX = f"test:scans:{uuid.uuid4().hex}"
    import redis

    client = redis.Redis.from_url(django_settings.REDIS_URL)
    try:
        look(api, f"/trace/{batch.trace_code}")
        # the lot, its photo, its videos; the lot's and the farm's claim record, two each
        with django_assert_num_queries(7) as captured:
            body = look(api, f"/api/v1/trace/{batch.trace_code}", address="198.51.100.1").json()
        assert not any(q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE"))
                       for q in captured.captured_queries)
        assert body["scans"] == 2
        assert BatchScan.objects.count() == 0
        rollup_scans.delay()
        batch.refresh_from_db()
        assert batch.scans == 2
    finally:
        for key in client.scan_iter(f"{settings.SCAN_REDIS_PREFIX}:*"):
            client.delete(key)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_lots_registered_at_once_get_distinct_lot_codes():
    listing = make_listing(producer=make_producer(username="farmer_qian", name="钱家"))
    batches = run_concurrently(
        *[lambda: services.batch_create(listing=listing, harvested_on=date(2026, 10, 8))] * 4)
    assert sorted(getattr(b, "lot_code", repr(b)) for b in batches) == [
        f"20261008-{n}" for n in range(1, 5)]
