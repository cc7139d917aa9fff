"""Faults injected into real services, as an operator would meet them: the tests start their own
Redis (a free port, no persistence) and stop, freeze or restart it mid-flow, kill a Celery worker
process mid-task, and terminate this test's own database connection under a request. Each ends
with every intent done exactly once, and the right status codes on the way.

They need PostgreSQL (a worker process shares the test's database) and the `redis-server`
program; CI has both.
"""

import os
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone

from accounts import throttling
from orders.models import Order, Shipment
from outbox.models import Intent
from outbox.services import relay
from producers.models import ListingImage
from tests.factories import (
    PASSWORD,
    client_for,
    make_listing,
    make_order,
    make_producer,
    make_user,
)
from tests.producers.conftest import jpeg_bytes
from tests.redis_server import wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def in_process_worker():
    from celery.contrib.testing.worker import start_worker

    from shanhuo.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield


def relaying(check):
    """`check`, with the relay run at each look as beat runs it every few seconds: what a
    task enqueues while the outbox's breaker is still open after an outage (notify's
    deliveries) is left to the relay."""

    def look():
        relay(now=timezone.now() + timedelta(seconds=settings.OUTBOX_GRACE))
        return check()

    return look


def all_done(count: int):
    """`count` intents of the apps' own work, and every intent done (notify's deliveries, which
    that work enqueues in turn, included)."""

    def check():
        rows = list(Intent.objects.values_list("task", "status"))
        own = [task for task, _ in rows if not task.startswith("notify.")]
        return len(own) == count and {status for _, status in rows} == {Intent.Status.DONE}

    return check


@pytest.fixture
def shop(categories):
    """Two farms with a listing each, a buyer with an unpaid order from both."""
    farms = [make_producer(), make_producer()]
    listings = [make_listing(producer=farm, stock=50) for farm in farms]
    buyer = make_user(username="buyer_fault")
    order = make_order(buyer=buyer, lines=[(listings[0], 2), (listings[1], 1)])
    second = make_order(buyer=buyer, lines=[(listings[0], 1)])
    return {"farms": farms, "buyer": buyer, "buyer_api": client_for(buyer), "order": order,
            "second": second, "farm_apis": [client_for(f.user) for f in farms]}


def test_redis_stopped_then_restarted_empty_mid_flow_loses_no_mail_and_sends_none_twice(
    own_redis, celery_broker, shop, settings
):
    celery_broker(own_redis.url, eager=False)
    buyer_api, order = shop["buyer_api"], shop["order"]

    # Redis up, a worker running: paying mails each farm its packing list
    with in_process_worker():
        assert buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"}).status_code == 200
        wait_for(relaying(all_done(1)), what="the packing lists")
    assert len(mail.outbox) == 2

    # Redis stops: shipping and paying still answer at once, their mails wait in the outbox
    own_redis.stop()
    parcel = Shipment.objects.get(order=order, producer=shop["farms"][0])
    started = time.monotonic()
    shipped = shop["farm_apis"][0].post(f"/shipments/{parcel.pk}/ship",
                                        {"carrier": "顺丰速运",
                                         "tracking_number": "SF1234567890123"})
    paid = buyer_api.post(f"/orders/{shop['second'].pk}/pay", {"method": "sandbox"})
    assert (shipped.status_code, paid.status_code) == (200, 200)
    assert time.monotonic() - started < 6  # bounded loosely: a busy CI machine
    waiting = Intent.objects.filter(status=Intent.Status.PENDING)
    assert waiting.count() == 2 and all(i.error for i in waiting)
    assert relay() == 0  # the relay cannot hand them over either, and says why
    assert len(mail.outbox) == 2

    # Redis is back: the relay hands them over... and Redis restarts empty before any worker
    # took them (no persistence): the queued tasks vanish
    own_redis.start()
    soon = timezone.now() + timedelta(seconds=settings.OUTBOX_RELAY_BACKOFF)
    wait_for(lambda: relay(now=soon) + Intent.objects.filter(
        status=Intent.Status.SENT).count() == 2, what="the relay to hand both over")
    own_redis.stop()
    own_redis.start()
    assert relay() == 0  # handed over: not due again yet

    # not done in OUTBOX_REDELIVER_AFTER: handed over again, and done once each
    later = soon + timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER + 1)
    assert relay(now=later) == 2
    with in_process_worker():
        wait_for(relaying(all_done(3)), what="every mail")
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(subjects) == 4 and len(set(zip(subjects, [m.to[0] for m in mail.outbox],
                                              strict=True))) == 4
    # the two handed over into the Redis that restarted empty (the test's relay, which looks
    # past the grace, may also hand one of notify's over beside the fast path: harmless, the
    # mails above went out once each)
    assert Intent.objects.filter(attempts=2).exclude(task__startswith="notify.").count() == 2


