"""Hardening round three, item 3: a visitor is no cheaper to forge than an address. Clicks and
trace-page looks are keyed on the address (IPv4 /32, IPv6 /64) and the day; the user agent
only picks one of VISITOR_AGENTS_PER_ADDRESS slots, so rotating it adds at most that many."""

import pytest
from django.utils import timezone

from producers.tasks import rollup_scans
from promotion.models import ClickDaily
from promotion.tasks import rollup_clicks
from tests.factories import (
    make_batch,
    make_link,
    make_listing,
    make_producer,
    make_promoter,
    make_video,
)

pytestmark = pytest.mark.django_db


def agent(n: int) -> str:
    return (f"Mozilla/5.0 (Linux; Android 14; Pixel {n}) AppleWebKit/537.36 "
            f"Chrome/12{n}.0.0.0 Mobile Safari/537.36")


@pytest.fixture
def link(categories):
    listing = make_listing(producer=make_producer())
    promoter = make_promoter()
    return make_link(video=make_video(owner=promoter.user), listing=listing)


def clicks_today(link) -> int:
    rollup_clicks.delay()
    row = ClickDaily.objects.filter(link=link, day=timezone.localdate()).first()
    return row.clicks if row else 0


def test_fifty_user_agents_from_one_address_add_at_most_the_cap_of_clicks(api, link, settings):
    settings.VISITOR_AGENTS_PER_ADDRESS = 4
    for n in range(50):
        assert api.get(f"/p/{link.code}", HTTP_USER_AGENT=agent(n),
                       REMOTE_ADDR="203.0.113.9").status_code == 302

    assert 1 <= clicks_today(link) <= 4


def test_one_ipv6_prefix_rotating_addresses_and_agents_is_one_address(api, link, settings):
    settings.VISITOR_AGENTS_PER_ADDRESS = 4
    for n in range(50):
        api.get(f"/p/{link.code}", HTTP_USER_AGENT=agent(n),
                REMOTE_ADDR=f"2001:db8:aa:bb:{n:x}::1")
    assert 1 <= clicks_today(link) <= 4


def test_different_addresses_are_still_different_visitors(api, link, settings):
    for n in range(6):
        api.get(f"/p/{link.code}", HTTP_USER_AGENT=agent(0), REMOTE_ADDR=f"203.0.113.{n + 1}")
    api.get(f"/p/{link.code}", HTTP_USER_AGENT=agent(0), REMOTE_ADDR="2001:db8:aa:1::1")
    api.get(f"/p/{link.code}", HTTP_USER_AGENT=agent(0), REMOTE_ADDR="2001:db8:aa:2::1")
    assert clicks_today(link) == 8


def test_rotating_user_agents_from_one_address_cannot_raise_the_copied_label_banner(
        api, categories, settings):
    # given a lot whose page warns past 10 distinct visitors a day
    settings.TRACE_SCAN_WARNING_THRESHOLD = 10
    settings.VISITOR_AGENTS_PER_ADDRESS = 4
    batch = make_batch(listing=make_listing(producer=make_producer()))
    page = f"/trace/{batch.trace_code}"

    # when one address looks 60 times with 60 user agents
    for n in range(60):
        assert api.get(page, HTTP_USER_AGENT=agent(n),
                       REMOTE_ADDR="203.0.113.66").status_code == 200
    rollup_scans.delay()

    # then the victim's page does not say the label may be copied
    seen = api.get(page, HTTP_USER_AGENT=agent(0), REMOTE_ADDR="192.0.2.1")
    assert "此标签可能被复制" not in seen.content.decode()
    trace = api.get(f"/api/v1/trace/{batch.trace_code}", HTTP_USER_AGENT=agent(1),
                    REMOTE_ADDR="192.0.2.1").json()
    assert trace["label_warning"] is False
    assert trace["scans"] <= 4 + 2  # the cap, and the victim's own two looks
