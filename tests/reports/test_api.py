"""POST /reports, GET /reports/{id}, GET /reports: who may ask for what, bad periods, and the
answer shape of API.md (`202 {id, status, progress, download_url|null, expires_at}`)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from producers.models import Producer
from reports.models import Report

pytestmark = pytest.mark.django_db

Q1 = {"kind": "sales", "format": "csv", "period_start": "2026-01-01",
      "period_end": "2026-03-31"}


def test_a_producer_asks_for_a_sales_report_and_gets_202_pending(make_farm):
    _, farm_api, _ = make_farm()

    response = farm_api.post("/reports", Q1)

    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "pending"
    assert body["progress"] == 0
    assert body["download_url"] is None
    assert body["kind"] == "sales" and body["format"] == "csv"
    assert body["period_start"] == "2026-01-01" and body["period_end"] == "2026-03-31"
    assert body["expires_at"] > body["created_at"]
    assert body["failure_reason"] is None
    # nothing was built in the request: the task runs after the commit, in a worker
    assert Report.objects.get(pk=body["id"]).status == Report.Status.PENDING


def test_the_task_is_queued_once_after_commit(make_farm, django_capture_on_commit_callbacks):
    _, farm_api, _ = make_farm()

    with django_capture_on_commit_callbacks() as callbacks:
        response = farm_api.post("/reports", Q1)

    assert response.status_code == 202
    assert len(callbacks) == 1  # the build, queued for after the commit only


@pytest.mark.parametrize(("start", "end", "ok"), [
    ("2024-01-01", "2024-12-31", True),   # a leap year: 366 days
    ("2025-03-01", "2026-03-01", True),   # 366 days
    ("2025-03-01", "2026-03-02", False),  # 367 days
    ("2026-05-01", "2026-05-01", True),   # one day
    ("2026-05-02", "2026-05-01", False),  # ends before it starts
])
def test_a_period_of_at_most_366_days_in_order(make_farm, start, end, ok):
    _, farm_api, _ = make_farm()

    response = farm_api.post("/reports", {**Q1, "period_start": start, "period_end": end})

    if ok:
        assert response.status_code == 202, response.content
    else:
        assert response.status_code == 422, response.content
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert error["details"][0]["field"] == "period_end"


@pytest.mark.parametrize(("field", "value"), [
    ("kind", "everything"), ("format", "pdf"), ("period_start", "2026-13-01"),
    ("period_end", "yesterday"), ("period_start", "0001-01-01"), ("period_end", "9999-12-31"),
])
def test_bad_fields_are_422_with_the_field_named(make_farm, field, value):
    _, farm_api, _ = make_farm()

    response = farm_api.post("/reports", {**Q1, field: value})

    assert response.status_code == 422, response.content
    assert field in {d["field"] for d in response.json()["error"]["details"]}


def test_signed_out_is_401(api):
    assert api.post("/reports", Q1).status_code == 401
    assert api.get("/reports").status_code == 401


def test_a_buyer_without_a_farm_cannot_ask_for_farm_reports(buyer_api):
    for kind in ("sales", "statement", "member_sales"):
        response = buyer_api.post("/reports", {**Q1, "kind": kind})
        assert response.status_code == 403, (kind, response.content)
        assert response.json()["error"]["code"] == "producer_required"
    response = buyer_api.post("/reports", {**Q1, "kind": "benefit"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "producer_or_promoter_required"
    assert not Report.objects.exists()


def test_member_sales_are_for_cooperatives_only(make_farm):
    _, farmer_api, _ = make_farm(Producer.Kind.FARMER)

    response = farmer_api.post("/reports", {**Q1, "kind": "member_sales"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "cooperative_required"


def test_someone_elses_report_is_404(make_farm):
    _, farm_api, _ = make_farm()
    _, other_api, _ = make_farm()
    report_id = farm_api.post("/reports", Q1).json()["id"]

    response = other_api.get(f"/reports/{report_id}")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "report_not_found"
    assert farm_api.get(f"/reports/{report_id}").status_code == 200
    assert other_api.get("/reports/999999").status_code == 404


def test_at_most_report_max_active_reports_under_way_per_account(make_farm, settings):
    settings.REPORT_MAX_ACTIVE = 2
    _, farm_api, _ = make_farm()
    assert farm_api.post("/reports", Q1).status_code == 202
    assert farm_api.post("/reports", Q1).status_code == 202

    response = farm_api.post("/reports", Q1)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "too_many_reports"
    # a finished one frees a place
    Report.objects.filter(pk=Report.objects.order_by("id").first().pk).update(
        status=Report.Status.FAILED, failure_reason="x")
    assert farm_api.post("/reports", Q1).status_code == 202


def test_the_list_holds_the_callers_reports_newest_first(make_farm):
    _, farm_api, _ = make_farm()
    _, other_api, _ = make_farm()
    first = farm_api.post("/reports", Q1).json()["id"]
    second = farm_api.post("/reports", {**Q1, "format": "xlsx"}).json()["id"]
    other_api.post("/reports", Q1)

    body = farm_api.get("/reports").json()

    assert [r["id"] for r in body["items"]] == [second, first]
    assert body["next_cursor"] is None


def _count(client) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/reports")
    assert response.status_code == 200
    return len(ctx.captured_queries), len(response.json()["items"])


def test_the_list_runs_the_same_queries_for_1_and_20_reports(make_farm, settings):
    producer, farm_api, _ = make_farm()
    Report.objects.create(owner=producer.user, producer=producer, kind="sales", format="csv",
                          period_start="2026-01-01", period_end="2026-01-31",
                          expires_at=timezone.now() + timedelta(hours=1))
    one, n = _count(farm_api)
    assert n == 1
    Report.objects.bulk_create(
        Report(owner=producer.user, producer=producer, kind="sales", format="csv",
               period_start="2026-01-01", period_end="2026-01-31",
               expires_at=timezone.now() + timedelta(hours=1))
        for _ in range(19)
    )

    twenty, n = _count(farm_api)

    assert n == 20
    assert one == twenty
