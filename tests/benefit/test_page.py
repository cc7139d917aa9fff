"""/benefit/{project_id}: the page for people (HTML, Chinese, no JavaScript, nothing from
another host)."""

import re

import pytest

from tests.factories import client_for

pytestmark = pytest.mark.django_db


def test_the_page_shows_story_totals_videos_entries_and_the_registration_code(api, world):
    world.pledge(kind="fixed", value="1.00")
    world.buy({0: 4})
    worker = client_for(world.worker)
    video = worker.post("/videos", {"url": "https://www.bilibili.com/video/BV1GJ411x7h7",
                                    "title": "午饭时间"}).json()
    worker.post(f"/videos/{video['id']}/links", {"project_id": world.project.pk})

    response = api.get(f"/benefit/{world.project.pk}")

    page = response.content.decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    for text in ("二郎庙村小学免费午餐", "孩子们中午有一顿热饭。", "河南省乡村儿童助学基金会",
                 world.charity.registration_code, "¥4.00", "午饭时间", "认捐", "公开账本"):
        assert text in page, text
    assert "<script" not in page
    assert not re.search(r'(src|href)="https?://(?!www\.bilibili\.com)', page)


def test_an_unknown_project_page_is_404(api, db):
    assert api.get("/benefit/999999").status_code == 404


def test_the_page_shows_money_to_the_fen_and_outgoing_entries_with_a_minus(api, world):
    from datetime import date
    from decimal import Decimal

    from benefit import services

    world.pledge(kind="fixed", value="1.00")
    order = world.buy({0: 4})
    world.ship_and_deliver(order)
    world.settle(days=8)
    services.disbursement_create(project_id=world.project.pk, amount=Decimal("2"),
                                 paid_on=date(2026, 12, 1), receipt_number="R1")

    page = api.get(f"/benefit/{world.project.pk}").content.decode()

    assert "<small>已拨付</small><b>¥2.00</b>" in page
    assert "-¥2.00" in page and "¥-2.00" not in page
