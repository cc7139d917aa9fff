"""Reads for the reports API and the rows each kind of report streams.

The row sources return `(count, rows)`: the number of rows (for progress) and an iterator of
tuples read through a database cursor in chunks (`QuerySet.iterator`: a server-side cursor on
PostgreSQL, `fetchmany` on SQLite), so a report of 200,000 lines never holds them all.
"""

from collections.abc import Iterator
from datetime import date

from django.core.files.storage import storages
from django.utils import timezone

from accounts.models import User
from benefit.models import LinePledge
from books.selectors import statement_lines
from ledger.amounts import yuan
from ledger.models import Entry
from marketplace.errors import Conflict, NotFound
from marketplace.pagination import Page, PageParams, paginate
from marketplace.periods import period_bounds
from marketplace.schemas import CURRENCY
from orders.models import Order, OrderLine, Shipment
from producers.models import Listing, Producer
from promotion.models import Promoter
from reports import links
from reports.models import Report

CHUNK_ROWS = 2000


def report_get(*, user: User, report_id: int) -> Report:
    """The caller's report; anyone else's is not there (404)."""
    report = Report.objects.filter(pk=report_id, owner=user).first()
    if report is None:
        raise NotFound("No such report.", code="report_not_found")
    return report


def report_list(*, user: User, params: PageParams) -> Page:
    """The caller's reports, newest first (one query a page)."""
    return paginate(Report.objects.filter(owner=user), params, ordering=["-created_at", "-id"])


def report_storage():
    """Where report files live: the `reports` entry of STORAGES (a private location, never the
    public media), reached through Django's storage API only."""
    return storages["reports"]


def report_file_open(*, user: User, report_id: int, token: str):
    """(report, open file) for the owner holding a valid link. Someone else's report, or a
    token that is not this report's: 404 as if nothing were there. Not done yet: 409
    `report_not_ready`. A link past its expiry or a file already deleted: 404 `report_expired`
    (API.md names no 410 and the fuzzer holds every error to its list; the code tells the
    owner why)."""
    report = report_get(user=user, report_id=report_id)
    if report.status != Report.Status.DONE:
        raise Conflict("This report has no file: it is not done.", code="report_not_ready")
    if not report.file_name or report.expires_at <= timezone.now():
        raise NotFound("This report's link has expired; ask for the report again.",
                       code="report_expired")
    if not links.token_matches(report, token):
        raise NotFound("No such report file.", code="report_not_found")
    try:
        handle = report_storage().open(report.file_name, "rb")
    except FileNotFoundError as exc:
        raise NotFound("This report's file is gone; ask for the report again.",
                       code="report_expired") from exc
    return report, handle


def download_name(report: Report) -> str:
    """销售明细_2026-01-01_2026-03-31.csv"""
    return (f"{report.get_kind_display()}_{report.period_start.isoformat()}_"
            f"{report.period_end.isoformat()}.{report.format}")


def active_report_count(*, user: User) -> int:
    return Report.objects.filter(
        owner=user, status__in=[Report.Status.PENDING, Report.Status.RUNNING]
    ).count()


def producer_of(user: User) -> Producer | None:
    return Producer.objects.filter(user=user).first()


def is_promoter(user: User) -> bool:
    return Promoter.objects.filter(user=user).exists()


SALES_HEADER = ["付款时间", "订单号", "商品编号", "商品", "单位", "数量", "单价", "金额", "币种",
                "订单状态", "发货状态", "快递公司", "运单号", "发货时间", "签收时间"]
_UNITS = dict(Listing.Unit.choices)
_ORDER_STATUS = dict(Order.Status.choices)
_SHIPMENT_STATUS = dict(Shipment.Status.choices)


