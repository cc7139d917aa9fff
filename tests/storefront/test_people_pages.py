"""The pages for people never dead-end (issue 29, item 1): a wrong code or id answers a
Chinese, phone-sized 404 page, a bug a Chinese 500 page (DEBUG off, as the test client runs);
the trace page links to the listing; a closed pre-sale says so; amounts carry thousands
separators; the favicon is ours."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from producers.models import Listing
from tests.factories import make_batch, make_listing

pytestmark = pytest.mark.django_db

PAGE_LIMIT = 8 * 1024  # an error page is small: the shared head and a few lines


def html_of(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"] == "text/html; charset=utf-8"
    html = response.content.decode()
    assert 'lang="zh-CN"' in html and 'name="viewport"' in html  # phone-sized, Chinese
    assert 'href="/favicon.ico"' in html and "<script" not in html and "//cdn" not in html
    assert len(response.content) < PAGE_LIMIT
    return html


def test_an_unknown_trace_code_says_the_label_may_be_fake_and_what_to_do(client, settings):
    assert not settings.DEBUG
    html = html_of(client.get("/trace/Zz2345678x"), 404)
    for text in ["没有找到这个溯源码", "Zz2345678x", "复制或伪造", "扫描标签上的二维码",
                 "联系卖家"]:
        assert text in html, text
    assert "Not Found" not in html
    # the API keeps its JSON errors
    response = client.get("/api/v1/trace/Zz2345678x")
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("path, title", [
    ("/trace/", "页面不存在"),
    ("/trace/bad%00code", "没有找到这个溯源码"),
    ("/l/999999", "这件商品不存在或已下架"),
    ("/p/nosuchlink", "这个分享链接已失效"),
    ("/benefit/999999", "没有找到这个公益项目"),
    ("/o/SH2026000000", "没有找到这个订单"),
    ("/nowhere", "页面不存在"),
])
def test_every_page_for_people_answers_a_chinese_404(client, path, title):
    html = html_of(client.get(path), 404)
    assert f"<h1>{title}</h1>" in html
    assert "接下来可以" in html
    assert client.get("/api/v1/nowhere").json()["error"]["code"] == "not_found"


def test_an_archived_listing_is_a_chinese_404_too(client):
    listing = make_listing(status=Listing.Status.ARCHIVED)
    assert "这件商品不存在或已下架" in html_of(client.get(f"/l/{listing.pk}"), 404)


@pytest.mark.urls("tests.storefront.boom_urls")
def test_a_bug_on_a_page_for_people_answers_a_chinese_500_and_the_api_json():
    client = Client(raise_request_exception=False)
    html = html_of(client.get("/l/boom"), 500)
    assert "<h1>服务暂时出错</h1>" in html and "Server Error" not in html
    api = client.get("/api/v1/boom")
    assert api.status_code == 500 and api.json()["error"]["code"] == "internal_error"


def test_the_favicon_is_served_here(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content.startswith(b"\x00\x00\x01\x00") and len(response.content) < 4096


def test_the_trace_page_links_to_the_listing_while_it_is_on_sale(client):
    batch = make_batch()
    listing = batch.listing
    assert f'href="/l/{listing.pk}"' in client.get(f"/trace/{batch.trace_code}").content.decode()

    Listing.objects.filter(pk=listing.pk).update(status=Listing.Status.ARCHIVED)
    html = client.get(f"/trace/{batch.trace_code}").content.decode()
    assert "/l/" not in html and "批次信息" in html  # the lot is still traced


def presale() -> dict:
    closes_at = timezone.now() + timedelta(days=10)
    ships_from = timezone.localdate(closes_at) + timedelta(days=1)
    return {"closes_at": closes_at, "ships_from": ships_from,
            "ships_by": ships_from + timedelta(days=14), "expected_quantity": 500}


def test_a_closed_presale_says_it_has_closed(client):
    listing = make_listing(stock=0, presale=presale())
    assert "预售已截止" not in client.get(f"/l/{listing.pk}").content.decode()

    # its ordering closes (time passes: the row as it then stands)
    Listing.objects.filter(pk=listing.pk).update(
        presale_closes_at=timezone.now() - timedelta(minutes=1))
    html = client.get(f"/l/{listing.pk}").content.decode()
    assert "预售已截止" in html and "暂时售罄" not in html


def test_amounts_carry_thousands_separators(client):
    listing = make_listing(price="1234.50")
    batch = make_batch(listing=listing)
    assert "¥1,234.50" in client.get(f"/l/{listing.pk}").content.decode()
    assert "¥1,234.50" in client.get(f"/trace/{batch.trace_code}").content.decode()
