"""Links from videos to listings and harvest lots: who may link what, codes, the public list of a
listing's videos, and the trace page's farm videos."""

import re

import pytest

from promotion.models import Link, Video
from tests.factories import (
    client_for,
    make_batch,
    make_link,
    make_listing,
    make_producer,
    make_promoter,
    make_video,
)

pytestmark = pytest.mark.django_db

BV = "https://www.bilibili.com/video/BV1GJ411x7h7"


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def promo_video(promoter):
    _, client = promoter
    return client, client.post("/videos", {"url": BV}).json()["id"]


@pytest.fixture
def origin_video(farm):
    response = farm["api"].post("/videos", {"url": "https://www.douyin.com/video/7301234567890123456",
                                            "title": "果园实拍"})
    return farm["api"], response.json()["id"]


def test_a_promoter_links_a_promotable_listing_with_a_short_unguessable_code(
    promo_video, farm, settings
):
    client, video_id = promo_video
    response = client.post(f"/videos/{video_id}/links", {"listing_id": farm["apples"].pk})
    assert response.status_code == 201, response.content
    link = response.json()
    assert re.fullmatch(r"[A-Za-z0-9]{8}", link["code"])
    assert link["share_url"] == f"{settings.SITE_URL}/p/{link['code']}"
    assert (link["video_id"], link["listing_id"], link["batch_id"]) == (
        video_id, farm["apples"].pk, None)

    again = client.post(f"/videos/{video_id}/links", {"listing_id": farm["apples"].pk})
    assert again.status_code == 200
    assert again.json()["code"] == link["code"]
    assert Link.objects.count() == 1


def test_codes_differ_between_links(promo_video, farm):
    client, video_id = promo_video
    listings = [make_listing(producer=farm["producer"], title=f"苹果{i}", commission_rate="0.10")
                for i in range(5)]
    codes = {
        client.post(f"/videos/{video_id}/links", {"listing_id": listing.pk}).json()["code"]
        for listing in listings
    }
    assert len(codes) == 5


def test_a_promoter_cannot_link_a_listing_not_open_to_promotion(promo_video, farm):
    client, video_id = promo_video
    response = client.post(f"/videos/{video_id}/links", {"listing_id": farm["honey"].pk})
    assert response.status_code == 409
    assert error_code(response) == "listing_not_promotable"


def test_a_promoter_cannot_link_a_draft_or_missing_listing(promo_video, farm):
    client, video_id = promo_video
    draft = make_listing(producer=farm["producer"], status="draft", title="还没上架",
                         commission_rate="0.10")
    for listing_id in (draft.pk, 999999):
        response = client.post(f"/videos/{video_id}/links", {"listing_id": listing_id})
        assert response.status_code == 404
        assert error_code(response) == "listing_not_found"


def test_a_promoter_never_links_a_harvest_lot(promo_video, farm):
    client, video_id = promo_video
    response = client.post(f"/videos/{video_id}/links", {"batch_id": farm["batch"].pk})
    assert response.status_code == 422
    assert error_code(response) == "batch_link_not_allowed"


@pytest.mark.parametrize("body", [{}, {"listing_id": 1, "batch_id": 1}, {"listing_id": "x"}])
def test_a_link_names_exactly_one_target(promo_video, body):
    client, video_id = promo_video
    assert client.post(f"/videos/{video_id}/links", body).status_code == 422


def test_only_the_videos_owner_links_it(promo_video, farm, buyer_api):
    _, video_id = promo_video
    stranger = client_for(make_promoter().user)
    for client in (stranger, buyer_api, farm["api"]):
        response = client.post(f"/videos/{video_id}/links", {"listing_id": farm["apples"].pk})
        assert response.status_code == 404
        assert error_code(response) == "video_not_found"
    assert Link.objects.count() == 0


def test_a_failed_video_cannot_be_linked(promo_video, farm):
    client, video_id = promo_video
    Video.objects.filter(pk=video_id).update(status="failed")
    response = client.post(f"/videos/{video_id}/links", {"listing_id": farm["apples"].pk})
    assert response.status_code == 409
    assert error_code(response) == "video_failed"


