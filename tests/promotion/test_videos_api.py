"""Promoter profiles and videos through the HTTP API: roles, de-duplication, unsupported URLs,
background metadata and short-link resolution (against the fake platform)."""

import pytest

from promotion.models import Link, Promoter, Video
from tests.factories import client_for, make_listing, make_promoter, make_video

pytestmark = pytest.mark.django_db

BV = "https://www.bilibili.com/video/BV1GJ411x7h7?spm_id_from=333.788&vd_source=abc"
YT = "https://youtu.be/dQw4w9WgXcQ?si=share123"
OEMBED = {"title": "秦岭猕猴桃采摘", "thumbnail_url": "https://i.ytimg.com/vi/dQw4w9WgXcQ/hq.jpg",
          "html": "<iframe src='https://evil.example'></iframe>"}


def error_code(response) -> str:
    return response.json()["error"]["code"]


# --- Promoters ----------------------------------------------------------------------------------

def test_a_promoter_profile_is_one_per_account(buyer_api):
    response = buyer_api.post("/promoters", {"display_name": "山货小王", "bio": "拍果园"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["display_name"] == "山货小王" and body["bio"] == "拍果园"

    again = buyer_api.post("/promoters", {"display_name": "又一个"})
    assert again.status_code == 409
    assert error_code(again) == "promoter_exists"
    assert Promoter.objects.count() == 1

    me = buyer_api.get("/promoters/me")
    assert me.status_code == 200 and me.json()["id"] == body["id"]
    assert buyer_api.get("/me").json()["promoter_id"] == body["id"]


def test_promoter_profile_needs_a_name_and_a_token(api, buyer_api):
    assert api.post("/promoters", {"display_name": "x"}).status_code == 401
    response = buyer_api.post("/promoters", {"display_name": ""})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "display_name"
    assert buyer_api.post("/promoters", {"display_name": "   "}).status_code == 422
    response = buyer_api.get("/promoters/me")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "promoter_required"


# --- Videos -------------------------------------------------------------------------------------

def test_only_producers_and_promoters_post_videos(buyer_api, api):
    response = buyer_api.post("/videos", {"url": BV})
    assert response.status_code == 403
    assert error_code(response) == "producer_or_promoter_required"
    assert api.post("/videos", {"url": BV}).status_code == 401
    assert Video.objects.count() == 0


def test_a_promoter_posts_a_promo_video_and_the_same_video_twice_is_one(promoter):
    _, client = promoter
    response = client.post("/videos", {"url": BV})
    assert response.status_code == 201, response.content
    video = response.json()
    assert video["platform"] == "bilibili"
    assert video["kind"] == "promo"
    assert video["external_id"] == "BV1GJ411x7h7"
    assert video["canonical_url"] == "https://www.bilibili.com/video/BV1GJ411x7h7"
    assert "spm_id_from" not in video["source_url"] and "vd_source" not in video["source_url"]
    # Bilibili offers no oEmbed: nothing proves a promoter's video exists, so it is unverified
    # at once (staff or the farm approve it), with the player built from the id
    assert video["status"] == "unverified"
    assert video["player_url"] == (
        "https://player.bilibili.com/player.html?bvid=BV1GJ411x7h7&page=1")

    # the same video by another URL shape -> the existing one, 200
    again = client.post("/videos", {"url": "https://m.bilibili.com/video/BV1GJ411x7h7/"})
    assert again.status_code == 200
    assert again.json()["id"] == video["id"]
    assert Video.objects.count() == 1


def test_the_same_video_by_two_owners_is_two_videos(promoter):
    _, client = promoter
    other = client_for(make_promoter().user)
    assert client.post("/videos", {"url": BV}).status_code == 201
    assert other.post("/videos", {"url": BV}).status_code == 201


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://youtube.com@evil.example/watch?v=dQw4w9WgXcQ",
     "https://www.youtube.com.evil.example/watch?v=dQw4w9WgXcQ", "http://127.0.0.1/video/1",
     "https://vimeo.com/76979871", "https://www.douyin.com/"],
)
def test_an_unsupported_url_is_422_unsupported_video_url(promoter, url):
    _, client = promoter
    response = client.post("/videos", {"url": url})
    assert response.status_code == 422
    assert error_code(response) == "unsupported_video_url"
    assert response.json()["error"]["details"][0]["field"] == "url"
    assert Video.objects.count() == 0


