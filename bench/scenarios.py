"""What a scenario requests, and how many SQL queries one such request costs.

The query count is measured in this process through Django's test client on the same database
and settings as the server (CaptureQueriesContext), one request per scenario, after a warm-up
request so that one-off work (content types, first connection) is not counted.
"""

import json
from dataclasses import dataclass, field

from bench.data import Marketplace
from bench.env import HOST

ADDRESS_DETAIL = "幸福路 8 号"
CEILING_PREFIX = "/_ceiling"


@dataclass
class Scenario:
    key: str
    title: str
    method: str
    requests: list[tuple[str, str | None]]
    ok: set[int]
    tokens: list[str] = field(default_factory=list)
    warmup: bool = True
    note: str = ""
    # served by bench/ceilings.py under /_ceiling/ (the same paths): the hand-written ceiling
    ceiling: bool = False

    def ceiling_requests(self) -> list[tuple[str, str | None]]:
        return [(CEILING_PREFIX + path, body) for path, body in self.requests]


def catalog_requests(market: Marketplace) -> list[tuple[str, str | None]]:
    """Filtered catalog pages of 20 rows: a category with its sub-categories, a province's
    goods by sales, a price range by price. The same filters at 10,000 and 100,000 listings."""
    province = market.province_ids[_henan_index(market)]
    queries = [
        "category=fruit&in_stock=true",
        f"region={province}&ordering=-sales",
        "category=tea&min_price=20&max_price=200&ordering=price",
        "category=grain-and-oil&in_stock=true&ordering=-sales",
        f"region={province}&category=fruit",
        "promotable=true&ordering=-created",
    ]
    return [(f"/api/v1/listings?{q}&limit=20", None) for q in queries]


def _henan_index(market: Marketplace) -> int:
    from producers.models import Region

    henan = Region.objects.get(code="410000").pk
    return market.province_ids.index(henan)


def order_requests(market: Marketplace) -> list[tuple[str, str | None]]:
    """One or two of the contended listings per order, one unit each (two farms: two parcels)."""
    ids = market.contended_ids
    region_id = market.county_ids[0]
    address = {"recipient": "张三", "phone": "13800000000", "region_id": region_id,
               "detail": ADDRESS_DETAIL}
    bodies = []
    for i, first in enumerate(ids):
        lines = [{"listing_id": first, "quantity": 1}]
        if i % 2 == 0:
            lines.append({"listing_id": ids[(i + 7) % len(ids)], "quantity": 1})
        bodies.append(json.dumps({"lines": lines, "shipping_address": address},
                                 ensure_ascii=False))
    return [("/api/v1/orders", body) for body in bodies]


def scenarios(market: Marketplace) -> dict[str, Scenario]:
    return {
        "baseline": Scenario(
            "baseline", "baseline: `GET /api/v1/regions/{id}`", "GET",
            [(f"/api/v1/regions/{market.province_ids[0]}", None)], {200},
            note="the smallest real endpoint: one row by primary key",
        ),
        "catalog": Scenario(
            "catalog", "catalog page (filtered, 20 rows)", "GET", catalog_requests(market),
            {200}, ceiling=True,
        ),
        "listing": Scenario(
            "listing", "a listing `GET /api/v1/listings/{id}`", "GET",
            [(f"/api/v1/listings/{i}", None) for i in market.listing_ids], {200}, ceiling=True,
        ),
        "trace": Scenario(
            "trace", "the trace page `GET /trace/{code}` (HTML)", "GET",
            [(f"/trace/{code}", None) for code in market.trace_codes], {200}, ceiling=True,
            note="each look counts a scan",
        ),
        "share": Scenario(
            "share", "a share link `GET /p/{code}` (302)", "GET",
            [(f"/p/{code}", None) for code in market.link_codes], {302}, ceiling=True,
            note="counts the click",
        ),
        "orders": Scenario(
            "orders", "order placement: 50 buyers, 20 listings", "POST",
            order_requests(market), {201, 409}, tokens=market.buyer_tokens, warmup=False,
        ),
    }


@dataclass
class Probe:
    queries: int
    status: int
    alone_ms: float


