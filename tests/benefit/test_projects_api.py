"""GET /benefit/projects and /benefit/projects/{id}: public, with running totals and the videos
the charity's people link from the site."""

import pytest

from benefit.models import Project
from tests.factories import (
    client_for,
    make_charity,
    make_producer,
    make_project,
    make_user,
    make_video,
)

pytestmark = pytest.mark.django_db


def test_a_project_shows_its_charity_code_story_and_zero_totals(api, world):
    body = api.get(f"/benefit/projects/{world.project.pk}").json()

    assert body["title"] == "二郎庙村小学免费午餐"
    assert body["charity"] == {"id": world.charity.pk, "name": "河南省乡村儿童助学基金会",
                               "registration_code": world.charity.registration_code}
    assert body["region"]["name"] == "二郎庙村"
    assert body["story"] == "孩子们中午有一顿热饭。"
    assert body["goal_amount"] == "50000.00"
    assert {k: body[k] for k in ("pledged", "confirmed", "disbursed", "balance", "currency")} == {
        "pledged": "0.00", "confirmed": "0.00", "disbursed": "0.00", "balance": "0.00",
        "currency": "CNY"}
    assert body["videos"] == []
    assert body["status"] == "active"


def test_an_unknown_project_is_404_in_the_envelope(api, db):
    response = api.get("/benefit/projects/999999")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "project_not_found"


@pytest.mark.parametrize("path", ["/benefit/projects/0", "/benefit/projects/abc",
                                  "/benefit/projects/99999999999999999999"])
def test_a_bad_project_id_is_422_not_500(api, db, path):
    response = api.get(path)

    assert response.status_code == 422
    assert "error" in response.json()


def test_the_list_is_a_cursor_list_with_totals(api, db):
    for n in range(3):
        make_project(title=f"项目{n}")

    first = api.get("/benefit/projects?limit=2").json()
    second = api.get(f"/benefit/projects?limit=2&cursor={first['next_cursor']}").json()

    assert [p["title"] for p in first["items"] + second["items"]] == ["项目0", "项目1", "项目2"]
    assert second["next_cursor"] is None
    assert first["items"][0]["pledged"] == "0.00"


def test_a_bad_cursor_is_400(api, db):
    response = api.get("/benefit/projects?cursor=nonsense")

    assert response.status_code == 400


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_costs_the_same_queries_for_1_and_20_projects(api, db, rows,
                                                               django_assert_num_queries):
    charity = make_charity()
    for n in range(rows):
        make_project(charity=charity, title=f"项目{n}")

    with django_assert_num_queries(1):
        response = api.get("/benefit/projects?limit=20")

    assert len(response.json()["items"]) == rows


def test_the_charitys_people_link_their_videos_to_the_project_and_they_show(world):
    worker = client_for(world.worker)
    video = worker.post("/videos", {"url": "https://www.bilibili.com/video/BV1GJ411x7h7",
                                    "title": "午饭时间"})
    assert video.status_code == 201, video.content
    assert video.json()["kind"] == "origin"

    link = worker.post(f"/videos/{video.json()['id']}/links", {"project_id": world.project.pk})

    assert link.status_code == 201, link.content
    assert link.json()["project_id"] == world.project.pk
    videos = client_for(make_user()).get(f"/benefit/projects/{world.project.pk}").json()["videos"]
    assert [v["title"] for v in videos] == ["午饭时间"]


def test_the_project_share_link_lands_on_its_page(api, world):
    worker = client_for(world.worker)
    video = worker.post("/videos", {"url": "https://www.bilibili.com/video/BV1GJ411x7h7"}).json()
    link = worker.post(f"/videos/{video['id']}/links", {"project_id": world.project.pk}).json()

    response = api.get(f"/p/{link['code']}")

    assert response.status_code == 302
    assert response["Location"] == f"/benefit/{world.project.pk}"


def test_someone_outside_the_charity_cannot_link_a_video_to_its_project(world):
    farmer = make_producer()
    video = make_video(owner=farmer.user, kind="origin")

    response = client_for(farmer.user).post(f"/videos/{video.pk}/links",
                                            {"project_id": world.project.pk})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "charity_member_required"


def test_a_link_to_an_unknown_project_is_404_and_to_two_targets_422(world):
    worker = client_for(world.worker)
    video = make_video(owner=world.worker, kind="origin")

    unknown = worker.post(f"/videos/{video.pk}/links", {"project_id": 999999})
    two = worker.post(f"/videos/{video.pk}/links", {"project_id": world.project.pk,
                                                    "listing_id": world.listings[0].pk})

    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "project_not_found"
    assert two.status_code == 422


def test_a_closed_project_is_still_shown_as_closed(api, db):
    project = make_project(status=Project.Status.CLOSED)

    assert api.get(f"/benefit/projects/{project.pk}").json()["status"] == "closed"
