"""Celery tasks of the reports app: build one report, purge expired files, requeue what no
worker holds. Each takes ids (or nothing) and is safe to run twice."""

from celery import shared_task


@shared_task(name="reports.tasks.build_report", max_retries=0, acks_late=True, bind=True)
def build_report(self, report_id: int) -> str:
    """Build the report's file. A second run finds the report done, failed or held by a live
    run and does nothing, except a redelivery of this same message (same task id), which
    resumes the build its dead run left; a failure ends in `failed`."""
    from reports.services import report_build

    return report_build(report_id=report_id, run_id=self.request.id or "")


@shared_task(name="reports.tasks.purge_expired_reports", max_retries=0)
def purge_expired_reports() -> int:
    """Delete report files past their expiry (beat, hourly)."""
    from reports.services import reports_purge_expired

    return reports_purge_expired()


@shared_task(name="reports.tasks.requeue_reports", max_retries=0)
def requeue_reports() -> int:
    """Queue again the reports no worker holds (beat, every five minutes)."""
    from reports.services import reports_requeue

    return reports_requeue()
