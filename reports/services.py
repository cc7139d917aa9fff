"""Every write of the reports app: asking for a report, building it (in a Celery task, never in
a request), and deleting files past their expiry."""

import logging
import secrets
import tempfile
from datetime import date, timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from marketplace.errors import Conflict
from marketplace.periods import period_check
from outbox import enqueue
from outbox.services import intent_nudge
from reports import kinds, selectors, writers
from reports.models import Report
from reports.tasks import build_report as build_report_task

logger = logging.getLogger(__name__)

# A running build that has not reported progress for this long is taken to have died with its
# worker; the next run takes it over. It gives up after MAX_ATTEMPTS.
STALE_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 3
# A pending report not picked up by then is sent to the queue again (the first send may have
# met a broker that was down).
REQUEUE_AFTER = timedelta(minutes=2)

REASON_STORAGE = "报表文件未能保存（存储出错），请重新生成。"
REASON_TOO_MANY_ROWS = "行数超过 Excel 表格上限（1,048,575 行），请改用 CSV 或缩短期间。"
REASON_INTERNAL = "生成报表时出错，请重新生成。"
REASON_ABANDONED = "生成过程多次中断，请重新生成。"


def report_request(*, user: User, kind: str, format: str, period_start: date,
                   period_end: date) -> Report:
    """Ask for a report: 422 for a bad period, 403 for a role the caller lacks, 409 for a kind
    without data yet or too many reports under way. The file is built by a Celery task after
    the commit."""
    period_check(period_start, period_end)
    producer = kinds.report_subject(user=user, kind=kind)
    with transaction.atomic():
        # One request at a time per user, so the limit below holds under concurrent requests.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        if selectors.active_report_count(user=user) >= settings.REPORT_MAX_ACTIVE:
            raise Conflict(
                f"You already have {settings.REPORT_MAX_ACTIVE} reports being built; "
                "wait for one to finish.", code="too_many_reports")
        report = Report.objects.create(
            owner=user, producer=producer, kind=kind, format=format,
            period_start=period_start, period_end=period_end,
            expires_at=timezone.now() + timedelta(hours=settings.REPORT_TTL_HOURS),
        )
        # the build is an outbox intent of this transaction: handed over after the commit, and
        # again by the outbox relay while the broker does not take it
        enqueue(build_report_task, report.pk)
    return report


class Superseded(Exception):
    """Another run of the task holds the report now."""


def _claim(report_id: int, now, run_id: str = "") -> int | None:
    """Take the report for this run: pending; running but silent for STALE_AFTER (its worker
    died); or running under this very task id (`run_id`): the message was delivered again, which
    Celery does when the worker that had it died, so the build resumes now rather than after
    STALE_AFTER. Returns the run's attempt number, or None when there is nothing to do."""
    claimable = Q(status=Report.Status.PENDING) | Q(
        status=Report.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    )
    if run_id:
        claimable |= Q(status=Report.Status.RUNNING, run_id=run_id)
    for _ in range(3):
        attempt = (Report.objects.filter(claimable, pk=report_id, attempt__lt=MAX_ATTEMPTS)
                   .values_list("attempt", flat=True).first())
        if attempt is None:
            return None
        taken = Report.objects.filter(claimable, pk=report_id, attempt=attempt).update(
            status=Report.Status.RUNNING, attempt=attempt + 1, heartbeat_at=now,
            started_at=now, progress=0, row_count=0, run_id=run_id,
        )
        if taken:
            return attempt + 1
    return None


def _running(report_id: int, attempt: int):
    return Report.objects.filter(pk=report_id, status=Report.Status.RUNNING, attempt=attempt)


