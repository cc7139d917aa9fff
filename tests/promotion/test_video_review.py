"""Fake videos on other farms' listings: a promoter's video on a platform without oEmbed
(Bilibili, Douyin, Kuaishou) stays `unverified` and shows nowhere until staff verify it or the
farm approves it on its listing; the farm can hide any video on its own listing; only shown
videos count in `video_count`; a promoter makes at most PROMO_LINKS_PER_DAY links a day."""

import pytest
import time_machine
from django.test import Client

from promotion.models import Link, Video
from tests.factories import client_for, make_listing, make_producer, make_promoter, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def farm(db):
    producer = make_producer(name="李家果园")
    return {"producer": producer, "api": client_for(producer.user),
            "listing": make_listing(producer=producer, commission_rate="0.10")}


@pytest.fixture
def promoter_api(db):
    return client_for(make_promoter().user)


def post_and_link(client, listing, url):
    video = client.post("/videos", {"url": url, "title": "全网最甜苹果"}).json()
    link = client.post(f"/videos/{video['id']}/links", {"listing_id": listing.pk})
    assert link.status_code == 201, link.content
    return video


def public(api, listing) -> tuple[list[int], int]:
    """(ids of the listing's public videos, its video_count)."""
    videos = [v["id"] for v in api.get(f"/listings/{listing.pk}/videos").json()["items"]]
    return videos, api.get(f"/listings/{listing.pk}").json()["video_count"]


@pytest.mark.parametrize("url", ["https://www.bilibili.com/video/BV1GJ411x7h7",
                                 "https://www.douyin.com/video/7301234567890123456",
                                 "https://www.kuaishou.com/short-video/3xabcdefg123456"])
def test_a_made_up_promotion_video_shows_nowhere_until_the_farm_approves_it(
        api, farm, promoter_api, url):
    # given a promoter's video on a platform nothing can check, linked to the farm's listing
    video = post_and_link(promoter_api, farm["listing"], url)

    # then it is unverified, not shown and not counted
    assert video["status"] == "unverified"
    assert public(api, farm["listing"]) == ([], 0)

    # when the farm approves it on its listing
    response = farm["api"].post(f"/listings/{farm['listing'].pk}/videos/{video['id']}/approve")

    # then it shows there and counts
    assert response.status_code == 200, response.content
    assert response.json()["review"] == "approved"
    assert public(api, farm["listing"]) == ([video["id"]], 1)


def test_staff_verifying_a_video_shows_it_wherever_it_is_linked(api, farm, promoter_api):
    video = post_and_link(promoter_api, farm["listing"],
                          "https://www.bilibili.com/video/BV1GJ411x7h7")
    staff = Client()
    staff.force_login(make_user(username="staff_zhao", is_staff=True, is_superuser=True))

    response = staff.post("/admin/promotion/video/", {"action": "verify",
                                                      "_selected_action": [video["id"]]})

    assert response.status_code == 302
    assert Video.objects.get(pk=video["id"]).status == Video.Status.READY
    assert public(api, farm["listing"]) == ([video["id"]], 1)


def test_the_farm_hides_any_video_on_its_own_listing(api, farm, promoter_api):
    # a verified video (staff checked it), shown
    video = post_and_link(promoter_api, farm["listing"],
                          "https://www.bilibili.com/video/BV1GJ411x7h7")
    Video.objects.filter(pk=video["id"]).update(status=Video.Status.READY)
    assert public(api, farm["listing"]) == ([video["id"]], 1)

    response = farm["api"].post(f"/listings/{farm['listing'].pk}/videos/{video['id']}/hide")

    assert response.status_code == 200 and response.json()["review"] == "hidden"
    assert public(api, farm["listing"]) == ([], 0)
    # the share link still works (the promoter's clicks and orders are not taken away)
    code = Link.objects.get(video_id=video["id"]).code
    assert api.get(f"/p/{code}").status_code == 302


def test_another_farm_cannot_approve_or_hide_a_video_on_a_listing_not_its_own(farm,
                                                                              promoter_api):
    video = post_and_link(promoter_api, farm["listing"],
                          "https://www.bilibili.com/video/BV1GJ411x7h7")
    stranger = client_for(make_producer(name="王家茶园").user)
    for action in ("approve", "hide"):
        response = stranger.post(
            f"/listings/{farm['listing'].pk}/videos/{video['id']}/{action}")
        assert response.status_code == 404
    assert Link.objects.get(video_id=video["id"]).review == ""


def test_the_farms_own_footage_is_shown_at_once(api, farm):
    video = post_and_link(farm["api"], farm["listing"],
                          "https://www.bilibili.com/video/BV1GJ411x7h7")
    assert video["status"] == "ready" and video["kind"] == "origin"
    assert public(api, farm["listing"]) == ([video["id"]], 1)


def test_a_promoter_makes_at_most_the_daily_number_of_links(farm, promoter_api, settings):
    settings.PROMO_LINKS_PER_DAY = 3
    listings = [make_listing(producer=farm["producer"], commission_rate="0.10")
                for _ in range(4)]
    video = promoter_api.post("/videos", {"url": "https://www.bilibili.com/video/BV1GJ411x7h7"})
    video_id = video.json()["id"]
    with time_machine.travel("2026-12-01 10:00:00 +0000", tick=False) as clock:
        for listing in listings[:3]:
            assert promoter_api.post(f"/videos/{video_id}/links",
                                     {"listing_id": listing.pk}).status_code == 201
        refused = promoter_api.post(f"/videos/{video_id}/links", {"listing_id": listings[3].pk})
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "link_limit_reached"
        assert int(refused["Retry-After"]) == 24 * 3600
        # the same link again is not a new one: still answered
        assert promoter_api.post(f"/videos/{video_id}/links",
                                 {"listing_id": listings[0].pk}).status_code == 200
        # a day later there is room again
        clock.shift(24 * 3600 + 1)
        assert promoter_api.post(f"/videos/{video_id}/links",
                                 {"listing_id": listings[3].pk}).status_code == 201