def sales_lines(*, producer_id: int, start: date, end: date) -> tuple[int, Iterator[tuple]]:
    """A farm's order lines paid within the period, oldest payment first: what it sold, at what
    price, and where each parcel is. Nothing about the buyer (no name, phone or address)."""
    since, until = period_bounds(start, end)
    lines = OrderLine.objects.filter(
        shipment__producer_id=producer_id, order__paid_at__gte=since, order__paid_at__lt=until
    )
    values = lines.order_by("order__paid_at", "id").values_list(
        "order__paid_at", "order__number", "listing_id", "title", "unit", "quantity",
        "unit_price", "line_total", "order__currency", "order__status", "shipment__status",
        "shipment__carrier", "shipment__tracking_number", "shipment__shipped_at",
        "shipment__delivered_at",
    )

    def rows() -> Iterator[tuple]:
        for (paid_at, number, listing_id, title, unit, quantity, unit_price, line_total,
             currency, order_status, shipment_status, carrier, tracking, shipped_at,
             delivered_at) in values.iterator(chunk_size=CHUNK_ROWS):
            yield (paid_at, number, listing_id, title, _UNITS.get(unit, unit), quantity,
                   unit_price, line_total, currency, _ORDER_STATUS.get(order_status),
                   _SHIPMENT_STATUS.get(shipment_status), carrier, tracking, shipped_at,
                   delivered_at)

    return lines.count(), rows()


STATEMENT_HEADER = ["序号", "记账时间", "类型", "金额", "币种", "订单号", "摘要"]
_ENTRY_KINDS = dict(Entry.Kind.choices)


def statement_movements(*, producer_id: int, start: date, end: date
                        ) -> tuple[int, Iterator[tuple]]:
    """A farm's ledger movements posted within the period, in ledger order, as the books keep
    them (`books.selectors.statement_lines`): signed amounts, + owed to the farm."""
    lines = statement_lines(producer_id=producer_id, period_start=start, period_end=end)

    def rows() -> Iterator[tuple]:
        for line in lines.iterator(chunk_size=CHUNK_ROWS):
            yield (line["seq"], line["created_at"], _ENTRY_KINDS.get(line["kind"], line["kind"]),
                   yuan(line["amount_fen"]), CURRENCY, line["order_number"], line["memo"])

    return lines.count(), rows()


BENEFIT_HEADER = ["付款时间", "订单号", "商品编号", "商品", "数量", "公益项目", "认捐方", "方式",
                  "比例或每件金额", "认捐金额", "币种", "订单状态"]
_PLEDGE_KINDS = {"percent": "按比例（%）", "fixed": "每件定额（元）"}
_PLEDGE_SOURCES = dict(LinePledge.Source.choices)


def benefit_pledges(*, producer_id: int | None, user: User, start: date, end: date
                    ) -> tuple[int, Iterator[tuple]]:
    """The caller's public-benefit pledges on orders paid within the period, oldest payment
    first, as snapshotted when each order was placed: a farm's on its lines, else a
    promoter's of their commissions. A cancelled order's pledge was voided (its status says
    so); nothing about the buyer."""
    since, until = period_bounds(start, end)
    pledges = LinePledge.objects.filter(order__paid_at__gte=since, order__paid_at__lt=until)
    if producer_id is not None:
        pledges = pledges.filter(source=LinePledge.Source.FARM,
                                 line__shipment__producer_id=producer_id)
    else:
        pledges = pledges.filter(source=LinePledge.Source.PROMOTER, promoter__user=user)
    values = pledges.order_by("order__paid_at", "id").values_list(
        "order__paid_at", "order__number", "line__listing_id", "line__title", "line__quantity",
        "project__title", "source", "kind", "value", "amount", "order__currency",
        "order__status")

    def rows() -> Iterator[tuple]:
        for (paid_at, number, listing_id, title, quantity, project, source, kind, value, amount,
             currency, status) in values.iterator(chunk_size=CHUNK_ROWS):
            yield (paid_at, number, listing_id, title, quantity, project,
                   _PLEDGE_SOURCES.get(source), _PLEDGE_KINDS.get(kind), value, amount, currency,
                   _ORDER_STATUS.get(status))

    return pledges.count(), rows()
