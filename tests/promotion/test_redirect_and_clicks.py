"""GET /p/{code}: a 302 to the stored landing only; clicks counted once per visitor a day, never
for bots, never with the raw address; the roll-up is idempotent; Redis when configured."""

import uuid
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings

from marketplace import visitors
from promotion import attribution, services
from promotion.models import Click, ClickDaily
from promotion.tasks import rollup_clicks
from tests.factories import make_link, make_video

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile"
ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile"


@pytest.fixture
def link(farm, promoter):
    user = promoter[0].user
    video = make_video(owner=user, external_id="av170001")
    return make_link(video=video, listing=farm["apples"], code="AbCd2345")


def visit(api, code: str, *, ua: str = PHONE, address: str = "203.0.113.7", path_extra=""):
    return api.get(f"/p/{code}{path_extra}", HTTP_USER_AGENT=ua, REMOTE_ADDR=address)


def another_device(ua: str) -> str:
    """A user agent that takes another of its address's slots than `ua`."""
    return next(other for n in range(100) if visitors.agent_slot(
        other := f"{ANDROID} build/{n}") != visitors.agent_slot(ua))


def clicks_of(link) -> dict:
    rollup_clicks.delay()
    return {row.day.isoformat(): row.clicks for row in ClickDaily.objects.filter(link=link)}


# --- The redirect -------------------------------------------------------------------------------

def destination(response) -> str:
    """Where a redirect goes, without the signed `visit` it hands over (which must be there,
    for the link it came from, and nothing else may be)."""
    url = urlsplit(response["Location"])
    query = parse_qs(url.query)
    assert set(query) == {"visit"}, url
    assert attribution.visit_link_id(query["visit"][0]) is not None
    assert response.cookies[attribution.COOKIE].value == query["visit"][0]
    return urlunsplit(url._replace(query=""))


def test_the_share_link_redirects_to_the_listing_landing(api, link, farm):
    response = visit(api, link.code)
    assert response.status_code == 302
    assert destination(response) == f"/l/{farm['apples'].pk}"
    assert "no-store" in response["Cache-Control"]
    assert not response.has_header("ETag")


@pytest.mark.parametrize(
    "extra",
    ["?next=https://evil.example/", "?url=//evil.example", "?dest=javascript:alert(1)",
     "/?redirect=https%3A%2F%2Fevil.example", "?landing=https://evil.example/{listing_id}"],
)
def test_no_parameter_changes_the_destination(api, link, farm, extra, settings):
    settings.PROMO_LANDING_URL = "https://shop.example/listing/{listing_id}"
    response = visit(api, link.code, path_extra=extra)
    assert response.status_code == 302
    assert destination(response) == f"https://shop.example/listing/{farm['apples'].pk}"


@pytest.mark.parametrize(
    "path",
    ["/p/", "/p//evil.example", "/p/%2F%2Fevil.example", "/p/AbCd2345/../../evil",
     "/p/https:evil.example", "/p/NoSuchCode", "/p/AbCd2345/x", "/p/a"],
)
def test_unknown_or_odd_codes_are_404(api, link, path):
    response = api.get(path, HTTP_USER_AGENT=PHONE)
    assert response.status_code == 404
    assert not response.has_header("Location")


def test_only_get_and_head_are_answered(api, link):
    assert api.post(f"/p/{link.code}", {}).status_code == 405
    assert api.head(f"/p/{link.code}", HTTP_USER_AGENT=PHONE).status_code == 302
    assert clicks_of(link) == {}  # HEAD is not a visit


def test_a_lot_link_goes_to_its_trace_page(api, farm):
    response = farm["api"].post("/videos", {"url": "https://www.bilibili.com/video/av9"})
    link = farm["api"].post(f"/videos/{response.json()['id']}/links",
                            {"batch_id": farm["batch"].pk}).json()
    redirect = visit(api, link["code"])
    assert redirect.status_code == 302
    assert redirect["Location"] == f"/trace/{farm['batch'].trace_code}"


# --- Counting -----------------------------------------------------------------------------------

def test_one_visitor_a_day_counts_once_another_counts_again_and_the_next_day_anew(api, link):
    with time_machine.travel(datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI), tick=False):
        visit(api, link.code)
        visit(api, link.code)  # the same visitor again: no new click
        assert clicks_of(link) == {"2026-11-28": 1}
        # another device at the same address (one in another of its few agent slots: two
        # devices may share one, see test_visitors_per_address)
        visit(api, link.code, ua=another_device(PHONE))
        visit(api, link.code, address="198.51.100.20")  # another address
        assert clicks_of(link) == {"2026-11-28": 3}
    with time_machine.travel(datetime(2026, 11, 29, 9, 0, tzinfo=SHANGHAI), tick=False):
        visit(api, link.code)  # yesterday's visitor, today: a new click
        assert clicks_of(link) == {"2026-11-28": 3, "2026-11-29": 1}


