"""Hand-written ceilings: each hot endpoint as the least code that gives the same answer.

Served by the bench's gunicorn under /_ceiling/ only while the bench runs (BENCH_CEILINGS=1;
shanhuo/urls.py mounts this module then and never otherwise). Each view runs one raw SQL
statement, turns the rows into the response with orjson, and validates nothing: what the
framework, the ORM and the schemas cost is what the app's figure minus this one shows. Before
it measures, the bench checks that each ceiling answers exactly the bytes the app answers
(`check_same`), so the comparison is between two ways of giving the same answer.

Only what the bench requests is covered (the first page of its catalog filters, anonymous
reads); anything else is a 404 here.
"""

from datetime import date, datetime
from decimal import Decimal
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import path
from django.utils import timezone

from benefit.texts import pledge_text
from certificates.selectors import TRACE_COLUMNS, shown_certificates, verification_public
from certificates.texts import shown_labels
from claims.selectors import median_hours
from marketplace import visitors
from marketplace.pagination import encode_cursor
from producers.images import shown_original
from promotion import attribution
from storefront import lineages
from storefront.trace import certificates_shown

UNIT_NAMES = {"kg": "千克", "jin": "斤", "box": "箱", "piece": "个", "bag": "袋",
              "bottle": "瓶", "jar": "罐", "bundle": "捆"}
KIND_NAMES = {"farmer": "农户", "cooperative": "合作社"}


def _dt(value: datetime | None) -> str | None:
    # as Django's JSON encoder writes it: milliseconds, "Z" for UTC
    if value is None:
        return None
    text = value.isoformat()
    if value.microsecond:
        text = text[:23] + text[26:]
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text