def _progress(report_id: int, attempt: int, done: int, total: int) -> None:
    progress = min(99, done * 100 // total) if total else 99
    if not _running(report_id, attempt).update(
        progress=progress, row_count=done, heartbeat_at=timezone.now()
    ):
        raise Superseded


def _fail(report_id: int, attempt: int, reason: str) -> None:
    _running(report_id, attempt).update(
        status=Report.Status.FAILED, failure_reason=reason, finished_at=timezone.now()
    )


def _file_name(report: Report) -> str:
    # Unguessable, and nothing in it says whose it is.
    return f"reports/{report.pk}-{secrets.token_urlsafe(16)}.{report.format}"


def report_build(*, report_id: int, run_id: str = "") -> str:
    """Build the report's file, once: stream its rows in chunks into a scratch file (CSV or
    XLSX), store it, and mark the report done. Running it again, or while another run holds the
    report, changes nothing, except that a run with the task id (`run_id`) of the run holding
    the report takes it over at once (a redelivered message: that run died). Any error ends the
    report in `failed` with a reason."""
    attempt = _claim(report_id, timezone.now(), run_id)
    if attempt is None:
        return Report.objects.filter(pk=report_id).values_list("status", flat=True).first() or ""
    report = Report.objects.get(pk=report_id)
    kind = kinds.KINDS[report.kind]
    storage = selectors.report_storage()
    stored = None
    try:
        total, rows = kind.rows(report)
        with tempfile.TemporaryFile() as scratch:
            writer = writers.open_writer(report.format, scratch, kind.header,
                                         sheet=report.get_kind_display())
            done = 0
            for row in rows:  # one row at a time: nothing holds more than the cursor's chunk
                writer.write_row(row)
                done += 1
                if done % selectors.CHUNK_ROWS == 0:
                    _progress(report_id, attempt, done, total)
            if done % selectors.CHUNK_ROWS:
                _progress(report_id, attempt, done, total)
            writer.close()
            scratch.seek(0)
            try:
                stored = storage.save(_file_name(report), File(scratch))
            except Exception as exc:
                raise _StorageFailed from exc
        now = timezone.now()
        finished = _running(report_id, attempt).update(
            status=Report.Status.DONE, progress=100, row_count=done, file_name=stored,
            finished_at=now, heartbeat_at=now,
            expires_at=now + timedelta(hours=settings.REPORT_TTL_HOURS),
        )
        if not finished:
            raise Superseded
        logger.info("Report %s built: %d rows, %s", report_id, done, stored)
        return Report.Status.DONE
    except Superseded:
        _discard(storage, stored)
        return Report.Status.RUNNING
    except Exception as exc:
        logger.exception("Report %s failed", report_id)
        _discard(storage, stored)
        _fail(report_id, attempt, _reason(exc))
        return Report.Status.FAILED


class _StorageFailed(Exception):
    pass


def _reason(exc: Exception) -> str:
    if isinstance(exc, _StorageFailed):
        return REASON_STORAGE
    if isinstance(exc, writers.TooManyRows):
        return REASON_TOO_MANY_ROWS
    return REASON_INTERNAL


def _discard(storage, name: str | None) -> None:
    if name:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete the report file %s", name)


def reports_purge_expired(*, now=None, batch: int = 500) -> int:
    """Delete the files of reports past `expires_at` (beat, hourly). The file goes first, then
    the row forgets it (only if it still names that file), so running twice, or at once with
    another purge, deletes nothing twice and leaves no row naming a missing file as live."""
    now = now or timezone.now()
    storage = selectors.report_storage()
    purged = 0
    while True:
        expired = list(
            Report.objects.filter(expires_at__lte=now).exclude(file_name="")
            .order_by("expires_at", "id").values_list("pk", "file_name")[:batch]
        )
        for report_id, name in expired:
            storage.delete(name)
            purged += Report.objects.filter(pk=report_id, file_name=name).update(
                file_name="", purged_at=now
            )
        if len(expired) < batch:
            return purged


def reports_requeue(*, now=None) -> int:
    """Send to the queue again the reports no worker has (beat, every few minutes): pending
    ones older than REQUEUE_AFTER, and running ones whose worker went silent. A build that died
    MAX_ATTEMPTS times is failed instead. Building is idempotent, so a report sent twice is
    built once."""
    now = now or timezone.now()
    stale = Q(status=Report.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    Report.objects.filter(stale, attempt__gte=MAX_ATTEMPTS).update(
        status=Report.Status.FAILED, failure_reason=REASON_ABANDONED, finished_at=now
    )
    waiting = list(
        Report.objects.filter(
            stale | Q(status=Report.Status.PENDING, created_at__lt=now - REQUEUE_AFTER)
        ).order_by("id").values_list("pk", flat=True)[:500]
    )
    nudged = 0
    for report_id in waiting:
        # through the outbox: recorded, handed over when the broker takes it, once per report
        nudged += intent_nudge(build_report_task, report_id)
    return nudged

