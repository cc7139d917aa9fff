"""Fixtures every test module shares: an API client, accounts with tokens, a small region tree.

Tests that only mean something on PostgreSQL or with Redis carry `@pytest.mark.postgres` /
`@pytest.mark.redis` and are skipped, with the reason printed, when those services are not
configured (`make test` without DATABASE_URL / REDIS_URL).
"""

import itertools
import os

import pytest
from django.conf import settings
from django.test import Client

from marketplace.auth import token_issue
from marketplace.models import User
from producers.categories import categories_load
from producers.models import Region
from producers.regions import _place

_counter = itertools.count(1)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("SHANHUO_REQUIRE_SERVICES") == "1":
        missing = [name for name, ok in (("PostgreSQL (DATABASE_URL)", settings.USING_POSTGRES),
                                         ("Redis (REDIS_URL)", bool(settings.REDIS_URL))) if not ok]
        if missing:
            raise pytest.UsageError(
                "SHANHUO_REQUIRE_SERVICES=1 but not configured: " + ", ".join(missing)
            )
    skip_pg = pytest.mark.skip(
        reason="needs PostgreSQL: set DATABASE_URL=postgres://... (row locks, real concurrency)"
    )
    skip_redis = pytest.mark.skip(reason="needs Redis: set REDIS_URL=redis://... (real worker)")
    for item in items:
        if "postgres" in item.keywords and not settings.USING_POSTGRES:
            item.add_marker(skip_pg)
        if "redis" in item.keywords and not settings.REDIS_URL:
            item.add_marker(skip_redis)


class ApiClient(Client):
    """Django's test client speaking JSON to /api/v1 with an optional bearer token."""

    def __init__(self, token: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.token = token

    def _headers(self, headers):
        headers = dict(headers or {})
        if self.token:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return headers

    def _url(self, path: str) -> str:
        """API paths may be given without the /api/v1 prefix; site pages are left alone."""
        if path.startswith(("/api/", "/trace/", "/p/", "/admin/", "/media/")):
            return path
        return f"/api/v1{path}"

    def get(self, path, data=None, headers=None, **extra):
        return super().get(self._url(path), data, headers=self._headers(headers), **extra)

    def post(self, path, data=None, headers=None, content_type="application/json", **extra):
        return super().post(self._url(path), data, content_type=content_type,
                            headers=self._headers(headers), **extra)

    def patch(self, path, data=None, headers=None, content_type="application/json", **extra):
        return super().patch(self._url(path), data, content_type=content_type,
                             headers=self._headers(headers), **extra)

    def delete(self, path, data=None, headers=None, **extra):
        return super().delete(self._url(path), data, headers=self._headers(headers), **extra)

    def upload(self, path, files: dict, headers=None, **extra):
        """multipart/form-data POST (photos)."""
        return super().post(self._url(path), files, headers=self._headers(headers), **extra)


@pytest.fixture
def api():
    """An anonymous client."""
    return ApiClient()


@pytest.fixture
def make_user(db):
    def make(username: str | None = None, **fields) -> User:
        username = username or f"user{next(_counter)}"
        user = User.objects.create(username=username, **fields)
        user.set_password("a-Strong-pass-123")
        user.save(update_fields=["password"])
        return user

    return make


@pytest.fixture
def client_for(db):
    """`client_for(user)` -> an ApiClient signed in as that user."""

    def make(user: User) -> ApiClient:
        raw, _ = token_issue(user=user)
        return ApiClient(token=raw)

    return make


@pytest.fixture
def buyer(make_user):
    return make_user("buyer")


@pytest.fixture
def buyer_api(buyer, client_for):
    return client_for(buyer)


def _region(code: str, name: str, level: str, parent: Region | None) -> Region:
    region = Region(code=code, name=name, level=level)
    _place(region, parent)
    region.save()
    return region


@pytest.fixture
def regions(db) -> dict[str, Region]:
    """A small tree: 河南省 / 周口市 / 太康县 / 城关回族镇 / 二郎庙村, 浙江省 / 杭州市 / 西湖区."""
    henan = _region("410000", "河南省", "province", None)
    zhoukou = _region("411600", "周口市", "prefecture", henan)
    taikang = _region("411627", "太康县", "county", zhoukou)
    town = _region("411627100000", "城关回族镇", "township", taikang)
    village = _region("411627100201", "二郎庙村", "village", town)
    zhejiang = _region("330000", "浙江省", "province", None)
    hangzhou = _region("330100", "杭州市", "prefecture", zhejiang)
    xihu = _region("330106", "西湖区", "county", hangzhou)
    return {
        "henan": henan, "zhoukou": zhoukou, "taikang": taikang, "town": town,
        "village": village, "zhejiang": zhejiang, "hangzhou": hangzhou, "xihu": xihu,
    }


@pytest.fixture
def categories(db):
    categories_load()
    from producers.models import Category

    return {c.slug: c for c in Category.objects.all()}


@pytest.fixture
def real_worker(transactional_db):
    """A real Celery worker consuming from Redis (REDIS_URL) for the test's duration.

    Yields `result(async_result, timeout=30)`, which reads a task's return value back through
    Redis. Tests using it carry `@pytest.mark.redis`.
    """
    from celery.backends.redis import RedisBackend
    from celery.contrib.testing.worker import start_worker

    from marketplace.celery import app

    url = settings.REDIS_URL
    keys = ("task_always_eager", "broker_url", "result_backend", "task_ignore_result")
    previous = {key: app.conf[key] for key in keys}
    app.conf.update(task_always_eager=False, broker_url=url, result_backend=url,
                    task_ignore_result=False)
    # Earlier eager tests leave a disabled result backend cached on the app: read through Redis.
    backend = RedisBackend(app=app, url=url)

    def result(sent, timeout: float = 30):
        return app.AsyncResult(sent.id, backend=backend).get(timeout=timeout)

    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield result
    finally:
        app.conf.update(previous)