def probe(scenario: Scenario, repeats: int = 20, *, prefix: str = "") -> Probe:
    """One request of the scenario in this process: its SQL queries (after a warm-up request)
    and the median time of `repeats` requests made one after another, without load, and
    without the catalog's micro-cache (the load runs with it). With `prefix`
    (CEILING_PREFIX), the same requests to the scenario's ceiling."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    client = Client(HTTP_HOST=HOST)
    headers = {"Authorization": f"Bearer {scenario.tokens[0]}"} if scenario.tokens else {}
    with override_settings(CATALOG_CACHE_SECONDS=0):  # what a page costs, not a cache hit
        return _probe(scenario, repeats, prefix, client, headers, CaptureQueriesContext)


def _probe(scenario, repeats, prefix, client, headers, CaptureQueriesContext) -> Probe:
    import statistics
    import time

    from django.db import connection

    def one(index: int):
        path, body = scenario.requests[index % len(scenario.requests)]
        path = prefix + path
        if scenario.method == "GET":
            return client.get(path, headers=headers)
        return client.generic(scenario.method, path, body or "", content_type="application/json",
                              headers=headers)

    one(1)
    with CaptureQueriesContext(connection) as captured:
        response = one(0)
    # counted now: the next request's `request_started` empties the connection's query log;
    # BEGIN and COMMIT frame the work but are not statements of it (a savepoint counts)
    queries = sum(1 for q in captured.captured_queries
                  if q["sql"].strip().upper() not in {"BEGIN", "COMMIT", "ROLLBACK"})
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        one(i)
        times.append((time.perf_counter() - started) * 1000)
    return Probe(queries, response.status_code, statistics.median(times))


def _landing(response) -> tuple:
    """A redirect's target with its signed visit read (a visit holds a random visitor id and
    the time, so two are never the same bytes): the path, the other parameters, the link the
    visit was signed for, and whether the cookie carries the same visit."""
    from urllib.parse import parse_qsl, urlsplit

    from promotion import attribution

    target = urlsplit(response["Location"])
    params = dict(parse_qsl(target.query))
    visit = params.pop(attribution.QUERY, None)
    cookie = response.cookies.get(attribution.COOKIE)
    return (target.path, sorted(params.items()),
            attribution.visit_link_id(visit) if visit else None,
            cookie is not None and cookie.value == visit)


def check_same(scenario: Scenario) -> str | None:
    """Every request of the scenario answers the same status and the same bytes from the app
    and from its ceiling; else what differs (the first difference)."""
    from django.test import Client

    client = Client(HTTP_HOST=HOST, HTTP_USER_AGENT="bench-check")
    for path, _ in scenario.requests[:50]:
        for _ in range(3):  # a cursor is signed with the time in seconds: ask again if that
            app = client.get(path)  # second ended between the two requests
            ceiling = client.get(CEILING_PREFIX + path)
            if app.content == ceiling.content:
                break
        if app.status_code != ceiling.status_code:
            return f"{path}: app {app.status_code}, ceiling {ceiling.status_code}"
        if app.status_code in {301, 302} and _landing(app) != _landing(ceiling):
            return f"{path}: app to {app['Location']}, ceiling to {ceiling['Location']}"
        if app.content != ceiling.content:
            a, c = app.content, ceiling.content
            at = next((i for i in range(min(len(a), len(c))) if a[i] != c[i]), min(len(a), len(c)))
            return (f"{path}: the bodies differ at byte {at}: app "
                    f"{a[max(0, at - 60):at + 60]!r} / ceiling {c[max(0, at - 60):at + 60]!r}")
    return None


def check_catalog_pages(scenario: Scenario) -> None:
    """Every catalog query of the scenario answers 200 with a full page of 20 rows."""
    from django.test import Client

    client = Client(HTTP_HOST=HOST)
    for path, _ in scenario.requests:
        response = client.get(path)
        rows = len(response.json().get("items", [])) if response.status_code == 200 else -1
        if rows != 20:
            raise SystemExit(f"{path}: {response.status_code} with {rows} rows, expected 20")


@dataclass
class StockCheck:
    # listing id -> (start, sold, left, sales counter change)
    listings: dict[int, tuple[int, int, int, int]]
    orders: int

    @property
    def ok(self) -> bool:
        return all(left >= 0 and sold + left == start
                   for start, sold, left, _ in self.listings.values())

    @property
    def sales_agree(self) -> bool:
        # `sales` counts units paid for (orders.stock): the run's orders are unpaid, so no
        # listing's sales may have moved
        return all(sales == 0 for _, _, _, sales in self.listings.values())

    def summary(self) -> str:
        start = sum(v[0] for v in self.listings.values())
        sold = sum(v[1] for v in self.listings.values())
        left = sum(v[2] for v in self.listings.values())
        lowest = min(v[2] for v in self.listings.values())
        verdict = "ok" if self.ok else "BROKEN"
        return (f"stock check {verdict}: {len(self.listings)} listings, start {start}, "
                f"sold {sold} in {self.orders} orders, left {left} (lowest {lowest}); "
                f"sold + left = start for each: {self.ok}; "
                f"sales counters unmoved by unpaid orders: {self.sales_agree}")


def negative_stock(listing_ids: list[int]) -> int:
    from producers.models import Listing

    return Listing.objects.filter(pk__in=listing_ids, stock__lt=0).count()


@dataclass
class StockStart:
    stock: dict[int, int]
    sales: dict[int, int]
    last_line_id: int


def stock_start(listing_ids: list[int]) -> StockStart:
    from django.db.models import Max

    from orders.models import OrderLine
    from producers.models import Listing

    rows = Listing.objects.filter(pk__in=listing_ids).values_list("id", "stock", "sales")
    last = OrderLine.objects.aggregate(last=Max("id"))["last"] or 0
    return StockStart({i: s for i, s, _ in rows}, {i: n for i, _, n in rows}, last)


def wait_until_quiet(start: StockStart, *, settle: float = 2.0, limit: float = 60.0) -> None:
    """wrk stops sending at the end of its run, but the server still works off the requests it
    has queued: wait until no order line has been added for `settle` seconds."""
    import time

    from django.db.models import Max

    from orders.models import OrderLine

    deadline = time.monotonic() + limit
    last = None
    while time.monotonic() < deadline:
        now = OrderLine.objects.filter(pk__gt=start.last_line_id).aggregate(m=Max("id"))["m"]
        if now == last:
            return
        last = now
        time.sleep(settle)
    raise SystemExit(f"orders were still being placed {limit:.0f}s after the load stopped")


def check_stock(start: StockStart) -> StockCheck:
    """After the order run: sold (lines of live orders placed during it) + left = start."""
    from django.db.models import Sum

    from orders.models import OrderLine
    from producers.models import Listing

    lines = OrderLine.objects.filter(pk__gt=start.last_line_id, listing_id__in=list(start.stock))
    live = lines.exclude(order__status="cancelled")
    sold = dict(live.values_list("listing_id").annotate(n=Sum("quantity")))
    now = dict(Listing.objects.filter(pk__in=list(start.stock)).values_list("id", "stock"))
    sales = dict(Listing.objects.filter(pk__in=list(start.stock)).values_list("id", "sales"))
    listings = {
        i: (start.stock[i], sold.get(i, 0), now[i], sales[i] - start.sales[i])
        for i in start.stock
    }
    return StockCheck(listings, lines.values("order_id").distinct().count())
