"""The staff back office for promotion: every list with its filters, and the actions."""

from datetime import date

import pytest
from django.test import Client

from promotion.models import ClickDaily, Link
from tests.factories import make_link, make_order, make_user, make_video

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    client = Client()
    client.force_login(make_user(username="staff", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def video(promoter, farm):
    user = promoter[0].user
    video = make_video(owner=user)
    link = make_link(video=video, listing=farm["apples"], code="AdminAb1")
    ClickDaily.objects.create(link=link, day=date(2026, 11, 28), clicks=4)
    return video


@pytest.mark.parametrize(
    "url",
    [
        "/admin/promotion/promoter/?q=山货",
        "/admin/promotion/video/?platform__exact=bilibili&kind__exact=promo&status__exact=ready",
        "/admin/promotion/link/?target=listing&video__platform__exact=bilibili",
        "/admin/promotion/link/?target=batch",
        "/admin/promotion/clickdaily/?day__gte=2026-11-01",
        "/admin/promotion/click/",
        "/admin/promotion/commission/?status__exact=pending",
    ],
)
def test_every_list_renders_with_its_filters(staff, video, url):
    response = staff.get(url)
    assert response.status_code == 200, url


def test_the_video_page_shows_its_links(staff, video):
    response = staff.get(f"/admin/promotion/video/{video.pk}/change/")
    assert response.status_code == 200
    assert "AdminAb1" in response.content.decode()


def test_hiding_videos_from_the_admin(staff, video):
    response = staff.post("/admin/promotion/video/", {
        "action": "mark_failed", "_selected_action": [video.pk]})
    assert response.status_code == 302
    video.refresh_from_db()
    assert video.status == "failed"


def test_non_staff_cannot_see_commissions(buyer):
    client = Client()
    client.force_login(buyer)
    response = client.get("/admin/promotion/commission/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_cancel_pending_commissions_and_settled_ones_stay(staff, video, buyer, farm):
    from promotion.models import Commission

    link = Link.objects.get(code="AdminAb1")
    placed = [make_order(buyer=buyer, lines=[(farm["apples"], 1)], promo_code=link.code)
              for _ in range(2)]
    pending, settled = (Commission.objects.get(order=order) for order in placed)
    Commission.objects.filter(pk=settled.pk).update(status="settled")

    response = staff.post("/admin/promotion/commission/", {
        "action": "cancel_pending", "_selected_action": [pending.pk, settled.pk]})

    assert response.status_code == 302
    pending.refresh_from_db()
    settled.refresh_from_db()
    assert pending.status == "cancelled" and pending.cancelled_at is not None
    assert settled.status == "settled" and settled.cancelled_at is None


def test_click_counts_are_view_only_for_staff(staff, video):
    for model in ("clickdaily", "click"):
        assert staff.get(f"/admin/promotion/{model}/add/").status_code == 403
    row = ClickDaily.objects.get()
    staff.post(f"/admin/promotion/clickdaily/{row.pk}/change/",
               {"link": row.link_id, "day": "2026-11-28", "clicks": 999})
    row.refresh_from_db()
    assert row.clicks == 4