def test_a_frozen_redis_delays_no_request_by_more_than_its_timeout(
    own_redis, celery_broker, shop, settings
):
    celery_broker(own_redis.url, eager=False)
    settings.REDIS_URL = own_redis.url
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": own_redis.url,
        "OPTIONS": {"socket_timeout": settings.REDIS_TIMEOUT,
                    "socket_connect_timeout": settings.REDIS_TIMEOUT},
    }}
    throttling._shared_down_until["t"] = 0.0
    api, buyer_api, order = client_for(shop["buyer"]), shop["buyer_api"], shop["order"]
    # warm connections first, as a running server has them
    assert api.get("/health").json()["broker"] == "ok"
    assert api.post("/auth/token", {"username": "buyer_fault",
                                    "password": PASSWORD}).status_code == 200
    own_redis.freeze()
    try:
        timings = {}
        for name, call in {
            "pay": lambda: buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"}),
            "sign_in": lambda: api.post("/auth/token", {"username": "buyer_fault",
                                                        "password": PASSWORD}),
            "health": lambda: api.get("/health"),
        }.items():
            started = time.monotonic()
            response = call()
            timings[name] = (response.status_code, time.monotonic() - started)
            if name == "health":
                assert response.json()["broker"] == "down"
        assert {name: status for name, (status, _) in timings.items()} == {
            "pay": 200, "sign_in": 200, "health": 200}
        limit = 2 * settings.REDIS_TIMEOUT + 4  # a hang would be minutes; a busy CI machine
        assert all(took < limit for _, took in timings.values()), timings
    finally:
        own_redis.thaw()
        throttling._shared_down_until["t"] = 0.0
    assert Order.objects.get(pk=order.pk).status == "paid"
    # the packing-list mail was left to the relay, which hands it over now that Redis answers
    assert wait_for(lambda: relay(now=timezone.now() + timedelta(seconds=60))) == 1
    with in_process_worker():
        wait_for(relaying(all_done(1)), what="the packing lists")
    assert len(mail.outbox) == 2


def _worker_process(own_redis, env_extra=None) -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shanhuo.test_settings",
        "DATABASE_URL": (f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/"
                         f"{db['NAME']}"),
        "REDIS_URL": own_redis.url,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE,
        **(env_extra or {}),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shanhuo", "worker", "--pool=prefork",
         "--concurrency=1", "--loglevel=WARNING", "--without-gossip", "--without-mingle",
         "--without-heartbeat"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def _admin_connection(*, autocommit: bool = False):
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=autocommit)


