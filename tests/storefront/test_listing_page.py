"""/l/{id}: the listing's page for a person who tapped a share link (HTML, Chinese, no
JavaScript), where `/p/{code}` lands by default."""

import re

import pytest

from producers.models import Listing
from tests.factories import (
    make_link,
    make_listing,
    make_producer,
    make_promoter,
    make_user,
    make_video,
)


@pytest.fixture
def listing(db):
    producer = make_producer(name="秀英家庭农场", story="三代人在太康县种苹果。")
    return make_listing(producer=producer, title="太康县红富士苹果 5斤装", price="39.90",
                        story="山坡上的老果园，不打膨大剂。", commission_rate="0.10")


def test_the_page_shows_the_listing_its_price_and_its_farm(client, listing):
    response = client.get(f"/l/{listing.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for text in ["太康县红富士苹果 5斤装", "¥39.90", "秀英家庭农场", "三代人在太康县种苹果。",
                 "山坡上的老果园，不打膨大剂。", 'lang="zh-CN"']:
        assert text in html, text
    # no JavaScript is needed, or sent
    assert "<script" not in html


def test_it_links_to_the_app_with_the_listing_id(client, listing, settings):
    html = client.get(f"/l/{listing.pk}").content.decode()
    assert f'href="shanhuo://listings/{listing.pk}"' in html
    settings.APP_LINK_URL = "https://app.example/open?listing={listing_id}"
    html = client.get(f"/l/{listing.pk}").content.decode()
    assert f'href="https://app.example/open?listing={listing.pk}"' in html


def test_it_shows_the_farms_own_videos_not_the_promoters(client, listing):
    farm_video = make_video(owner=listing.producer.user, kind="origin", title="果园实拍")
    make_link(video=farm_video, listing=listing)
    promo = make_video(owner=make_promoter().user, title="达人带货")
    make_link(video=promo, listing=listing)
    html = client.get(f"/l/{listing.pk}").content.decode()
    assert "果园实拍" in html and farm_video.canonical_url in html
    assert f"<small>{farm_video.get_platform_display()}</small>" in html
    assert "达人带货" not in html


@pytest.mark.parametrize("status", [Listing.Status.DRAFT, Listing.Status.ARCHIVED])
def test_a_listing_not_on_sale_is_not_found(client, db, status):
    listing = make_listing(status=status)
    assert client.get(f"/l/{listing.pk}").status_code == 404
    assert client.get("/l/999999999").status_code == 404


def test_a_share_link_lands_on_the_page(client, listing):
    link = make_link(video=make_video(owner=make_promoter().user), listing=listing)
    response = client.get(f"/p/{link.code}", follow=True)
    [(location, status)] = response.redirect_chain
    assert status == 302 and location.split("?")[0] == f"/l/{listing.pk}"
    assert "太康县红富士苹果" in response.content.decode()


def test_a_signed_in_visitor_sees_the_same_page(client, listing):
    client.force_login(make_user())
    assert re.search(r"¥39\.90", client.get(f"/l/{listing.pk}").content.decode())
