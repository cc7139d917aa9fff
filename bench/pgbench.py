"""The order scenario's ceiling: pgbench running the order transaction's own SQL.

The same orders as the HTTP scenario (one contended listing, and a second one of another farm
for every other order, one unit each), at the same contention (as many clients as buyers), as
the statements `orders.services.order_place` runs, written by hand: the buyer's row locked with
the shipping region read; the listings' rows locked in id order (`ORDER BY id FOR UPDATE OF`)
with their producer, pledge and freight template and the buyer's unpaid orders and units
counted (the bench's listings name no template: their parcels pay the flat fee); the checks
(on sale, stock, pre-sale open, not one's own, the unpaid-order limits); then one UPDATE taking
every line's stock, and one INSERT each for the order (`ON CONFLICT (number) DO NOTHING`), its
shipments, its lines and its event. An order refused (short, or past the buyer's unpaid limits)
rolls back, as the app's 409 does. What the app spends beyond this (auth, validation, the ORM,
the response) is the gap.
"""

import shutil
import subprocess
import tempfile
from dataclasses import dataclass

import dj_database_url

PICK = ("(SELECT id FROM (VALUES %(ids)s) ids(i, id) "
        "WHERE i = :i OR (:two = 1 AND i = :j))")
UNPAID = ("(SELECT %(what)s FROM orders_orderline ol JOIN orders_order o ON ol.order_id = o.id "
          "WHERE o.buyer_id = :buyer AND o.status = 'pending_payment' AND o.expires_at > now() "
          "GROUP BY o.buyer_id)")
SCRIPT = r"""
\set i random(0, %(last)d)
\set j (:i + 7) %% %(count)d
\set two 1 - (:i %% 2)
\set buyer random(%(first_buyer)d, %(last_buyer)d)
BEGIN;
SELECT r.id AS region FROM producers_region r JOIN marketplace_user u ON u.id = :buyer
WHERE r.id = %(region)d FOR UPDATE OF u \gset
SELECT count(*) AS n, count(DISTINCT producer_id) AS farms, sum(price) AS subtotal,
  bool_and(status = 'active' AND stock >= 1 AND owner <> :buyer
           AND (presale_closes_at IS NULL OR presale_closes_at > now()))::int AS sellable,
  max(unpaid_orders) AS unpaid_orders, max(unpaid_units) AS unpaid_units
FROM (
  SELECT l.id, l.producer_id, l.title, l.unit, l.price, l.stock, l.status, l.presale_closes_at,
    l.presale_ships_from, l.presale_ships_by, l.net_weight_g, p.user_id AS owner, p.name,
    b.kind, b.value, pr.status AS project_status, pr.ends_on, ft.basis, ft.document,
    COALESCE(UNPAID_ORDERS, 0) AS unpaid_orders, COALESCE(UNPAID_UNITS, 0) AS unpaid_units
  FROM producers_listing l JOIN producers_producer p ON p.id = l.producer_id
  LEFT JOIN freight_freighttemplate ft ON ft.id = l.freight_template_id
  LEFT JOIN benefit_listingpledge b ON b.listing_id = l.id
  LEFT JOIN benefit_project pr ON pr.id = b.project_id
  WHERE l.id IN PICK ORDER BY l.id FOR UPDATE OF l) locked \gset
\set ok :n = 1 + :two AND :sellable = 1
\set ok :ok AND :unpaid_orders < %(max_unpaid)d AND :unpaid_units + 1 + :two <= %(max_units)d
\if :ok
UPDATE producers_listing SET stock = stock - 1 WHERE id IN PICK AND stock >= 1;
INSERT INTO orders_order (number, status, subtotal, shipping_fee, total, currency, recipient,
  phone, detail, promo_code, platform_fee_rate, note, expires_at, cancel_reason, created_at,
  updated_at, buyer_id, region_id)
VALUES ('PB' || txid_current() || '-' || :client_id, 'pending_payment', :subtotal, 10 * :farms,
  :subtotal + 10 * :farms, 'CNY', '张三', '13800000000', '幸福路 8 号', '', 0, '',
  now() + interval '30 minutes', '', now(), now(), :buyer, :region)
ON CONFLICT (number) DO NOTHING RETURNING id AS order_id \gset
INSERT INTO orders_shipment (status, subtotal, shipping_fee, carrier, tracking_number,
  created_at, order_id, producer_id)
SELECT 'pending', sum(price), 10, '', '', now(), :order_id, producer_id
FROM producers_listing WHERE id IN PICK GROUP BY producer_id ORDER BY producer_id RETURNING id;
INSERT INTO orders_orderline (title, unit, unit_price, quantity, line_total, ships_from,
  ships_by, listing_id, order_id, shipment_id)
SELECT l.title, l.unit, l.price, 1, l.price, l.presale_ships_from, l.presale_ships_by, l.id,
  :order_id, s.id
FROM producers_listing l JOIN orders_shipment s ON s.order_id = :order_id
  AND s.producer_id = l.producer_id
WHERE l.id IN PICK RETURNING id;
INSERT INTO orders_orderevent (from_status, to_status, note, created_at, actor_id, order_id)
VALUES ('', 'pending_payment', 'placed', now(), :buyer, :order_id);
COMMIT;
\else
ROLLBACK;
\endif
""".replace("PICK", PICK).replace("UNPAID_ORDERS", UNPAID % {"what": "count(DISTINCT ol.order_id)"}
                                  ).replace("UNPAID_UNITS", UNPAID % {"what": "sum(ol.quantity)"})


