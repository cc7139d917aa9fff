import pytest
from django.core.management import call_command

from producers.models import Region

pytestmark = pytest.mark.django_db


def test_regions_top_level_then_one_level_down_with_codes_and_paths(api, regions):
    top = api.get("/regions")
    assert top.status_code == 200
    assert [r["name"] for r in top.json()] == ["浙江省", "河南省"]  # ordered by code

    henan = regions["henan"]
    children = api.get("/regions", {"parent": henan.pk}).json()
    assert children == [
        {"id": regions["zhoukou"].pk, "code": "411600", "name": "周口市", "level": "prefecture",
         "parent_id": henan.pk, "path": "河南省 / 周口市"}
    ]
    village = api.get("/regions", {"parent": regions["town"].pk}).json()[0]
    assert village["code"] == "411627100201"
    assert village["level"] == "village"
    assert village["path"] == "河南省 / 周口市 / 太康县 / 城关回族镇 / 二郎庙村"


def test_regions_of_an_unknown_parent_is_404_and_a_bad_parent_is_422(api, regions):
    assert api.get("/regions", {"parent": 999999}).status_code == 404
    response = api.get("/regions", {"parent": "henan"})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "parent"


def test_load_regions_loads_the_official_list_and_is_idempotent():
    call_command("load_regions", no_progress=True)
    count = Region.objects.count()
    assert count > 3000
    taikang = Region.objects.get(code="411627")
    assert taikang.path == "河南省 / 周口市 / 太康县"
    assert taikang.level == "county"
    # a district of a municipality hangs directly under the province-level city
    assert Region.objects.get(code="110105").path == "北京市 / 朝阳区"
    # only provinces are at the top; every lineage starts with its province's code
    assert set(Region.objects.filter(parent__isnull=True).values_list("level", flat=True)) == {
        "province"
    }
    assert taikang.lineage == "/410000/411600/411627/"
    call_command("load_regions", no_progress=True)
    assert Region.objects.count() == count


def test_categories_are_a_tree_with_slugs(api, categories):
    body = api.get("/categories").json()
    by_slug = {c["slug"]: c for c in body}
    assert by_slug["apples"]["parent_id"] == by_slug["fruit"]["id"]
    assert by_slug["tea"]["parent_id"] is None
    assert {"fruit", "vegetables", "tea", "mushrooms", "honey", "handicrafts"} <= set(by_slug)


def test_health_reports_database_and_broker(api, settings):
    settings.REDIS_URL = ""
    body = api.get("/health").json()
    assert body == {"status": "ok", "database": "ok", "broker": "eager"}


def test_health_reports_a_broker_that_is_down(api, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    assert api.get("/health").json()["broker"] == "down"


def test_health_is_503_when_the_database_does_not_answer(api, monkeypatch):
    monkeypatch.setattr("shanhuo.health.database_status", lambda: "down")
    response = api.get("/health")
    assert response.status_code == 503
    assert response.json()["status"] == "down" and response.json()["database"] == "down"


@pytest.mark.redis
def test_health_reports_a_live_redis_broker(api):
    assert api.get("/health").json()["broker"] == "ok"


def test_openapi_document_and_docs_are_served(api):
    schema = api.get("/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/regions" in schema.json()["paths"]
    assert api.get("/docs").status_code == 200


def test_chinese_text_is_sent_as_utf8_not_escapes(api, regions):
    response = api.get("/regions")
    assert "河南省".encode() in response.content
    assert b"\\u" not in response.content


@pytest.mark.django_db
def test_answers_to_a_signed_in_caller_are_private_and_public_ones_are_not(api, buyer_api):
    # the caller's own data: no shared cache may keep it
    me = buyer_api.get("/me")
    assert "private" in me["Cache-Control"]
    assert "Authorization" in me["Vary"]
    # a public read with a token is still that person's answer
    assert "private" in buyer_api.get("/categories")["Cache-Control"]
    # anonymous public reads stay cacheable
    assert "private" not in api.get("/categories").get("Cache-Control", "")


@pytest.mark.django_db
def test_admin_pages_are_private(admin_client):
    assert "private" in admin_client.get("/admin/")["Cache-Control"]


def test_plain_http_is_redirected_to_https_except_the_health_check(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/api/v1/categories").status_code == 301
    assert client.get("/api/v1/health").status_code in {200, 503}
