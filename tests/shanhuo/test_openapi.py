"""The served OpenAPI document, checked over every operation (shanhuo.openapi): the rules
hold for routes added later without a hand edit."""

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings

pytestmark = pytest.mark.backend_independent  # no database: CI runs it in the PostgreSQL pass

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(api):
    response = api.get("/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document):
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def resolve(document, schema):
    ref = schema.get("$ref", "")
    return document["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def test_operation_ids_are_the_views_names_and_unique(document):
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", i) for i in ids), ids
    assert "listing_list" in ids
    assert not any(i.startswith(("producers_", "marketplace_")) for i in ids)


def test_public_reads_need_no_token_and_listing_detail_takes_one_or_none(document):
    paths = document["paths"]
    assert paths["/api/v1/listings"]["get"]["security"] == []
    assert paths["/api/v1/trace/{trace_code}"]["get"]["security"] == []
    assert paths["/api/v1/listings/{listing_id}"]["get"]["security"] == [{"bearer": []}, {}]
    assert paths["/api/v1/orders"]["post"]["security"] == [{"bearer": []}]
    assert list(document["components"]["securitySchemes"]) == ["bearer"]


def test_every_operation_declares_its_security_tags_and_a_description(document):
    app_tags = {t["name"] for t in document["tags"]}
    for method, path, op in operations(document):
        assert "security" in op, (method, path)
        assert op["description"].strip(), (method, path)
        assert len(op["tags"]) == 1 and op["tags"][0] in app_tags, (method, path)


def test_every_write_with_a_json_body_has_an_example(document):
    for method, path, op in operations(document):
        media = op.get("requestBody", {}).get("content", {}).get("application/json")
        if method == "get" or media is None:
            continue
        schema = resolve(document, media["schema"])
        assert schema.get("examples") or media.get("example"), (method, path)


def test_statuses_are_enums(document):
    for name, model in document["components"]["schemas"].items():
        status = model.get("properties", {}).get("status")
        if status is not None and "$ref" not in status:
            options = status.get("anyOf", [status])
            assert any("enum" in o or "const" in o for o in options), name


def test_servers_and_licence_are_filled_in(document):
    assert document["servers"] == [{"url": settings.SITE_URL,
                                     "description": "This server (SITE_URL)"}]
    assert document["info"]["license"]["identifier"]


def test_every_error_status_is_the_envelope_with_its_codes(document):
    for method, path, op in operations(document):
        for status, response in op["responses"].items():
            if not status.isdigit() or int(status) < 400:
                continue
            schema = resolve(document, response["content"]["application/json"]["schema"])
            if path == "/api/v1/health" and status == "503":
                continue  # health answers its own body, so a load balancer can read it
            detail = resolve(document, schema["properties"]["error"])
            assert detail["properties"]["code"]["enum"], (method, path, status)
    place = document["paths"]["/api/v1/orders"]["post"]["responses"]
    conflict = resolve(document, resolve(document, place["409"]["content"]["application/json"][
        "schema"])["properties"]["error"])
    assert "insufficient_stock" in conflict["properties"]["code"]["enum"]
    assert "StockShortage" in str(conflict["properties"]["details"])
    invalid = resolve(document, resolve(document, place["422"]["content"]["application/json"][
        "schema"])["properties"]["error"])
    assert invalid["properties"]["details"]["items"]["$ref"].endswith("/FieldError")


def test_every_code_the_services_raise_is_documented(document):
    """A code an operation answers with is in the enum of its status (the scan of the apps
    finds codes given where errors are raised)."""
    codes = {
        status: resolve(document, document["components"]["schemas"][f"Error{status}"][
            "properties"]["error"])["properties"]["code"]["enum"]
        for status in (400, 401, 403, 404, 409, 413, 415, 422, 429)
    }
    assert "producer_required" in codes[403]
    assert "idempotency_key_reused" in codes[409]
    assert "image_too_large" in codes[413]
    assert "invalid_cursor" in codes[400]
    assert "throttled" in codes[429]


def test_gets_declare_etag_if_none_match_and_304(document):
    for method, path, op in operations(document):
        if method != "get":
            continue
        assert "If-None-Match" in [p["name"] for p in op["parameters"]], path
        assert "304" in op["responses"], path
        assert "ETag" in op["responses"]["200"]["headers"], path


def test_idempotency_key_is_declared_where_it_is_honoured(document):
    for method, path in [("post", "/api/v1/orders"), ("post", "/api/v1/orders/{order_id}/pay")]:
        op = document["paths"][path][method]
        header = [p for p in op["parameters"] if p["name"] == "Idempotency-Key"]
        assert header and header[0]["in"] == "header"
        success = next(v for k, v in op["responses"].items() if k.startswith("2"))
        assert "Idempotent-Replayed" in success["headers"]


def test_throttled_operations_declare_429_with_retry_after(document):
    response = document["paths"]["/api/v1/auth/token"]["post"]["responses"]["429"]
    assert "Retry-After" in response["headers"]


def test_money_input_is_a_decimal_string(document):
    price = document["components"]["schemas"]["ListingIn"]["properties"]["price"]
    assert price["type"] == "string" and price["format"] == "decimal"
    # no amount anywhere may be sent as a JSON number (a float): the project has no floats
    assert "'type': 'number'" not in str(document)


def test_no_unused_models_and_no_query_models(document):
    text = str(document)
    for name in document["components"]["schemas"]:
        assert f"#/components/schemas/{name}'" in text, name
    assert "PageParams" not in document["components"]["schemas"]
    assert "ListingQuery" not in document["components"]["schemas"]


def test_inline_bodies_are_named(document):
    for method, path, op in operations(document):
        for media in op.get("requestBody", {}).get("content", {}).values():
            assert "$ref" in media["schema"], (method, path)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        self.urls += [v for k, v in attrs if k in {"src", "href"} and v]


def test_docs_load_nothing_from_another_host(api, client):
    # given the interactive docs page
    page = api.get("/docs")
    assert page.status_code == 200
    html = page.content.decode()
    links = _Links()
    links.feed(html)
    # then every script, style and icon is ours and served
    assert links.urls
    for url in links.urls:
        assert not re.match(r"^(https?:)?//", url), url
        assert client.get(url).status_code == 200, url
    assert not re.search(r"https?://(?!127\.0\.0\.1|localhost|testserver)", html)
    assert '"validatorUrl": null' in html