def _waiting_on_a_lock() -> list[int]:
    """Backends of this test's database waiting for a row lock (a fresh statistics snapshot:
    a transaction would keep seeing its first one)."""
    with _admin_connection(autocommit=True) as watch:
        return [pid for (pid,) in watch.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'").fetchall()]


def test_a_worker_process_killed_mid_task_runs_the_task_again_to_the_end(
    own_redis, celery_broker, shop
):
    celery_broker(own_redis.url, eager=False)
    farm = shop["farms"][0]
    listing = farm.listings.first()
    image_id = _upload_photo(farm, listing)  # its task waits in Redis: no worker yet
    worker = None
    try:
        with _admin_connection() as lock:
            # the test holds the photo's row, so the task stops at its last step (saving the
            # thumbnails' names): mid-task, with its files already cut
            lock.execute("SELECT id FROM producers_listingimage WHERE id = %s FOR UPDATE",
                         [image_id])
            worker = _worker_process(own_redis)
            wait_for(lambda: len(_waiting_on_a_lock()) == 1,
                      what="the task to reach the locked row")
            # kill the pool process doing it
            children = _children(worker.pid)
            assert len(children) == 1
            os.kill(children[0], signal.SIGKILL)
            wait_for(lambda: _children(worker.pid) and _children(worker.pid) != children,
                      what="a new pool process")
            # the task goes back on the queue and runs again; whichever run saves its names
            # first wins, the other deletes its own files
            lock.rollback()
        wait_for(all_done(1), what="the thumbnails")
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=20)
    image = ListingImage.objects.get(pk=image_id)
    assert image.status == "ready" and image.small and image.medium
    intent = Intent.objects.get()
    assert intent.attempts == 1  # handed over once: the broker gave it back by itself
    stem = Path(image.original.name).stem
    thumbs = [p.name for p in Path(settings.MEDIA_ROOT).rglob(f"{stem}-*")]
    assert sorted(thumbs) == sorted([Path(image.small.name).name,
                                     Path(image.medium.name).name])


def _upload_photo(farm, listing) -> int:
    response = client_for(farm.user).upload(
        f"/listings/{listing.pk}/images",
        {"file": SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")},
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_the_database_connection_terminated_under_a_request_is_503_and_a_retry_pays_once(
    shop
):
    buyer_api, order = shop["buyer_api"], shop["order"]
    outcome = {}

    def pay():
        try:
            outcome["first"] = buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
        finally:
            connection.close()

    with _admin_connection() as lock:
        lock.execute("SELECT id FROM orders_order WHERE id = %s FOR UPDATE", [order.pk])
        request = threading.Thread(target=pay)
        request.start()
        # the request waits for the order's row: terminate its connection (this test's
        # database, the one backend waiting on our lock)
        (pid,) = wait_for(_waiting_on_a_lock, what="the request to wait for the order")
        lock.execute("SELECT pg_terminate_backend(%s)", [pid])
        request.join(timeout=30)
        lock.rollback()
    first = outcome["first"]
    assert first.status_code == 503, first.content
    assert first["Retry-After"] == "5"
    assert first.json()["error"]["code"] == "service_unavailable"
    assert first.json()["error"]["details"] == {"retry_after": 5}
    order.refresh_from_db()
    assert order.status == "pending_payment" and not order.payments.exists()
    assert not Intent.objects.exists()

    retry = buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert retry.status_code == 200, retry.content
    assert order.payments.count() == 1
    assert all_done(1)()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f.user.email for f in shop["farms"])


def test_a_paid_order_whose_answer_cannot_be_read_back_is_not_paid_and_a_retry_pays_once(shop):
    """The answer of a write is made inside its transaction: a failure while reading the order
    back (here, the connection terminated while the read waits) rolls the payment back with
    it, so the 503 is true and a plain retry pays once, never twice."""
    buyer_api, order = shop["buyer_api"], shop["order"]
    outcome = {}

    def pay():
        try:
            outcome["first"] = buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
        finally:
            connection.close()

    with _admin_connection() as lock:
        # the places table: read by the answer (the shipping address), never by paying
        lock.execute("LOCK TABLE producers_region IN ACCESS EXCLUSIVE MODE")
        request = threading.Thread(target=pay)
        request.start()
        (pid,) = wait_for(_waiting_on_a_lock, what="the answer to wait for the places")
        lock.execute("SELECT pg_terminate_backend(%s)", [pid])
        request.join(timeout=30)
        lock.rollback()
    assert outcome["first"].status_code == 503, outcome["first"].content
    order.refresh_from_db()
    assert order.status == "pending_payment" and not order.payments.exists()
    assert not Intent.objects.exists() and mail.outbox == []

    retry = buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert retry.status_code == 200 and retry.json()["status"] == "paid"
    assert order.payments.count() == 1 and all_done(1)()
    assert len(mail.outbox) == 2