@pytest.mark.parametrize("body", [{}, {"url": 5}, {"url": "x" * 2001}, {"url": BV, "kind": "ad"}])
def test_malformed_video_bodies_are_422(promoter, body):
    _, client = promoter
    assert client.post("/videos", body).status_code == 422


def test_a_producer_posts_origin_footage(farm):
    response = farm["api"].post("/videos", {"url": BV, "title": "我家果园"})
    assert response.status_code == 201
    assert response.json()["kind"] == "origin"
    assert response.json()["title"] == "我家果园"


def test_someone_both_producer_and_promoter_chooses_the_kind(farm):
    make_promoter(user=farm["user"], display_name="李姐带货")
    client = farm["api"]
    assert client.post("/videos", {"url": BV}).json()["kind"] == "origin"
    promo = client.post("/videos", {"url": "https://www.bilibili.com/video/av170001",
                                    "kind": "promo"})
    assert promo.status_code == 201 and promo.json()["kind"] == "promo"


def test_a_promoter_cannot_post_origin_footage(promoter):
    _, client = promoter
    response = client.post("/videos", {"url": BV, "kind": "origin"})
    assert response.status_code == 403


def test_videos_are_listed_and_shown_to_their_owner_only(promoter):
    _, client = promoter
    stranger = client_for(make_promoter().user)
    video_id = client.post("/videos", {"url": BV}).json()["id"]
    listed = client.get("/videos").json()
    assert [v["id"] for v in listed["items"]] == [video_id]
    assert listed["next_cursor"] is None
    assert client.get(f"/videos/{video_id}").status_code == 200
    assert stranger.get(f"/videos/{video_id}").status_code == 404
    assert stranger.get("/videos").json()["items"] == []


def test_own_video_list_runs_constant_queries(promoter, django_assert_num_queries):
    user = Promoter.objects.get().user
    _, client = promoter
    make_video(owner=user)
    with django_assert_num_queries(2):  # token + page
        assert len(client.get("/videos").json()["items"]) == 1
    for n in range(2, 21):
        make_video(owner=user, external_id=f"list{n}")
    with django_assert_num_queries(2):
        assert len(client.get("/videos").json()["items"]) == 20


# --- Metadata in the background ----------------------------------------------------------------

def test_youtube_metadata_is_fetched_after_commit_and_no_html_is_kept(
    promoter, fake_platform, settings, django_capture_on_commit_callbacks
):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)
    _, client = promoter
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/videos", {"url": YT})
    assert response.status_code == 201
    assert response.json()["status"] == "pending"
    video = client.get(f"/videos/{response.json()['id']}").json()
    assert video["status"] == "ready"
    assert video["title"] == "秦岭猕猴桃采摘"
    assert video["thumbnail_url"] == "https://i.ytimg.com/vi/dQw4w9WgXcQ/hq.jpg"
    assert video["player_url"] == "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
    stored = Video.objects.get()
    assert "iframe" not in str(stored.__dict__)


def test_a_title_given_by_the_owner_is_kept(promoter, fake_platform, settings,
                                            django_capture_on_commit_callbacks):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)
    _, client = promoter
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/videos", {"url": YT, "title": "我的标题"})
    assert Video.objects.get().title == "我的标题"


def test_a_refused_fetch_marks_the_video_failed(promoter, fake_platform,
                                                django_capture_on_commit_callbacks):
    # the platform's name resolves to loopback and the test setting is off: refused
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)
    _, client = promoter
    with django_capture_on_commit_callbacks(execute=True):
        video_id = client.post("/videos", {"url": YT}).json()["id"]
    video = client.get(f"/videos/{video_id}").json()
    assert video["status"] == "failed" and video["title"] is None
    assert video["thumbnail_url"] is None
    assert video["failure_reason"] == "fetch_refused"
    assert fake_platform.requests == []


def test_a_video_the_platform_does_not_have_fails_saying_so(
    promoter, fake_platform, settings, django_capture_on_commit_callbacks
):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.route("www.youtube.com", "/oembed", status=404, body="Not Found")
    _, client = promoter
    with django_capture_on_commit_callbacks(execute=True):
        video_id = client.post("/videos", {"url": YT}).json()["id"]
    video = client.get(f"/videos/{video_id}").json()
    assert (video["status"], video["failure_reason"]) == ("failed", "unavailable")


