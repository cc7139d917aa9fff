"""`make bench` / `python -m bench`: fill, serve, load, check, print the table.

Steps:
 1. (Re)create the PostgreSQL database (default shanhuo_bench), migrate, load regions and
    categories; generate 1,000 farms and the first 10,000 listings (two photos each, one in
    ten with a harvest lot, one in twenty with a promoter's video link) and 50 buyers.
 2. Start gunicorn with production settings (DEBUG off, a fresh SECRET_KEY, ALLOWED_HOSTS
    127.0.0.1); run the baseline and the catalog page against 10,000 listings.
 3. Grow the catalog to --listings (default 100,000), lots and links in proportion; run the
    catalog again, a listing, the trace page, /p/{code}, and order placement by 50 buyers for
    20 listings of 50 units each; the baseline again.
 4. Count SQL queries per request of each scenario in this process; check the stock after the
    order run (never negative; sold + left = start for each contended listing).
 5. Print the markdown table and write it to bench/results/latest.md.

Flags: --listings N, --duration S (per scenario), --connections C, --workers W, --threads T.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import env as bench_env

RESULTS = Path(__file__).resolve().parent / "results"
SMALL_CATALOG = 10_000
CONTENDED_LISTINGS = 20
CONTENDED_STOCK = 50
BUYERS = 50


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--listings", type=int, default=100_000,
                        help="listings in the full catalog (default 100,000)")
    parser.add_argument("--farms", type=int, default=1_000, help="farms (default 1,000)")
    parser.add_argument("--duration", type=int, default=10,
                        help="seconds of load per scenario (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up (default 2)")
    parser.add_argument("--baseline-duration", type=int, default=4,
                        help="seconds of the baseline run before each scenario (default 4)")
    parser.add_argument("--connections", type=int, default=16,
                        help="open connections for the read scenarios (default 16)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (default 3)")
    parser.add_argument("--threads", type=int, default=2,
                        help="gunicorn threads per worker (default 2)")
    parser.add_argument("--database-url", default=bench_env.DEFAULT_DATABASE_URL)
    parser.add_argument("--redis-url", default=bench_env.DEFAULT_REDIS_URL)
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.md")
    parser.add_argument("--unchecked", action="store_true",
                        help="measure even where a ceiling's answer differs from the app's "
                             "(reported in the table); for a run of older code only")
    args = parser.parse_args(argv)
    if args.listings < SMALL_CATALOG:
        parser.error(f"--listings must be at least {SMALL_CATALOG:,}")
    if not 1 <= args.duration <= 120:
        parser.error("--duration must be between 1 and 120 seconds")
    return args


def say(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", flush=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    env = bench_env.apply(args.database_url, args.redis_url)

    import django

    django.setup()

    from bench import data, load, pgbench, report, scenarios

    started = time.monotonic()
    load_before = os.getloadavg()[0]
    RESULTS.mkdir(parents=True, exist_ok=True)
    _flush_redis(args.redis_url)

    say(f"database {args.database_url.rsplit('/', 1)[-1]}: recreate, migrate, regions")
    data.ensure_database(args.database_url, fresh=True)
    data.prepare_schema()
    filler = data.Filler()
    say(f"{args.farms:,} farms, {SMALL_CATALOG:,} listings")
    filler.farms(args.farms)
    filler.listings_up_to(SMALL_CATALOG)
    filler.lots_and_links()
    filler.buyers(BUYERS)
    market = filler.market
    rows: list[report.Row] = []

    with load.gunicorn(env, workers=args.workers, threads=args.threads,
                       log_path=RESULTS / "gunicorn.log") as server:
        say(f"gunicorn at {server.base_url}: {args.workers} workers x {args.threads} threads")
        all_scenarios = scenarios.scenarios(market)
        order_probe = None

        def measure(key: str, label: str | None = None, connections: int | None = None):
            scenario = all_scenarios[key]
            repeats = 40 if key == "catalog" else 20
            alone = order_probe if key == "orders" else scenarios.probe(scenario, repeats)
            if alone.status not in scenario.ok:
                raise SystemExit(f"{scenario.title}: a probe request answered {alone.status}, "
                                 f"expected {sorted(scenario.ok)}")
            connections = connections or args.connections
            if scenario.warmup and args.warmup:
                load.run_wrk(server, method=scenario.method, requests=scenario.requests,
                             tokens=scenario.tokens, duration=args.warmup,
                             connections=connections)
            # The baseline is measured again just before each scenario: the machine is shared,
            # and a ratio of two figures taken a minute apart says more than either alone.
            baseline = None
            if key != "baseline":
                base = all_scenarios["baseline"]
                baseline = load.run_wrk(server, method=base.method, requests=base.requests,
                                        duration=args.baseline_duration,
                                        connections=args.connections).rps
            ceiling = None
            if scenario.ceiling:
                difference = scenarios.check_same(scenario)
                if difference and not args.unchecked:
                    raise SystemExit(f"{scenario.title}: the ceiling does not answer what the "
                                     f"app answers: {difference}")
                ceiling_alone = scenarios.probe(scenario, repeats, prefix=scenarios.CEILING_PREFIX)
                say(f"{label or scenario.title}: its ceiling, {args.duration}s of load")
                ceiling_load = load.run_wrk(
                    server, method=scenario.method, requests=scenario.ceiling_requests(),
                    duration=args.duration, connections=connections)
                ceiling = report.Ceiling(ceiling_load.rps, ceiling_alone.alone_ms,
                                         ceiling_alone.queries, same=difference is None)
                say(f"  ceiling {ceiling_load.rps:,.0f} req/s, alone "
                    f"{ceiling_alone.alone_ms:.1f} ms, same answer: {difference or 'yes'}")
            say(f"{label or scenario.title}: {args.duration}s of load")
            result = load.run_wrk(server, method=scenario.method, requests=scenario.requests,
                                  tokens=scenario.tokens, duration=args.duration,
                                  connections=connections)
            row = report.Row(key, label or scenario.title, result, alone.queries,
                             alone.alone_ms, scenario.note, baseline, ceiling)
            rows.append(row)
            say(f"  {result.rps:,.0f} req/s, p50 {result.p50_ms:.1f} ms, "
                f"p99 {result.p99_ms:.1f} ms, {alone.queries} SQL/request, "
                f"alone {alone.alone_ms:.1f} ms, statuses {result.statuses}"
                + (f", baseline just before {baseline:,.0f} req/s" if baseline else ""))
            return row

        measure("baseline")
        scenarios.check_catalog_pages(all_scenarios["catalog"])
        small = measure("catalog", f"catalog page at {SMALL_CATALOG:,} listings")

        say(f"growing the catalog to {args.listings:,} listings, with their lots and links")
        filler.listings_up_to(args.listings)
        filler.lots_and_links()
        all_scenarios = scenarios.scenarios(market)
        scenarios.check_catalog_pages(all_scenarios["catalog"])
        big = measure("catalog", f"catalog page at {args.listings:,} listings")
        measure("listing")
        measure("trace")
        measure("share")
        # The order probe takes stock too: the stock is set again and the start read after it.
        filler.contended(CONTENDED_LISTINGS, CONTENDED_STOCK)
        all_scenarios = scenarios.scenarios(market)
        order_probe = scenarios.probe(all_scenarios["orders"], repeats=10)
        say(f"pgbench: the order transaction's SQL, {BUYERS} clients, {args.duration}s")
        filler.forget_orders()
        filler.contended(CONTENDED_LISTINGS, CONTENDED_STOCK)
        order_ceiling = pgbench.run(
            args.database_url, listing_ids=market.contended_ids, buyer_ids=market.buyer_ids,
            region_id=market.county_ids[0], clients=BUYERS, duration=args.duration)
        order_alone = pgbench.run(
            args.database_url, listing_ids=market.contended_ids, buyer_ids=market.buyer_ids,
            region_id=market.county_ids[0], clients=1, duration=min(3, args.duration))
        negative = scenarios.negative_stock(market.contended_ids)
        say(f"  {order_ceiling.tps:,.0f} tps, {order_ceiling.transactions:,} transactions, "
            f"latency {order_ceiling.latency_ms:.1f} ms; listings below zero: {negative}")
        filler.forget_orders()
        filler.contended(CONTENDED_LISTINGS, CONTENDED_STOCK)
        start = scenarios.stock_start(market.contended_ids)
        orders_row = measure("orders", connections=BUYERS)
        orders_row.ceiling = report.Ceiling(order_ceiling.tps, order_alone.latency_ms, 5,
                                            same=negative == 0, kind="pgbench")
        scenarios.wait_until_quiet(start)
        stock = scenarios.check_stock(start)
        say(stock.summary())
        measure("baseline", "baseline again (after the run)")

    table = report.render(
        rows, small=small, big=big, stock=stock, args=args,
        machine=_machine(), elapsed=time.monotonic() - started, timings=market.timings,
        load_average=(load_before, os.getloadavg()[0]),
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table)
    (args.out.with_suffix(".json")).write_text(json.dumps(report.as_json(rows), indent=2))
    print()
    print(table)
    _flush_redis(args.redis_url)
    return 0 if stock.ok else 1


def _flush_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2).flushdb()
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {url} is not reachable: {exc}") from exc


def _machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return f"{cores} cores ({cpu}), Python {platform.python_version()}, {pg}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
