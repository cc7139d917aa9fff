"""Every route of the URL configuration, for each of six actors, against a table.

Routes are walked from the live configuration: the operations registered on the one NinjaAPI
(`shanhuo.api.api`) and every other pattern of `ROOT_URLCONF` (the trace pages, /p/, the
API's docs, the admin). Each must have a row in `permission_table.TABLE`, and each row must still
name a route: a new endpoint without a row fails here, with its name, until someone decides who
may call it. Broken object-level authorization is the first risk of an API like this one.

Each (route, actor) request runs in its own savepoint, rolled back after it, so every actor
meets the same world (tests/whole_site/conftest.py: the owner's listing, lot, videos, links and an
order of the buyer's with the owner's parcel, paid).
"""

import re

import pytest
from django.contrib import admin
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from shanhuo.api import api
from tests.conftest import ApiClient
from tests.whole_site.conftest import ACTORS
from tests.whole_site.permission_table import ADMIN_EXPECT, TABLE, Row

API_PREFIX = "/api/v1"
NINJA_VIEW_MODULE = "ninja.operation"


def _clean(path: str) -> str:
    """`/orders/{int:order_id}` and `/p/(?P<code>[A-Za-z0-9]{4,16})/?` -> `/orders/{order_id}`,
    `/p/{code}`."""
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)(\{[\d,]+\})?", r"{\1}", path)
    path = re.sub(r"\{(?:\w+:)?(\w+)\}", r"{\1}", path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
    path = path.replace("^", "").replace("$", "").replace("/?", "")
    return "/" + path.lstrip("/")


def api_routes() -> set[str]:
    routes = set()
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                full = _clean(f"{API_PREFIX}/{prefix.strip('/')}/{path.lstrip('/')}")
                full = re.sub(r"/+", "/", full)
                for method in operation.methods:
                    routes.add(f"{method} {full}")
    return routes


def site_routes() -> set[str]:
    """Every URL pattern that is not a ninja operation; the admin's many URLs are one entry."""
    routes = set()

    def walk(patterns, prefix: str):
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if getattr(pattern, "namespace", None) == "admin":
                    routes.add("GET /admin/...")
                    continue
                walk(pattern.url_patterns, text)
            elif isinstance(pattern, URLPattern):
                if getattr(pattern.callback, "__module__", "") == NINJA_VIEW_MODULE:
                    continue
                routes.add(f"GET {_clean(text)}")

    walk(get_resolver().url_patterns, "")
    return routes


def all_routes() -> set[str]:
    return api_routes() | site_routes()


def test_every_route_has_a_row_and_every_row_a_route():
    routes = all_routes()
    missing = sorted(routes - set(TABLE))
    stale = sorted(set(TABLE) - routes)
    assert not missing, (
        "Routes with no row in tests/whole_site/permission_table.py (say who may call them):\n  "
        + "\n  ".join(missing))
    assert not stale, "Rows for routes that no longer exist:\n  " + "\n  ".join(stale)


def _url(route: str, row: Row, ids: dict) -> str:
    path = route.split(" ", 1)[1]
    values = {**ids, **row.params}

    def fill(match: re.Match) -> str:
        name = match.group(1)
        source = row.params.get(name, name)
        if source not in values:
            raise AssertionError(f"{route}: no object in the world for the path parameter "
                                 f"{{{name}}} (add it to the row's params)")
        return str(values[source])

    url = re.sub(r"\{(\w+)\}", fill, path)
    query = row.query(ids) if callable(row.query) else row.query
    return url + (f"?{query}" if query else "")


def _call(route: str, row: Row, actor: str, world) -> int:
    method = route.split(" ", 1)[0]
    client = ApiClient(token=world.tokens[actor])
    url = _url(route, row, world.ids)
    body = row.body(world.ids) if callable(row.body) else row.body
    if row.multipart:
        response = client.upload(url, body)
    elif method == "GET":
        response = client.get(url)
    elif method == "DELETE":
        response = client.delete(url)
    else:
        response = getattr(client, method.lower())(url, body if body is not None else {})
    return response.status_code


def _allowed(expected) -> set[int]:
    return set(expected) if isinstance(expected, (set, frozenset, tuple, list)) else {expected}


@pytest.mark.django_db
def test_permission_matrix(site_world):
    """Each actor gets exactly the status the table gives on every API and site route."""
    wrong = []
    routes = sorted(all_routes() & set(TABLE) - {"GET /admin/..."})
    for route in routes:
        rows = TABLE[route] if isinstance(TABLE[route], list) else [TABLE[route]]
        for row in rows:
            for actor in ACTORS:
                expected = _allowed(row.expect[actor])
                with transaction.atomic():
                    status = _call(route, row, actor, site_world)
                    transaction.set_rollback(True)
                if status not in expected:
                    about = f" with {row.params}" if row.params else ""
                    wrong.append(f"{route}{about} as {actor}: {status}, "
                                 f"expected {sorted(expected)}")
    assert not wrong, f"{len(wrong)} permission mismatches:\n  " + "\n  ".join(wrong)


def _admin_pages() -> list[tuple[str, set[int]]]:
    """(url, statuses for staff): the index, and for every registered model its change list
    (and a search when it has search fields), its add page (403 where the admin allows no
    adding) and the change page of its first object."""
    pages = [("/admin/", {200})]
    for model, model_admin in admin.site._registry.items():
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        changelist = reverse(f"{name}_changelist")
        pages.append((changelist, {200}))
        if model_admin.search_fields:
            pages.append((f"{changelist}?q=%E8%8B%B9%E6%9E%9C", {200}))  # q=苹果
        pages.append((reverse(f"{name}_add"), {200, 403}))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            pages.append((reverse(f"{name}_change", args=[first.pk]), {200}))
    return pages


@pytest.mark.django_db
def test_admin_is_for_staff_only(site_world):
    """The admin's pages for every model: staff see them, everyone else is sent to the login
    page (signed in through the admin's own session, not a bearer token)."""
    from django.test import Client

    pages = _admin_pages()
    wrong = []
    for actor in ACTORS:
        client = Client()
        user = site_world.users[actor]
        if user is not None:
            client.force_login(user)
        for url, staff_statuses in pages:
            status = client.get(url).status_code
            expected = staff_statuses if actor == "staff" else _allowed(ADMIN_EXPECT[actor])
            if status not in expected:
                wrong.append(f"GET {url} as {actor}: {status}, expected {sorted(expected)}")
    assert not wrong, f"{len(wrong)} admin mismatches:\n  " + "\n  ".join(wrong)


# Lists answer 200 to everyone signed in, so statuses cannot show a leak: their items can.
# (path, the id in the world, the actors whose list holds it; everyone else's must not)
OWN_LISTS = [
    ("/api/v1/orders", "order_id", {"buyer"}),
    ("/api/v1/orders?role=producer", "order_id", {"owner"}),
    ("/api/v1/shipments", "shipment_id", {"owner"}),
    ("/api/v1/videos", "video_id", {"owner"}),
    ("/api/v1/videos", "promo_video_id", {"promoter"}),
    ("/api/v1/reports", "report_id", {"owner"}),
    ("/api/v1/producers/me/members", "other_member_id", {"other_producer"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "key", "holders"), OWN_LISTS)
def test_lists_show_each_actor_only_their_own(site_world, path, key, holders):
    wanted = site_world.ids[key]
    url = path + ("&" if "?" in path else "?") + "limit=100"
    for actor in ACTORS[1:]:
        response = ApiClient(token=site_world.tokens[actor]).get(url)
        items = response.json().get("items", []) if response.status_code == 200 else []
        ids = {item["id"] for item in items}
        if actor in holders:
            assert wanted in ids, f"{path} as {actor}: their own {key} is missing"
        else:
            assert wanted not in ids, f"{path} as {actor}: shows someone else's {key}"
