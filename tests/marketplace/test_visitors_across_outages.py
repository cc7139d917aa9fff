"""Exact clicks and trace-page looks across Redis outages: the mark rows the
database takes while Redis is away and the visitors Redis holds merge by visitor in the
roll-up, so an outage neither doubles nor loses a visitor, and a Redis restarted empty does
not freeze the count. Both counters, through what a client uses: GET /p/{code} (a share link)
and the promoter's stats; GET /trace/{code} (a lot's page) and the trace JSON.

Each test runs its own redis-server (tests/redis_server.py) and stops, freezes or restarts it
empty mid-way, as an operator would meet it.
"""

import pytest
from django.utils import timezone

from producers.models import BatchScan, BatchScanDaily
from producers.tasks import rollup_scans
from promotion.models import Click, ClickDaily
from promotion.tasks import rollup_clicks
from tests.concurrency import run_concurrently
from tests.factories import (
    client_for,
    make_batch,
    make_link,
    make_listing,
    make_producer,
    make_promoter,
    make_video,
)

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"
BOT = "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)"


def address(n: int) -> str:
    return f"203.0.113.{n + 1}"


class Clicks:
    """A promoter's share link: a visit is GET /p/{code}; the live count is today's part of
    the promoter's click total (the link is a day old: nothing rolled up before today)."""

    mark, rollup = Click, rollup_clicks

    def __init__(self, api):
        promoter = make_promoter()
        listing = make_listing(producer=make_producer(), commission_rate="0.10")
        self.link = make_link(video=make_video(owner=promoter.user), listing=listing)
        self.api, self.promoter_api = api, client_for(promoter.user)

    def visit(self, n: int, ua: str = PHONE) -> None:
        response = self.api.get(f"/p/{self.link.code}", HTTP_USER_AGENT=ua,
                                REMOTE_ADDR=address(n))
        assert response.status_code == 302

    def live(self) -> int:
        return self.promoter_api.get("/promoters/me/stats").json()["totals"]["clicks"]

    def daily(self) -> int:
        row = ClickDaily.objects.filter(link=self.link, day=timezone.localdate()).first()
        return row.clicks if row else 0


class Scans:
    """A lot's trace label: a visit is GET /trace/{code} (the page a phone opens); the live
    count is `scans` in the trace JSON, read by a crawler (which is never counted)."""

    mark, rollup = BatchScan, rollup_scans

    def __init__(self, api):
        self.batch = make_batch(listing=make_listing(producer=make_producer()))
        self.api = api

    def visit(self, n: int, ua: str = PHONE) -> None:
        response = self.api.get(f"/trace/{self.batch.trace_code}", HTTP_USER_AGENT=ua,
                                REMOTE_ADDR=address(n))
        assert response.status_code == 200

    def live(self) -> int:
        return self.api.get(f"/api/v1/trace/{self.batch.trace_code}",
                            HTTP_USER_AGENT=BOT).json()["scans"]

    def daily(self) -> int:
        row = BatchScanDaily.objects.filter(batch=self.batch,
                                            day=timezone.localdate()).first()
        self.batch.refresh_from_db()
        assert self.batch.scans == (row.visitors if row else 0)
        return row.visitors if row else 0


@pytest.fixture(params=["clicks", "scans"])
def counter(request, api, categories, own_redis, settings):
    settings.CLICK_REDIS_URL = own_redis.url
    return {"clicks": Clicks, "scans": Scans}[request.param](api)


def rolled_up(counter) -> int:
    counter.rollup.delay()
    return counter.daily()


def test_21_visitors_across_an_outage_and_an_empty_restart_count_21(counter, own_redis):
    # 8 visitors with Redis up, rolled up (every minute, by beat)
    for n in range(8):
        counter.visit(n)
    assert counter.mark.objects.count() == 0  # nothing written on the request path
    assert (counter.live(), rolled_up(counter)) == (8, 8)

    # Redis stops: 8 new visitors and 4 of the first ones again, counted in the database
    own_redis.stop()
    for n in [*range(8, 16), 0, 1, 2, 3]:
        counter.visit(n)
    assert (counter.live(), rolled_up(counter)) == (16, 16)

    # Redis is back, empty (no persistence): 5 new visitors, 4 from the outage and 2 from
    # before it come again
    own_redis.start()
    for n in [*range(16, 21), 8, 9, 10, 11, 4, 5]:
        counter.visit(n)
    assert counter.live() >= 21  # nothing lost while the roll-up has not run yet

    # the roll-up merges by visitor: exactly 21, live and rolled up, and again the same
    assert rolled_up(counter) == 21
    assert counter.live() == 21
    assert rolled_up(counter) == 21
    assert counter.mark.objects.count() == 21


def test_a_visitor_seen_during_the_outage_and_after_it_counts_once(counter, own_redis):
    counter.visit(0)
    counter.visit(1)
    assert rolled_up(counter) == 2
    # Redis stalls: the visits time out and are counted in the database (a timed-out visit
    # may still reach Redis once it wakes up)
    own_redis.freeze()
    counter.visit(2)
    counter.visit(3)
    counter.visit(0)
    own_redis.thaw()
    # and the same people come back once it answers again
    for n in (2, 3, 0, 4):
        counter.visit(n)
    assert rolled_up(counter) == 5
    assert counter.live() == 5
    assert counter.mark.objects.filter(synced=False).count() == 0


def test_a_redis_restarted_empty_does_not_freeze_the_count(counter, own_redis):
    for n in range(10):
        counter.visit(n)
    assert rolled_up(counter) == 10
    own_redis.stop()
    own_redis.start()
    # the count neither drops nor freezes: new visitors show at once
    assert counter.live() == 10
    counter.visit(10)
    assert counter.live() == 11
    counter.visit(11)
    assert counter.live() == 12
    # and in the daily table after the roll-up, which puts the day back into Redis
    assert rolled_up(counter) == 12
    assert counter.live() == 12
    counter.visit(12)
    counter.visit(3)  # an earlier visitor: already counted
    assert counter.live() == 13
    assert rolled_up(counter) == 13


def test_bots_are_never_counted_before_during_or_after_an_outage(counter, own_redis):
    counter.visit(0)
    counter.visit(1, ua=BOT)
    assert rolled_up(counter) == 1
    own_redis.stop()
    counter.visit(2, ua=BOT)
    counter.visit(3, ua="")
    own_redis.start()
    counter.visit(4, ua="curl/8.4.0")
    assert rolled_up(counter) == 1
    assert counter.live() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_rollup_twice_at_once_and_again_changes_nothing(counter, own_redis):
    for n in range(6):
        counter.visit(n)
    counter.rollup.delay()
    own_redis.stop()
    for n in range(4, 10):  # 4 new, 2 again
        counter.visit(n)
    own_redis.start()
    for n in (8, 10, 11, 0):  # 2 new, 2 again
        counter.visit(n)
    results = run_concurrently(counter.rollup.delay, counter.rollup.delay)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert (counter.daily(), counter.live()) == (12, 12)
    results = run_concurrently(counter.rollup.delay, counter.rollup.delay)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert rolled_up(counter) == 12
    assert counter.live() == 12
    assert counter.mark.objects.count() == 12
