"""The kinds of report: who may ask for each, and where its rows come from.

- `sales`: a farm's order lines paid in the period (orders tables);
- `statement`: a farm's ledger movements in the period (the books' double-entry ledger);
- `member_sales`: a cooperative's sales per member and lot: every lot of a line shipped in the
  period from a member's harvest (producers' members and the lots shipped on each line).
- `benefit`: the caller's public-benefit pledges on orders paid in the period (a farm's, or a
  promoter's of their commissions).
- `claims`: the after-sales claims opened in the period on a farm's parcels (claims), or on
  every farm's for staff.

A kind whose data does not exist yet in Shanhuo is refused with `409 report_kind_unavailable`
(after the role check), not answered with an empty or made-up file: none today.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from accounts.models import User
from claims.selectors import REPORT_HEADER as CLAIMS_HEADER
from claims.selectors import report_rows as claims_report_rows
from marketplace.errors import Conflict, PermissionDenied
from orders.selectors import MEMBER_SALES_HEADER, member_sales_rows
from producers.models import Producer
from producers.services import cooperative_check
from reports import selectors
from reports.models import Report


@dataclass(frozen=True)
class ReportKind:
    header: list[str]
    # (report) -> (row count, rows)
    rows: Callable[[Report], tuple[int, Iterator[tuple]]] | None


def _sales_rows(report: Report) -> tuple[int, Iterator[tuple]]:
    return selectors.sales_lines(
        producer_id=report.producer_id, start=report.period_start, end=report.period_end
    )


def _member_sales_rows(report: Report) -> tuple[int, Iterator[tuple]]:
    return member_sales_rows(producer_id=report.producer_id, start=report.period_start,
                             end=report.period_end, chunk=selectors.CHUNK_ROWS)


def _statement_rows(report: Report) -> tuple[int, Iterator[tuple]]:
    return selectors.statement_movements(
        producer_id=report.producer_id, start=report.period_start, end=report.period_end
    )


def _benefit_rows(report: Report) -> tuple[int, Iterator[tuple]]:
    return selectors.benefit_pledges(producer_id=report.producer_id, user=report.owner,
                                     start=report.period_start, end=report.period_end)


def _claims_rows(report: Report) -> tuple[int, Iterator[tuple]]:
    return claims_report_rows(producer_id=report.producer_id, start=report.period_start,
                              end=report.period_end, chunk=selectors.CHUNK_ROWS)


KINDS: dict[str, ReportKind] = {
    Report.Kind.SALES: ReportKind(header=selectors.SALES_HEADER, rows=_sales_rows),
    Report.Kind.STATEMENT: ReportKind(header=selectors.STATEMENT_HEADER, rows=_statement_rows),
    Report.Kind.MEMBER_SALES: ReportKind(header=MEMBER_SALES_HEADER, rows=_member_sales_rows),
    Report.Kind.BENEFIT: ReportKind(header=selectors.BENEFIT_HEADER, rows=_benefit_rows),
    Report.Kind.CLAIMS: ReportKind(header=CLAIMS_HEADER, rows=_claims_rows),
}

_UNAVAILABLE: dict[str, str] = {
}


def _producer(user: User) -> Producer:
    producer = selectors.producer_of(user)
    if producer is None:
        raise PermissionDenied("You have no producer profile.", code="producer_required")
    return producer


def report_subject(*, user: User, kind: str) -> Producer | None:
    """Whose data a report of `kind` for `user` holds: 403 for a role the caller does not have,
    409 for a kind Shanhuo has no data for yet."""
    producer = None
    if kind in (Report.Kind.SALES, Report.Kind.STATEMENT):
        producer = _producer(user)
    elif kind == Report.Kind.MEMBER_SALES:
        producer = _producer(user)
        cooperative_check(producer)
    elif kind == Report.Kind.CLAIMS:
        # staff read every farm's claims; a farm its own
        producer = None if user.is_staff else _producer(user)
    elif kind == Report.Kind.BENEFIT:
        producer = selectors.producer_of(user)
        if producer is None and not selectors.is_promoter(user):
            raise PermissionDenied("Pledges are made by producers and promoters.",
                                   code="producer_or_promoter_required")
    if KINDS[kind].rows is None:
        raise Conflict(_UNAVAILABLE[kind], code="report_kind_unavailable",
                       details={"kind": kind})
    return producer