def _d(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dec(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _url(name: str) -> str | None:
    if not name:
        return None
    url = default_storage.url(name)
    return url if url.startswith(("http://", "https://")) else f"{settings.SITE_URL}{url}"


def _json(data) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json; charset=utf-8")


REGION = "json_build_array({a}.id, {a}.code, {a}.name, {a}.level, {a}.parent_id, {a}.path)"
IMAGES = """(SELECT json_agg(json_build_array(i.id, i.status, i.original, i.small, i.medium,
                                              i.width, i.height) ORDER BY i.position, i.id)
             FROM producers_listingimage i WHERE i.listing_id = l.id)"""
COVER = """(SELECT json_build_array(i.small, i.width, i.height) FROM producers_listingimage i
             WHERE i.listing_id = l.id AND i.status = 'ready' AND i.small <> ''
             ORDER BY i.position, i.id LIMIT 1)"""
SHOWN_LINK = ("k.review <> 'hidden' AND v.status <> 'failed' "
              "AND (v.status = 'ready' OR k.review = 'approved')")
VIDEO_COUNT = f"""((SELECT count(DISTINCT k.video_id) FROM promotion_link k
                    JOIN promotion_video v ON v.id = k.video_id
                    WHERE k.listing_id = l.id AND {SHOWN_LINK})
                 + (SELECT count(DISTINCT k.video_id) FROM promotion_link k
                    JOIN promotion_video v ON v.id = k.video_id
                    JOIN producers_batch b ON b.id = k.batch_id
                    WHERE b.listing_id = l.id AND {SHOWN_LINK}
                      AND k.video_id NOT IN (SELECT k.video_id FROM promotion_link k
                                             JOIN promotion_video v ON v.id = k.video_id
                                             WHERE k.listing_id = l.id AND {SHOWN_LINK})))"""
# the kinds of the verified certificates on the listing's lots or its farm, valid today
CERTIFIED = """(SELECT json_agg(DISTINCT x.kind) FROM certificates_certificate x
                LEFT JOIN producers_batch xb ON xb.id = x.batch_id
                WHERE x.status = 'verified'
                  AND (x.expires_on IS NULL
                       OR x.expires_on >= (now() AT TIME ZONE 'Asia/Shanghai')::date)
                  AND (xb.listing_id = l.id OR (x.batch_id IS NULL AND x.producer_id = p.id)))"""
KIND_ORDER = ["chengnuo_hege", "green", "organic", "gi", "sc", "test_report"]
CARD_SELECT = f"""
SELECT l.id, l.title, c.slug, c.name, l.unit, l.price, l.stock, l.sales, l.status,
       p.id, p.name, {REGION.format(a="pr")},
       CASE WHEN o.id IS NULL THEN NULL ELSE {REGION.format(a="o")} END,
       l.harvest_start, l.harvest_end, l.net_weight_g, l.commission_rate,
       {COVER}, {VIDEO_COUNT}, l.created_at, l.presale_closes_at, l.presale_ships_from,
       l.presale_ships_by, l.presale_expected_quantity,
       bp.project_id, bj.title, bp.kind, bp.value, sv.status, {CERTIFIED}"""
CARD_FROM = """
FROM producers_listing l
JOIN producers_category c ON c.id = l.category_id
JOIN producers_producer p ON p.id = l.producer_id
JOIN producers_region pr ON pr.id = p.region_id
LEFT JOIN producers_region o ON o.id = l.origin_region_id
LEFT JOIN benefit_listingpledge bp ON bp.listing_id = l.id
LEFT JOIN benefit_project bj ON bj.id = bp.project_id
LEFT JOIN certificates_sellerverification sv ON sv.producer_id = p.id"""


def _region(row) -> dict | None:
    if row is None:
        return None
    return {"id": row[0], "code": row[1], "name": row[2], "level": row[3], "parent_id": row[4],
            "path": row[5]}


def _image(row) -> dict:
    return {"id": row[0], "status": row[1], "original_url": _url(shown_original(row[2])),
            "thumbnails": {"small": _url(row[3]), "medium": _url(row[4])},
            "width": row[5], "height": row[6]}


def _cover(row) -> dict | None:
    if row is None:
        return None
    return {"url": _url(row[0]), "width": row[1], "height": row[2]}


def _card(r) -> dict:
    return {
        "id": r[0], "title": r[1], "category": r[2], "category_name": r[3], "unit": r[4],
        "price": str(r[5]), "currency": "CNY", "stock": r[6], "sales": r[7], "status": r[8],
        "producer": {"id": r[9], "name": r[10], "region": _region(r[11])},
        "origin_region": _region(r[12]),
        "harvest_start": _d(r[13]), "harvest_end": _d(r[14]), "net_weight_g": r[15],
        "commission_rate": _dec(r[16]), "cover": _cover(r[17]),
        "video_count": r[18], "created_at": _dt(r[19]),
        "presale": None if r[20] is None else {
            "closes_at": _dt(r[20]), "ships_from": _d(r[21]), "ships_by": _d(r[22]),
            "expected_quantity": r[23]},
        "benefit": None if r[24] is None else {"project_id": r[24], "project_title": r[25],
                                               "kind": r[26], "value": str(r[27])},
        "verified": r[28] == "verified",
        "certified": [kind for kind in KIND_ORDER if kind in (r[29] or ())],
    }


ORDERINGS = {
    "-created": (["-created_at", "-id"], "l.created_at DESC, l.id DESC", (19, 0)),
    "price": (["price", "id"], "l.price, l.id", (5, 0)),
    "-price": (["-price", "-id"], "l.price DESC, l.id DESC", (5, 0)),
    "-sales": (["-sales", "-id"], "l.sales DESC, l.id DESC", (7, 0)),
}


def _prefix(lineage: str | None) -> str:
    if lineage is None:
        raise Http404("no such region or category")
    return connection.ops.prep_for_like_query(lineage) + "%"


def catalog(request):
    """GET /api/v1/listings with the bench's filters, first page."""
    q = request.GET
    where, params = ["l.status = 'active'"], []
    if "category" in q:
        where.append("c.lineage LIKE %s")
        params.append(_prefix(lineages.lineage_of_category(q["category"])))
    if "region" in q:
        # the lineage as a literal prefix, which the planner can weigh and the pattern index
        # serves (a pattern from a subquery is neither): kept per process, as the app does
        where.append("l.region_lineage LIKE %s")
        params.append(_prefix(lineages.lineage_of_region(int(q["region"]))))
    if "min_price" in q:
        where.append("l.price >= %s")
        params.append(Decimal(q["min_price"]))
    if "max_price" in q:
        where.append("l.price <= %s")
        params.append(Decimal(q["max_price"]))
    if q.get("in_stock") == "true":
        where.append("l.stock > 0")
    if q.get("promotable") == "true":
        where.append("l.commission_rate IS NOT NULL")
    if "cursor" in q or "q" in q or "producer" in q:
        raise Http404("not covered by the ceiling")
    fields, order_sql, (sort_col, _) = ORDERINGS[q.get("ordering", "-created")]
    limit = int(q.get("limit", 20))
    sql = (f"{CARD_SELECT} {CARD_FROM} WHERE {' AND '.join(where)} ORDER BY {order_sql} "
           f"LIMIT {limit + 1}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        names = {"created_at": last[19], "price": last[5], "sales": last[7], "id": last[0]}
        row = type("Row", (), names)
        scope = f"producers.listing:{','.join(fields)}:"
        next_cursor = encode_cursor(row, fields, scope)
    return _json({"items": [_card(r) for r in rows], "next_cursor": next_cursor})


BATCHES = """(SELECT json_agg(json_build_array(b.id, b.lot_code, b.trace_code, b.harvested_on,
                                               b.quantity, b.notes, b.certifications,
                                               b.shipped, b.member_id, m.name)
                              ORDER BY b.harvested_on DESC, b.id DESC)
              FROM producers_batch b LEFT JOIN producers_member m ON m.id = b.member_id
              WHERE b.listing_id = l.id)"""


# the listing's freight template's 不发货地区, by code (no template: none)
NO_SHIP = """(SELECT json_agg(json_build_array(r.id, r.code, r.name, r.level, r.parent_id,
                                             r.path) ORDER BY r.code)
              FROM producers_region r
              WHERE r.id IN (SELECT (e ->> 0)::bigint FROM freight_freighttemplate t,
                                    jsonb_array_elements(t.document -> 'no_ship') e
                             WHERE t.id = l.freight_template_id))"""


def listing(request, listing_id: int):
    """GET /api/v1/listings/{id}, anonymous and without `?region=`: no fee shown."""
    sql = (f"{CARD_SELECT}, l.description, l.story, l.growing_method, {BATCHES}, l.updated_at, "
           f"{IMAGES}, {NO_SHIP} {CARD_FROM} WHERE l.id = %s AND l.status = 'active'")
    with connection.cursor() as cursor:
        cursor.execute(sql, [listing_id])
        r = cursor.fetchone()
    if r is None:
        raise Http404
    data = _card(r)
    site = settings.SITE_URL
    data.update(
        images=[_image(i) for i in r[35] or ()],
        description=r[30], story=r[31], growing_method=r[32],
        batches=[{"id": b[0], "lot_code": b[1], "trace_code": b[2], "harvested_on": b[3],
                  "quantity": b[4], "shipped": b[7], "notes": b[5],
                  "certifications": shown_labels(b[6], data["certified"]),
                  "member": {"id": b[8], "name": b[9]} if b[8] is not None else None,
                  "trace_url": f"{site}/trace/{b[2]}", "qr_url": f"{site}/trace/{b[2]}/qr.png"}
                 for b in r[33] or ()],
        updated_at=_dt(r[34]),
        shipping=None,
        no_ship_regions=[_region(region) for region in r[36] or ()],
    )
    return _json(data)


TRACE_FROM = "producers_batch b JOIN producers_listing l ON l.id = b.listing_id"
# The claim record (claims.selectors._record) of some parcels: how many were shipped, and each
# claim on them (withdrawn aside) as [parcel, status, microseconds to the answer or null].
SHIPPED = "s.status IN ('shipped', 'delivered')"
LOT_PARCELS = ("EXISTS (SELECT 1 FROM orders_orderline ol JOIN orders_linelot ll "
               "ON ll.line_id = ol.id WHERE ol.shipment_id = s.id AND ll.batch_id = b.id)")
RECORD = f"""json_build_array(
        (SELECT count(*) FROM orders_shipment s WHERE {SHIPPED} AND {{parcels}}),
        (SELECT json_agg(json_build_array(c.shipment_id, c.status, (EXTRACT(EPOCH FROM
                COALESCE(c.answered_at, CASE WHEN c.status <> 'open' THEN c.respond_by END)
                - c.created_at) * 1000000)::bigint))
         FROM claims_claim c JOIN orders_shipment s ON s.id = c.shipment_id
         WHERE c.status <> 'withdrawn' AND {SHIPPED} AND {{parcels}}))"""
TRACE_SQL = f"""
SELECT b.lot_code, b.trace_code, b.harvested_on, b.quantity, b.notes, b.certifications,
       b.scans, b.first_scanned_at, b.shipped,
       (SELECT m.name FROM producers_member m WHERE m.id = b.member_id),
       l.title, l.unit, l.growing_method, l.price, l.harvest_start, l.harvest_end, l.story,
       c.name, p.name, p.kind, p.story, pr.path, COALESCE(o.path, pr.path),
       (SELECT json_build_array(i.medium, i.width, i.height) FROM producers_listingimage i
        WHERE i.listing_id = l.id AND i.status = 'ready' ORDER BY i.position, i.id LIMIT 1),
       (SELECT json_agg(json_build_array(v.canonical_url, v.thumbnail_url, v.title, v.platform)
                        ORDER BY v.created_at DESC, v.id DESC)
        FROM (SELECT DISTINCT v.* FROM promotion_video v JOIN promotion_link k ON k.video_id = v.id
              WHERE v.kind = 'origin' AND v.status <> 'failed'
                AND (k.batch_id = b.id OR (k.listing_id = l.id AND v.owner_id = p.user_id))
              ORDER BY v.created_at DESC, v.id DESC LIMIT 20) v),
       b.id, COALESCE((SELECT d.visitors FROM producers_batchscandaily d
                       WHERE d.batch_id = b.id AND d.day = %s), 0),
       bp.project_id, bj.title, bp.kind, bp.value,
       {RECORD.format(parcels=LOT_PARCELS)}, {RECORD.format(parcels="s.producer_id = p.id")},
       sv.kind, sv.status,
       (SELECT json_agg(json_build_array({", ".join(f"x.{c}" for c in TRACE_COLUMNS)})
                        ORDER BY x.id)
        FROM (SELECT x.*, xr.path AS origin_path FROM certificates_certificate x
              LEFT JOIN producers_region xr ON xr.id = x.origin_region_id
              WHERE x.status IN ('self_declared', 'verified')
                AND (x.batch_id = b.id OR (x.batch_id IS NULL AND x.producer_id = p.id))) x),
       l.id, l.status
{CARD_FROM.replace("producers_listing l", TRACE_FROM)}
WHERE b.trace_code = %s"""
PLATFORMS = {"douyin": "抖音", "kuaishou": "快手", "bilibili": "哔哩哔哩", "youtube": "YouTube",
             "tiktok": "TikTok", "xigua": "西瓜视频", "weixin": "微信视频号"}


def _record(record) -> dict:
    shipped, claims = record[0], record[1] or ()
    return {"shipped": shipped, "claimed": len({c[0] for c in claims}),
            "refunded": len({c[0] for c in claims if c[1] == "refunded"}),
            "median_hours_to_answer": median_hours([c[2] for c in claims if c[2] is not None])}


def trace_page(request, trace_code: str):
    """GET /trace/{code}: the lot in one statement, the look counted as the app counts it
    (marketplace.visitors: one Redis round trip), the same template."""
    with connection.cursor() as cursor:
        cursor.execute(TRACE_SQL, [timezone.localdate(), trace_code])
        r = cursor.fetchone()
    if r is None:
        raise Http404
    today = visitors.SCANS.visit(subject_id=r[25], address=request.META["REMOTE_ADDR"],
                                 user_agent=request.headers.get("User-Agent", ""))
    if today is None:
        today = visitors.SCANS.today([r[25]])[r[25]]
    scans = r[6] - r[26] + max(today, r[26])
    photo = r[23]
    certificates = shown_certificates(r[35] or [])
    verified = {c["kind"] for c in certificates if c["status"] == "verified"}
    context = {
        "batch": {"lot_code": r[0], "trace_code": r[1], "harvested_on": r[2], "quantity": r[3],
                  "shipped": r[8], "notes": r[4],
                  # jsonb: text here
                  "certifications": shown_labels(orjson.loads(r[5]), verified),
                  "member_name": r[9] or ""},
        "listing": {"title": r[10], "unit_name": UNIT_NAMES.get(r[11], r[11]),
                    "growing_method": r[12], "price": r[13], "harvest_start": r[14],
                    "harvest_end": r[15], "story": r[16], "category_name": r[17]},
        "producer": {"name": r[18], "kind_name": KIND_NAMES.get(r[19], r[19]), "story": r[20],
                     "region_path": r[21]},
        "origin_region_path": r[22],
        "photo": {"url": _url(photo[0]), "width": photo[1], "height": photo[2]} if photo
        else None,
        "videos": [{"canonical_url": v[0], "thumbnail_url": v[1], "title": v[2],
                    "platform_name": PLATFORMS.get(v[3], v[3])} for v in r[24] or ()],
        "scans": scans,
        "first_scanned_at": timezone.localtime(r[7]) if r[7] else None,
        "label_warning": scans > settings.TRACE_SCAN_WARNING_THRESHOLD,
        "pledge": None if r[27] is None else {
            "project_id": r[27],
            "text": pledge_text(unit_name=UNIT_NAMES.get(r[11], r[11]), kind=r[29], value=r[30],
                                project_title=r[28])},
        "claims": {"lot": _record(r[31]), "farm": _record(r[32]), "lot_code": r[0]},
        "certificates": certificates_shown(certificates),
        "verification": verification_public(kind=r[33], status=r[34]),
        "listing_url": f"/l/{r[36]}" if r[37] == "active" else None,
    }
    response = HttpResponse(render_to_string("storefront/trace.html", context))
    response["Cache-Control"] = "no-cache"
    return response


def share(request, code: str):
    """GET /p/{code}: one statement, the click counted as the app counts it, a 302."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT k.listing_id, b.trace_code, k.id FROM promotion_link k "
                       "LEFT JOIN producers_batch b ON b.id = k.batch_id WHERE k.code = %s",
                       [code])
        r = cursor.fetchone()
    if r is None:
        raise Http404
    agent = request.headers.get("User-Agent", "")
    counted = not visitors.is_bot(agent)
    if counted:
        visitors.CLICKS.visit(subject_id=r[2], address=request.META["REMOTE_ADDR"],
                              user_agent=agent)
    if r[0] is None:
        return _no_store(HttpResponseRedirect(f"/trace/{r[1]}"))
    target = settings.PROMO_LANDING_URL.format(listing_id=r[0])
    visit = attribution.visit_issue(link_id=r[2]) if counted else None
    if visit:
        target += ("&" if "?" in target else "?") + urlencode({attribution.QUERY: visit})
    response = HttpResponseRedirect(target)
    if visit:
        response.set_cookie(attribution.COOKIE, visit, httponly=True, samesite="Lax",
                            max_age=settings.PROMO_ATTRIBUTION_WINDOW_DAYS * 24 * 3600)
    return _no_store(response)


def _no_store(response):
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns = [
    path("api/v1/listings", catalog),
    path("api/v1/listings/<int:listing_id>", listing),
    path("trace/<str:trace_code>", trace_page),
    path("p/<str:code>", share),
]