@dataclass
class PgbenchResult:
    tps: float
    transactions: int
    failed: int
    latency_ms: float


def script(listing_ids: list[int], buyer_ids: list[int], region_id: int) -> str:
    """The transaction for these listings and buyers, with this server's unpaid-order limits."""
    from django.conf import settings

    ids = ", ".join(f"({i}, {listing_id})" for i, listing_id in enumerate(listing_ids))
    return SCRIPT % {
        "last": len(listing_ids) - 1, "count": len(listing_ids), "ids": ids,
        "first_buyer": min(buyer_ids), "last_buyer": max(buyer_ids), "region": region_id,
        "max_unpaid": settings.ORDER_MAX_UNPAID, "max_units": settings.ORDER_MAX_UNPAID_UNITS,
    }


def run(database_url: str, *, listing_ids: list[int], buyer_ids: list[int], region_id: int,
        clients: int, duration: int) -> PgbenchResult:
    binary = shutil.which("pgbench")
    if not binary:
        raise SystemExit("pgbench is missing (Debian: apt-get install postgresql-client)")
    params = dj_database_url.parse(database_url)
    env = {"PGPASSWORD": params.get("PASSWORD") or ""}
    with tempfile.NamedTemporaryFile("w", suffix=".sql") as file:
        file.write(script(listing_ids, buyer_ids, region_id))
        file.flush()
        completed = subprocess.run(
            [binary, "-n", "-f", file.name, "-c", str(clients), "-j", "2", "-T", str(duration),
             "-h", params.get("HOST") or "127.0.0.1", "-p", str(params.get("PORT") or 5432),
             "-U", params.get("USER") or "postgres", params["NAME"]],
            capture_output=True, text=True, timeout=duration + 60, check=False,
            env={**_path_env(), **env},
        )
    if completed.returncode != 0:
        raise SystemExit(f"pgbench failed:\n{completed.stdout}\n{completed.stderr}")
    values = {}
    for line in completed.stdout.splitlines():
        key, _, value = line.partition("=") if "=" in line else line.partition(":")
        values[key.strip()] = value.strip()
    tps = float(values["tps"].split()[0])
    done = int(values["number of transactions actually processed"].split()[0])
    failed = int(values.get("number of failed transactions", "0").split()[0])
    latency = float(values.get("latency average", "0 ms").split()[0])
    return PgbenchResult(tps, done, failed, latency)


def _path_env() -> dict[str, str]:
    import os

    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
