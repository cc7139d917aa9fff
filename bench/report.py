"""The markdown table of a bench run."""

import statistics
from dataclasses import dataclass

from bench.load import LoadResult


@dataclass
class Ceiling:
    """The hand-written version of a scenario (bench/ceilings.py; pgbench for orders)."""

    rps: float
    alone_ms: float
    queries: int
    same: bool  # same answer as the app (orders: no stock below zero)
    kind: str = "hand-written"


@dataclass
class Row:
    key: str
    title: str
    result: LoadResult
    queries: int
    alone_ms: float
    note: str = ""
    # req/s of the baseline measured just before this scenario (None for the baseline itself)
    ceiling_rps: float | None = None
    ceiling: Ceiling | None = None


def _statuses(result: LoadResult) -> str:
    s = result.statuses
    parts = []
    if s["s2"]:
        parts.append(f"{s['s2']:,} 2xx")
    if s["s3"]:
        parts.append(f"{s['s3']:,} 3xx")
    if s["s409"]:
        parts.append(f"{s['s409']:,} 409")
    if s["s4"] - s["s409"]:
        parts.append(f"{s['s4'] - s['s409']:,} other 4xx")
    if s["s5"]:
        parts.append(f"**{s['s5']:,} 5xx**")
    if result.errors:
        parts.append(f"**{result.errors:,} socket errors**")
    return ", ".join(parts)


def render(rows: list[Row], *, small: Row, big: Row, stock, args, machine: str, elapsed: float,
           timings: dict[str, float], load_average: tuple[float, float]) -> str:
    baselines = [r for r in rows if r.key == "baseline"]
    samples = [r.result.rps for r in baselines] + [r.ceiling_rps for r in rows if r.ceiling_rps]
    ceiling = statistics.median(samples)
    lines = [
        f"`make bench` (`python -m bench --listings {args.listings}`): gunicorn "
        f"({args.workers} workers x {args.threads} threads, production settings) on "
        f"PostgreSQL with {args.farms:,} farms and {args.listings:,} listings; wrk, "
        f"{args.duration} s per scenario, {args.connections} connections "
        f"(50 for orders); {machine}.",
        "",
        "| scenario | req/s | p50 ms | p99 ms | x baseline req/s | SQL / request "
        "| alone ms | ceiling req/s | x ceiling req/s | ceiling alone ms | alone x ceiling "
        "| responses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        r = row.result
        ratio = r.rps / ceiling if ceiling else 0
        title = row.title + (f" ({row.note})" if row.note else "")
        c = row.ceiling
        if c is None:
            versus = "| | | |"
        else:
            mark = "" if c.same else " (**differs**)"
            versus = (f"{c.rps:,.0f}{mark} | {r.rps / c.rps:.2f} | {c.alone_ms:.1f} | "
                      f"{row.alone_ms / c.alone_ms:.2f} |")
        lines.append(
            f"| {title} | {r.rps:,.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {ratio:.2f} | "
            f"{row.queries} | {row.alone_ms:.1f} | {versus} {_statuses(r)} |"
        )
    lines += [
        "",
        "req/s, p50 and p99 under load (wrk). x baseline: req/s over the baseline's (the median "
        f"of {len(samples)} runs of it on the same server: two full ones, and a short one just "
        "before each scenario, as the machine is shared). SQL / request (BEGIN and COMMIT "
        "not counted; savepoints are) and alone "
        "ms (the median of 20 requests, 40 for the catalog, one at a time, no load) measured "
        "in-process through Django's test client. Ceiling: the same requests to the "
        "hand-written version of the endpoint (bench/ceilings.py: one raw SQL statement, "
        "orjson, no validation), checked to answer the same bytes before it is measured, on "
        "the same gunicorn; for orders, pgbench running the order transaction's own SQL "
        "(bench/pgbench.py) with as many clients as buyers (alone: one client).",
        "",
        f"Catalog cost against its size: {big.title.split(' at ')[-1]} vs "
        f"{small.title.split(' at ')[-1]}: {big.result.rps / small.result.rps:.2f}x the req/s, "
        f"{big.result.p50_ms / small.result.p50_ms:.2f}x the p50 under load, "
        f"{big.alone_ms / small.alone_ms:.2f}x the time alone "
        f"({small.alone_ms:.1f} -> {big.alone_ms:.1f} ms), "
        f"SQL per page {small.queries} -> {big.queries}.",
        "",
        f"Orders: {stock.summary()}.",
        "",
        f"Baseline: {ceiling:,.0f} req/s (its runs: "
        f"{', '.join(f'{x:,.0f}' for x in samples)}). "
        f"Load generator CPU: {_max_wrk(rows):.2f} cores at most; "
        f"server (gunicorn) CPU: {_max_server(rows):.2f} cores at most.",
        f"Setup: {', '.join(f'{k} {v:.1f} s' for k, v in timings.items())}; "
        f"whole run {elapsed / 60:.1f} min. The machine's load average (1 min) was "
        f"{load_average[0]:.1f} at the start and {load_average[1]:.1f} at the end: other work on "
        "the same 2 cores lowers every figure alike, so compare ratios within one run.",
        "",
    ]
    return "\n".join(lines)


def _max_wrk(rows: list[Row]) -> float:
    return max(r.result.wrk_cores for r in rows)


def _max_server(rows: list[Row]) -> float:
    return max(r.result.server_cores for r in rows)


def as_json(rows: list[Row]) -> list[dict]:
    return [
        {"scenario": r.title, "rps": round(r.result.rps, 1), "p50_ms": r.result.p50_ms,
         "baseline_rps_just_before": r.ceiling_rps,
         "ceiling_rps": r.ceiling.rps if r.ceiling else None,
         "ceiling_alone_ms": r.ceiling.alone_ms if r.ceiling else None,
         "p99_ms": r.result.p99_ms, "sql_per_request": r.queries, "alone_ms": r.alone_ms,
         "statuses": r.result.statuses, "errors": r.result.errors}
        for r in rows
    ]
