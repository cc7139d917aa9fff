"""Fixtures every test module shares: an API client, a buyer with a token, a small region tree.
Rows are made with the functions of `tests/factories.py`.

Tests that only mean something on PostgreSQL or with Redis carry `@pytest.mark.postgres` /
`@pytest.mark.redis` and are skipped, with the reason printed, when those services are not
configured (`make test` without DATABASE_URL / REDIS_URL).

Tests whose result cannot depend on the database carry `@pytest.mark.backend_independent`: they
touch no database (a marked test that asks for one fails the collection, and pytest-django
refuses any query from a test that did not ask). `make test` runs them like every other test;
CI's SQLite pass sets SHANHUO_DESELECT_BACKEND_INDEPENDENT=1 and leaves them to its PostgreSQL
pass, which runs the whole suite (the setting is refused on PostgreSQL).
"""

import os

import pytest
from django.conf import settings

from producers.models import Category, Region
from tests.client import ApiClient
from tests.factories import client_for, make_categories, make_regions, make_user
from tests.legacy import database_env  # noqa: F401 (a database made by older code)
from tests.notify.fake_sms import aliyun_sms, sms_gateway, tencent_sms  # noqa: F401
from tests.notify.fake_wechat_mp import wechat_mp  # noqa: F401 (fake WeChat mini-program API)
from tests.payments.fake_wechat import wechat_platform  # noqa: F401 (a fake WeChat Pay)
from tests.redis_server import own_redis  # noqa: F401 (a fixture for every test module)


@pytest.fixture(autouse=True, scope="session")
def _ledger_flushable_on_sqlite():
    """The ledger's entries may never be deleted, and on SQLite a test database is emptied
    with DELETE (PostgreSQL truncates, which row triggers do not see). Around that flush, and
    only there, the SQLite triggers are dropped and put back."""
    from django.db import connection

    from benefit import triggers as benefit_triggers
    from ledger import triggers

    if connection.vendor != "sqlite":
        yield
        return
    operations = type(connection.ops)
    original = operations.sql_flush

    def sql_flush(self, style, tables, *, reset_sequences=False, allow_cascade=False):
        sql = original(self, style, tables, reset_sequences=reset_sequences,
                       allow_cascade=allow_cascade)
        if "books_entry" in tables:
            sql = [*triggers.SQLITE_REMOVE, *sql, *triggers.SQLITE_INSTALL]
        if "benefit_publicentry" in tables:  # the public ledger's own (benefit/triggers.py)
            sql = [*benefit_triggers.SQLITE_REMOVE, *sql, *benefit_triggers.SQLITE_INSTALL]
        return sql

    operations.sql_flush = sql_flush
    yield
    operations.sql_flush = original


@pytest.fixture(autouse=True)
def _fresh_per_process_counts():
    """The suite runs many tests in one process: what one test counted must not count in the
    next. Before each test the shared cache (a LocMemCache here: sign-in failures and locks,
    throttle histories, phone-code limits) is emptied, and so are the counts the lock-out and
    the throttles keep in this process alone while Redis does not answer, with the note that
    it did not (a test that froze or closed Redis would otherwise leave later tests counting
    into those, and five wrong codes of an earlier test locking a later one out)."""
    from django.core.cache import cache

    from accounts import lockout, throttling

    cache.clear()
    lockout.reset_local()
    throttling.reset_local()


# What a test asks for when it uses the database.
DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences",
                     "django_db_serialized_rollback", "live_server", "real_worker"}


def _backend_independent(items) -> list:
    marked = [item for item in items if item.get_closest_marker("backend_independent")]
    wrong = [item.nodeid for item in marked
             if DATABASE_FIXTURES & set(item.fixturenames)
             or any(item.get_closest_marker(m) for m in ("django_db", "postgres", "redis"))]
    if wrong:
        raise pytest.UsageError(
            "marked backend_independent but they use the database or a service: "
            + ", ".join(wrong))
    return marked


def pytest_collection_modifyitems(config, items):
    independent = _backend_independent(items)
    if os.environ.get("SHANHUO_DESELECT_BACKEND_INDEPENDENT") == "1" and independent:
        if settings.USING_POSTGRES:
            raise pytest.UsageError(
                "SHANHUO_DESELECT_BACKEND_INDEPENDENT=1 is for CI's SQLite pass: the PostgreSQL "
                "pass is where the backend-independent tests run")
        config.hook.pytest_deselected(items=independent)
        chosen = set(independent)
        items[:] = [item for item in items if item not in chosen]
        config.stash[_DESELECTED] = len(independent)
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


_DESELECTED = pytest.StashKey[int]()


def pytest_terminal_summary(terminalreporter, config):
    if count := config.stash.get(_DESELECTED, 0):
        terminalreporter.write_line(
            f"{count} deselected: backend-independent, run in the PostgreSQL pass "
            "(SHANHUO_DESELECT_BACKEND_INDEPENDENT=1)")


@pytest.fixture
def api():
    """An anonymous client."""
    return ApiClient()


@pytest.fixture
def buyer(db):
    return make_user(username="buyer")


@pytest.fixture
def buyer_api(buyer):
    return client_for(buyer)


@pytest.fixture
def regions(db) -> dict[str, Region]:
    """A small tree: 河南省 / 周口市 / 太康县 / 城关回族镇 / 二郎庙村, 浙江省 / 杭州市 / 西湖区."""
    return make_regions()


@pytest.fixture
def categories(db) -> dict[str, Category]:
    return make_categories()


def set_broker(url: str | None, *, eager: bool) -> None:
    """Point the Celery app at another broker (or make it eager), dropping the connections and
    producers it holds for the old one; also closes the outbox's breaker."""
    from kombu import pools

    from outbox import services
    from shanhuo.celery import app

    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()
    app.conf.update(task_always_eager=eager, **({"broker_url": url} if url else {}))
    services._breaker["open_until"] = 0.0


@pytest.fixture
def celery_broker():
    """`celery_broker(url, eager=False)` for the test; the settings are restored after it."""
    from shanhuo.celery import app

    previous = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    yield set_broker
    set_broker(previous["broker_url"], eager=previous["task_always_eager"])


@pytest.fixture
def real_worker(transactional_db):
    """A real Celery worker consuming from Redis (REDIS_URL) for the test's duration.

    Yields `result(async_result, timeout=30)`, which reads a task's return value back through
    Redis. Tests using it carry `@pytest.mark.redis`.
    """
    from celery.backends.redis import RedisBackend
    from celery.contrib.testing.worker import start_worker

    from shanhuo.celery import app

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


@pytest.fixture
def delivery_retries(monkeypatch):
    """`delivery_retries(n)`: notify's deliver task tries a provider that is down n more times
    (eager Celery runs them at once), then gives up."""
    from notify.tasks import deliver

    def set_retries(count: int) -> None:
        monkeypatch.setattr(deliver, "max_retries", count)

    return set_retries