def test_a_short_link_that_never_resolves_fails_saying_so(
    promoter, django_capture_on_commit_callbacks
):
    # no network at all (the autouse resolver refuses): retried, then failed with the reason
    _, client = promoter
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post("/videos", {"url": "https://b23.tv/aB3dE9x"}).json()
    assert (created["title"], created["thumbnail_url"], created["failure_reason"]) == (
        None, None, None)
    video = client.get(f"/videos/{created['id']}").json()
    assert (video["status"], video["failure_reason"]) == ("failed", "short_link_unresolved")


def test_a_platform_that_never_answers_leaves_a_known_video_unverified_without_title(
    promoter, django_capture_on_commit_callbacks
):
    # no network at all (the autouse resolver refuses): retried, then kept from its id alone,
    # unverified (nothing answered for it) until staff or a farm approve it
    _, client = promoter
    with django_capture_on_commit_callbacks(execute=True):
        video_id = client.post("/videos", {"url": YT}).json()["id"]
    video = client.get(f"/videos/{video_id}").json()
    assert video["status"] == "unverified" and video["title"] is None
    assert video["thumbnail_url"] is None and video["failure_reason"] is None


def test_a_transient_failure_before_the_last_attempt_is_retried_and_changes_nothing(promoter):
    from promotion import services
    from promotion.safe_fetch import FetchFailed

    _, client = promoter
    video_id = client.post("/videos", {"url": YT}).json()["id"]
    with pytest.raises(FetchFailed):
        services.video_fetch_details(video_id=video_id, final_attempt=False)
    assert Video.objects.get().status == "pending"


def test_a_video_whose_task_failed_for_good_says_it_gave_up(promoter):
    from django.db import OperationalError

    from promotion.tasks import video_fetch_details

    _, client = promoter
    video_id = client.post("/videos", {"url": YT}).json()["id"]
    # what Celery calls once the last retry of the task has failed (the database away each time)
    video_fetch_details.on_failure(OperationalError("the database is away"), "t-1", [video_id],
                                   {}, None)
    video = client.get(f"/videos/{video_id}").json()
    assert (video["status"], video["failure_reason"]) == ("failed", "gave_up")


def test_metadata_task_twice_changes_nothing(promoter, fake_platform, settings):
    from promotion.tasks import video_fetch_details

    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.route("www.youtube.com", "/oembed", body=OEMBED)
    _, client = promoter
    video_id = client.post("/videos", {"url": YT}).json()["id"]
    video_fetch_details.delay(video_id)
    video_fetch_details.delay(video_id)
    assert len(fake_platform.requests) == 1
    assert Video.objects.get().status == "ready"


# --- Short links --------------------------------------------------------------------------------

def test_a_short_link_is_kept_as_given_then_resolved(promoter, fake_platform, settings,
                                                     django_capture_on_commit_callbacks):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.redirect("b23.tv", "/aB3dE9x",
                           "https://www.bilibili.com/video/BV1GJ411x7h7?share_source=qq")
    _, client = promoter
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/videos", {"url": "https://b23.tv/aB3dE9x?share_medium=android"})
    assert response.status_code == 201
    created = response.json()
    assert created["external_id"] == "aB3dE9x" and created["status"] == "pending"
    assert created["source_url"] == "https://b23.tv/aB3dE9x"
    assert created["player_url"] is None

    video = client.get(f"/videos/{created['id']}").json()
    assert video["status"] == "unverified"  # resolved; Bilibili has no oEmbed to verify it
    assert video["external_id"] == "BV1GJ411x7h7"
    assert video["canonical_url"] == "https://www.bilibili.com/video/BV1GJ411x7h7"
    assert video["source_url"] == "https://b23.tv/aB3dE9x"

    # the same short link again, or the full URL, is the same video
    assert client.post("/videos", {"url": "https://b23.tv/aB3dE9x"}).json()["id"] == video["id"]
    assert client.post("/videos", {"url": BV}).json()["id"] == video["id"]


def test_a_short_link_leading_off_the_platform_fails(promoter, fake_platform, settings,
                                                     django_capture_on_commit_callbacks):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.redirect("b23.tv", "/aB3dE9x", "https://evil.example/steal")
    _, client = promoter
    with django_capture_on_commit_callbacks(execute=True):
        video_id = client.post("/videos", {"url": "https://b23.tv/aB3dE9x"}).json()["id"]
    failed = client.get(f"/videos/{video_id}").json()
    assert (failed["status"], failed["failure_reason"]) == ("failed", "fetch_refused")
    assert [h for h, _ in fake_platform.requests] == ["b23.tv"]


