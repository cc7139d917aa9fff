"""Two deliveries of the same build at once (PostgreSQL, real threads), and a real worker
building a report from Redis while the request only queued it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reports.models import Report
from reports.tasks import build_report
from tests.concurrency import run_concurrently
from tests.reports.conftest import read_file, stored_files


def _ask(client) -> int:
    today = timezone.localdate()
    response = client.post("/reports", {
        "kind": "sales", "format": "csv",
        "period_start": (today - timedelta(days=7)).isoformat(), "period_end": today.isoformat(),
    })
    assert response.status_code == 202, response.content
    return response.json()["id"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_build_one_file(make_farm, bulk_sales):
    producer, _, _ = make_farm()
    bulk_sales(producer, 3000)
    report_id = Report.objects.create(
        owner=producer.user, producer=producer, kind="sales", format="csv",
        period_start=timezone.localdate() - timedelta(days=7), period_end=timezone.localdate(),
        expires_at=timezone.now() + timedelta(hours=1)).pk

    results = run_concurrently(*[lambda: build_report(report_id)] * 4)

    assert not [r for r in results if isinstance(r, Exception)], results
    report = Report.objects.get(pk=report_id)
    assert report.status == Report.Status.DONE and report.attempt == 1
    assert report.row_count == 3000
    assert stored_files() == [report.file_name.split("/")[-1]]


@pytest.mark.redis
def test_a_real_worker_builds_the_report_the_request_queued(real_worker, make_farm, sell):
    _, farm_api, apples = make_farm()
    sell(apples, 2)

    report_id = _ask(farm_api)  # queued after the commit; a worker picks it up
    # the same task again, behind the first in the queue: when it answers, the first is done
    assert real_worker(build_report.apply_async(args=[report_id], ignore_result=False)) == "done"

    report = farm_api.get(f"/reports/{report_id}").json()
    assert report["status"] == "done" and report["row_count"] == 1
    assert read_file(report, farm_api).startswith(b"\xef\xbb\xbf")
    assert Report.objects.get(pk=report_id).attempt == 1
