"""Reports of kind `claims`: a farm's claims opened in the period, every farm's for staff;
nobody else may ask."""

import csv
import io

import pytest

from tests.factories import client_for, make_user
from tests.reports.conftest import read_file, recent_period, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def report_storage(settings, tmp_path):
    settings.STORAGES = {**settings.STORAGES, "reports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "reports")}}}


@pytest.fixture
def built(django_capture_on_commit_callbacks):
    """built(client, kind=..., fmt=...) -> the report after its task ran."""

    def build(client, *, kind: str, fmt: str = "csv") -> dict:
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/reports", {"kind": kind, "format": fmt,
                                                **recent_period()})
        assert response.status_code == 202, response.content
        return client.get(f"/reports/{response.json()['id']}").json()

    return build


def _rows(report, client) -> list[list[str]]:
    return list(csv.reader(io.StringIO(read_file(report, client).decode("utf-8-sig"))))


def test_a_farm_reports_its_claims_and_staff_every_farms(open_claim, farm, parcel, built):
    open_claim()
    staff = client_for(make_user(username="kefu", is_staff=True))

    mine = _rows(built(farm["api"], kind="claims"), farm["api"])
    everyone = _rows(built(staff, kind="claims"), staff)

    assert mine[0][:6] == ["申请时间", "订单号", "包裹编号", "商家", "类型", "状态"]
    assert [(r[1], r[4], r[5], r[6]) for r in mine[1:]] == [
        (parcel["order"].number, "破损/坏果", "待商家处理", "13.33")]
    assert [r[1] for r in everyone[1:]] == [parcel["order"].number]


def test_an_xlsx_report_too(open_claim, farm, built):
    open_claim()

    report = built(farm["api"], kind="claims", fmt="xlsx")

    rows = xlsx_rows(read_file(report, farm["api"]))
    assert rows[0][0] == "申请时间" and len(rows) == 2


def test_a_buyer_cannot_ask_for_a_claims_report(buyer_api):
    response = buyer_api.post("/reports", {"kind": "claims", "format": "csv", **recent_period()})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "producer_required"
