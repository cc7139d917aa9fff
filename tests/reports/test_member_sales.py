"""The member sales report of a cooperative: one row per lot of each line shipped in the
period from a member's harvest, in CSV and XLSX like every other kind."""

import csv
import io

import pytest

from orders.services import shipment_ship
from producers.models import Producer
from tests.factories import make_batch, make_member
from tests.reports.conftest import read_file, xlsx_rows

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_member_sales_report_names_each_members_lots_and_their_amounts(
        make_farm, sell, built, fmt):
    # given a cooperative whose two members' lots went into one parcel of 3 boxes at 39.90
    coop, coop_api, apples = make_farm(Producer.Kind.COOPERATIVE)
    wang = make_member(producer=coop, name="王秀英", phone="13712345678")
    li = make_member(producer=coop, name="=李大山")
    wang_lot = make_batch(listing=apples, member_id=wang.pk, quantity=10, lot_code="W-1")
    li_lot = make_batch(listing=apples, member_id=li.pk, quantity=10, lot_code="L-1")
    order = sell(apples, 3)
    line = order.lines.get()
    shipment_ship(shipment_id=order.shipments.get().pk, user=coop.user, carrier="顺丰",
                  tracking_number="SF1234567890123",
                  lots=[{"line_id": line.pk, "batch_id": wang_lot.pk, "quantity": 2},
                        {"line_id": line.pk, "batch_id": li_lot.pk, "quantity": 1}])
    sell(apples, 1)  # paid, not shipped: nobody's sale yet

    # when it asks for the member sales report
    report = built(coop_api, fmt=fmt, kind="member_sales")

    # then one row per member's lot, with the amount at the line's price
    assert report["status"] == "done", report
    assert report["row_count"] == 2
    content = read_file(report, coop_api)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        rows = xlsx_rows(content)
    assert list(rows[0][:4]) == ["发货时间", "社员编号", "社员", "批次号"]
    by_member = {row[2]: row for row in rows[1:]}
    assert set(by_member) == {"王秀英", "'=李大山"}  # a formula-like name is escaped
    wang_row = by_member["王秀英"]
    assert (wang_row[3], str(wang_row[7]), wang_row[8]) == ("W-1", "2", "箱")
    assert str(wang_row[10]).startswith("79.8")
    assert wang_row[12] == order.number
    assert "13712345678" not in str(rows)  # the phone is nobody's business in a report either
