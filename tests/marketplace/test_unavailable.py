"""A dependency that is away degrades the service, never into a 500 or a hang: the database ->
503 `service_unavailable` with Retry-After; Redis -> throttling per process, sign-in still works;
storage -> 503 `storage_unavailable` with nothing half-written (tests/producers/test_images.py)."""

import socket
import time

import psycopg
import pytest
from django.db import close_old_connections, connection

from accounts import throttling

STRONG = "Orchard-Harvest-2026"


def closed_port() -> int:
    """A local port nothing listens on: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def terminate_own_connection() -> None:
    """pg_terminate_backend of this test's own connection, and only that one."""
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(100):  # terminate is asynchronous: wait until the backend is gone
        with psycopg.connect(**params, autocommit=True) as admin:
            if not admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s",
                                 [pid]).fetchone():
                return
        time.sleep(0.02)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_dropped_database_connection_is_503_with_retry_after_not_500(api, regions):
    terminate_own_connection()
    # a request whose connection is broken under it (no health check between: mid-request)
    connection.health_check_done = True
    response = api.get(f"/regions/{regions['henan'].pk}")
    assert response.status_code == 503, response.content
    assert response["Retry-After"] == "5"
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"] == {"retry_after": 5}
    # the next request starts as a server starts each one, and is served on a new connection
    close_old_connections()
    assert api.get(f"/regions/{regions['henan'].pk}").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_connection_that_went_stale_between_requests_costs_no_request(api, regions):
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    assert api.get(f"/regions/{regions['henan'].pk}").status_code == 200
    terminate_own_connection()  # PostgreSQL restarted while the connection sat idle
    close_old_connections()  # what Django does as the next request starts
    assert api.get(f"/regions/{regions['henan'].pk}").status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_page_outside_the_api_is_503_too(api):
    terminate_own_connection()
    connection.health_check_done = True
    response = api.get("/trace/NOSUCHCODE")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    close_old_connections()


@pytest.fixture
def redis_away(settings):
    """The shared cache (throttling) on a Redis that refuses connections."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
    }}
    throttling.reset_local()
    yield
    throttling.reset_local()


@pytest.mark.django_db
def test_sign_up_and_sign_in_work_while_redis_is_away_and_are_still_throttled(
    api, settings, redis_away
):
    settings.AUTH_THROTTLE_RATE = "3/min"
    started = time.monotonic()
    registered = api.post("/auth/register", {"username": "farmer_li", "password": STRONG})
    assert registered.status_code == 201, registered.content
    signed_in = api.post("/auth/token", {"username": "farmer_li", "password": STRONG})
    assert signed_in.status_code == 200, signed_in.content
    # a refused connection costs nothing (no retries, no sleeping): bounded even on a busy machine
    assert time.monotonic() - started < 6
    # the same address keeps being limited (3 sign-ins a minute), per process
    statuses = [api.post("/auth/token", {"username": "farmer_li", "password": STRONG}
                         ).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_every_redis_client_has_socket_and_connect_timeouts(settings):
    from shanhuo.celery import app

    assert settings.REDIS_TIMEOUT > 0
    transport = app.conf.broker_transport_options
    assert transport["socket_connect_timeout"] == settings.REDIS_TIMEOUT
    assert transport["socket_timeout"] == settings.REDIS_TIMEOUT
    assert transport["max_retries"] == 0  # a publish fails fast; the outbox relay retries
    assert 60 <= transport["visibility_timeout"] <= 1800  # minutes, not an hour
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