def test_a_producer_links_own_listings_and_lots_even_without_a_rate(origin_video, farm):
    client, video_id = origin_video
    for body in ({"listing_id": farm["honey"].pk}, {"listing_id": farm["apples"].pk},
                 {"batch_id": farm["batch"].pk}):
        response = client.post(f"/videos/{video_id}/links", body)
        assert response.status_code == 201, response.content
    assert Link.objects.filter(video_id=video_id).count() == 3


def test_a_producer_cannot_link_another_farms_listing_or_lot(origin_video):
    client, video_id = origin_video
    other = make_producer(username="farmer_wang")
    tea = make_listing(producer=other, title="明前龙井", commission_rate="0.10")
    lot = make_batch(listing=tea)
    response = client.post(f"/videos/{video_id}/links", {"listing_id": tea.pk})
    assert response.status_code == 404 and error_code(response) == "listing_not_found"
    response = client.post(f"/videos/{video_id}/links", {"batch_id": lot.pk})
    assert response.status_code == 404 and error_code(response) == "batch_not_found"


# --- The public list of a listing's videos ---------------------------------------------------

def test_a_listings_videos_are_public_promo_and_origin_and_never_failed(
    promo_video, origin_video, farm, api
):
    client, promo_id = promo_video
    client.post(f"/videos/{promo_id}/links", {"listing_id": farm["apples"].pk})
    Video.objects.filter(pk=promo_id).update(status="ready")  # verified by staff
    farm_client, origin_id = origin_video
    farm_client.post(f"/videos/{origin_id}/links", {"batch_id": farm["batch"].pk})
    other = client_for(make_promoter().user)
    failed_id = other.post("/videos", {"url": "https://www.bilibili.com/video/av170001"}).json()["id"]
    other.post(f"/videos/{failed_id}/links", {"listing_id": farm["apples"].pk})
    Video.objects.filter(pk=failed_id).update(status="failed")

    response = api.get(f"/listings/{farm['apples'].pk}/videos")
    assert response.status_code == 200
    items = response.json()["items"]
    assert {v["id"] for v in items} == {promo_id, origin_id}
    assert {v["kind"] for v in items} == {"promo", "origin"}
    assert "source_url" not in items[0]
    assert response.json()["next_cursor"] is None
    # and the listing's video_count agrees
    assert api.get(f"/listings/{farm['apples'].pk}").json()["video_count"] == 2


def test_the_videos_of_a_missing_or_draft_listing_are_404(api, farm):
    draft = make_listing(producer=farm["producer"], status="draft", title="草稿",
                         commission_rate="0.10")
    assert api.get("/listings/999999/videos").status_code == 404
    assert api.get(f"/listings/{draft.pk}/videos").status_code == 404


def test_a_listings_videos_page_runs_constant_queries(farm, api, django_assert_num_queries):
    listing = farm["apples"]

    def add(n: int) -> None:
        for i in range(n):
            promoter = make_promoter()
            video = make_video(owner=promoter.user, external_id=f"av{i + 1}")
            make_link(video=video, listing=listing)

    add(1)
    with django_assert_num_queries(2):  # the listing exists + the page
        assert len(api.get(f"/listings/{listing.pk}/videos").json()["items"]) == 1
    add(19)
    with django_assert_num_queries(2):
        assert len(api.get(f"/listings/{listing.pk}/videos?limit=20").json()["items"]) == 20


def test_the_trace_page_shows_the_lots_origin_videos(origin_video, farm, api):
    client, video_id = origin_video
    client.post(f"/videos/{video_id}/links", {"batch_id": farm["batch"].pk})
    trace = api.get(f"/api/v1/trace/{farm['batch'].trace_code}")
    assert trace.status_code == 200, trace.content
    assert [v["id"] for v in trace.json()["videos"]] == [video_id]
    page = api.get(f"/trace/{farm['batch'].trace_code}")  # the page for people
    assert page.status_code == 200
    assert "果园实拍" in page.content.decode()


def test_a_listings_videos_carry_an_etag(promo_video, farm, api):
    client, video_id = promo_video
    client.post(f"/videos/{video_id}/links", {"listing_id": farm["apples"].pk})
    first = api.get(f"/listings/{farm['apples'].pk}/videos")
    assert first.has_header("ETag")
    again = api.get(f"/listings/{farm['apples'].pk}/videos", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