@pytest.mark.parametrize(
    "ua",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        "Mozilla/5.0 (compatible; Bytespider; spider-feedback@bytedance.com)",
        "YisouSpider",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
        "WhatsApp/2.23.20.0",
        "TelegramBot (like TwitterBot)",
        "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
        "Sogou web spider/4.0",
        "curl/8.4.0",
        "python-requests/2.31.0",
        "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/120.0",
        "",
    ],
)
def test_bots_are_redirected_but_not_counted(api, link, ua):
    response = visit(api, link.code, ua=ua)
    assert response.status_code == 302
    assert Click.objects.count() == 0
    assert clicks_of(link) == {}


def test_the_raw_address_is_never_stored(api, link):
    visit(api, link.code, address="203.0.113.77")
    [click] = Click.objects.all()
    assert "203.0.113.77" not in click.visitor
    assert len(click.visitor) == 32
    # it is the keyed hash of that day's address and user agent
    day = click.day
    assert visitors.CLICKS.visitor_hash("203.0.113.77", PHONE, day) == click.visitor


def test_the_visitor_hash_depends_on_the_secret(settings):
    from datetime import date

    first = visitors.CLICKS.visitor_hash("203.0.113.7", PHONE, date(2026, 11, 28))
    settings.CLICK_DEDUP_SECRET = "another-secret"
    assert visitors.CLICKS.visitor_hash("203.0.113.7", PHONE, date(2026, 11, 28)) != first


def test_behind_trusted_proxies_the_forwarded_address_is_the_visitor(api, link, settings):
    settings.NINJA_NUM_PROXIES = 1
    for client_address in ("203.0.113.1", "203.0.113.2"):
        api.get(f"/p/{link.code}", HTTP_USER_AGENT=PHONE, REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=f"1.2.3.4, {client_address}")
    assert clicks_of(link) == {link.clicks.first().day.isoformat(): 2}


def test_the_rollup_run_twice_gives_the_same_counts(api, link):
    visit(api, link.code)
    visit(api, link.code, ua=another_device(PHONE))
    first = clicks_of(link)
    assert services.clicks_rollup() == 0  # nothing new: nothing written
    assert clicks_of(link) == first
    assert ClickDaily.objects.count() == 1


def test_the_rollup_never_lowers_a_count_another_rollup_just_raised(api, link, monkeypatch):
    # given a day already rolled up at 1, and now 2 visitors
    visit(api, link.code)
    clicks_of(link)
    visit(api, link.code, ua=another_device(PHONE))
    # when a concurrent roll-up writes 5 between this one's read and its write
    create = ClickDaily.objects.bulk_create

    def concurrent_rollup_first(rows, **kwargs):
        ClickDaily.objects.filter(link=link).update(clicks=5)
        return create(rows, **kwargs)

    monkeypatch.setattr(ClickDaily.objects, "bulk_create", concurrent_rollup_first)
    services.clicks_rollup()
    monkeypatch.undo()
    # then the higher count stands
    row = ClickDaily.objects.get(link=link)
    assert row.clicks == 5


def test_a_redirect_costs_constant_queries(api, link, django_assert_num_queries):
    with django_assert_num_queries(2):  # the link + one INSERT ... ON CONFLICT DO NOTHING
        visit(api, link.code)


def test_when_redis_does_not_answer_the_click_is_counted_in_the_database(api, link, settings):
    settings.CLICK_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    assert visit(api, link.code).status_code == 302
    assert Click.objects.count() == 1
    assert list(clicks_of(link).values()) == [1]


def test_a_click_that_cannot_be_stored_still_redirects(api, link, monkeypatch):
    from django.db import DatabaseError

    def broken(**kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(services, "click_record", broken)
    assert visit(api, link.code).status_code == 302


@pytest.mark.redis
def test_with_redis_clicks_are_counted_there_and_rolled_up(api, link, settings):
    settings.CLICK_REDIS_URL = django_settings.REDIS_URL
    settings.CLICK_REDIS_PREFIX = f"test:clicks:{uuid.uuid4().hex}"
    import redis

    client = redis.Redis.from_url(django_settings.REDIS_URL)
    try:
        with time_machine.travel(datetime(2026, 11, 28, 23, 0, tzinfo=SHANGHAI), tick=False):
            visit(api, link.code)
            visit(api, link.code)
            visit(api, link.code, ua=another_device(PHONE))
            visit(api, link.code, ua="Googlebot/2.1")
            assert Click.objects.count() == 0  # nothing written to the database per click
            assert clicks_of(link) == {"2026-11-28": 2}
            assert clicks_of(link) == {"2026-11-28": 2}  # twice: the same
        with time_machine.travel(datetime(2026, 11, 28, 23, 0, tzinfo=SHANGHAI)
                                 + timedelta(hours=2), tick=False):
            visit(api, link.code)
            assert clicks_of(link) == {"2026-11-28": 2, "2026-11-29": 1}
        keys = client.keys(f"{settings.CLICK_REDIS_PREFIX}:*")
        assert keys and all(0 < client.ttl(k) <= 3 * 86400 for k in keys)
    finally:
        for key in client.scan_iter(f"{settings.CLICK_REDIS_PREFIX}:*"):
            client.delete(key)