def test_a_short_link_to_a_video_already_posted_merges_into_it(
    promoter, farm, fake_platform, settings, django_capture_on_commit_callbacks
):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.redirect("b23.tv", "/aB3dE9x", BV)
    _, client = promoter
    pears = make_listing(producer=farm["producer"], title="砀山梨", commission_rate="0.05")
    original = client.post("/videos", {"url": BV}).json()["id"]
    client.post(f"/videos/{original}/links", {"listing_id": farm["apples"].pk})
    short = client.post("/videos", {"url": "https://b23.tv/aB3dE9x"}).json()["id"]
    clash = client.post(f"/videos/{short}/links", {"listing_id": farm["apples"].pk}).json()
    moved = client.post(f"/videos/{short}/links", {"listing_id": pears.pk}).json()

    from promotion.tasks import video_fetch_details

    video_fetch_details.delay(short)

    merged = client.get(f"/videos/{short}").json()
    assert merged["status"] == "failed" and merged["duplicate_of_id"] == original
    assert merged["failure_reason"] == "duplicate"
    assert Link.objects.get(pk=moved["id"]).video_id == original
    # a link that would clash with the original's stays where it is, and keeps working
    assert Link.objects.get(pk=clash["id"]).video_id == short
    assert client.get(f"/p/{clash['code']}").status_code == 302
    # posting the short link again gives the original
    assert client.post("/videos", {"url": "https://b23.tv/aB3dE9x"}).json()["id"] == original


def test_a_farms_short_link_merges_its_lot_links_too(farm, fake_platform, settings):
    settings.SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = True
    fake_platform.redirect("v.douyin.com", "/iRNBho6u/",
                           "https://www.iesdouyin.com/share/video/7301234567890123456/?u_code=x")
    client = farm["api"]
    original = client.post("/videos", {"url": "https://www.douyin.com/video/7301234567890123456"})
    short = client.post("/videos", {"url": "https://v.douyin.com/iRNBho6u/"}).json()["id"]
    lot_link = client.post(f"/videos/{short}/links", {"batch_id": farm["batch"].pk}).json()

    from promotion.tasks import video_fetch_details

    video_fetch_details.delay(short)
    assert Link.objects.get(pk=lot_link["id"]).video_id == original.json()["id"]
    assert Video.objects.get(pk=short).duplicate_of_id == original.json()["id"]


# --- Hostile input is a 4xx, never a 500 ---------------------------------------------------------

@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/promoters", {"display_name": "a\x00b"}, "display_name"),
        ("/videos", {"url": BV, "title": "bad\x00title"}, "title"),
        ("/videos", {"url": BV + "\x00"}, "url"),
        ("/videos/1/links", {"listing_id": 2**64}, "listing_id"),
        ("/videos/1/links", {"batch_id": -1}, "batch_id"),
        ("/videos/99999999999999999999/links", {"listing_id": 1}, "video_id"),
    ],
)
def test_nul_characters_and_out_of_range_ids_are_422_naming_the_field(promoter, path, body,
                                                                      field):
    _, client = promoter
    response = client.post(path, body)
    assert response.status_code == 422, response.content
    assert [d["field"] for d in response.json()["error"]["details"]] == [field]


@pytest.mark.parametrize(
    "path",
    ["/videos/99999999999999999999", "/videos/0", "/listings/99999999999999999999/videos",
     "/promoters/me/commissions?link=99999999999999999999"],
)
def test_out_of_range_ids_in_paths_and_queries_are_422(promoter, path):
    _, client = promoter
    response = client.get(path)
    assert response.status_code == 422, response.content


def test_no_transaction_is_held_open_while_a_short_link_is_resolved(promoter, monkeypatch):
    # the hops go over the network (up to SHORT_LINK_MAX_HOPS x OEMBED_TIMEOUT): a database
    # transaction open all that time would hold its locks and a connection
    from django.db import connection

    from promotion import services
    from promotion.video_urls import parse_video_url

    _, client = promoter
    video_id = client.post("/videos", {"url": "https://b23.tv/aB3dE9x"}).json()["id"]
    depth_outside = len(connection.atomic_blocks)  # the test's own transaction
    depth_seen = []

    def resolve(platform, url):
        depth_seen.append(len(connection.atomic_blocks))
        return parse_video_url(BV)

    monkeypatch.setattr(services, "resolve_short_link", resolve)
    services.video_fetch_details(video_id=video_id)
    assert depth_seen == [depth_outside]
    assert Video.objects.get().external_id == "BV1GJ411x7h7"
