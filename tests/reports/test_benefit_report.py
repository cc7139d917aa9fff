"""Reports of kind `benefit`: a farm's pledges on its lines, a promoter's of their commissions,
on orders paid in the period, as snapshotted when each order was placed."""

import csv
import io

import pytest

from tests.benefit.conftest import World
from tests.reports.conftest import read_file, recent_period

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(benefit_world_settings):
    return World()


@pytest.fixture
def benefit_world_settings(settings):
    from decimal import Decimal

    settings.PAYMENT_SANDBOX_WEBHOOK_SECRET = "test-webhook-secret"
    settings.PLATFORM_FEE_RATE = Decimal("0.05")
    return settings


def rows_of(report, client) -> list[list[str]]:
    return list(csv.reader(io.StringIO(read_file(report, client).decode("utf-8-sig"))))


def test_a_farm_reports_its_pledges_and_a_promoter_theirs(world, built):
    world.pledge(kind="fixed", value="1.00")
    world.promoter_pledge("50")
    first = world.buy({0: 4})
    world.buy({1: 1}, promo=False)  # another farm's sale, no pledge
    farm = world.client_for(world.farms[0].user)
    promoter = world.client_for(world.promoter.user)

    farm_report = built(farm, kind="benefit")
    promoter_report = built(promoter, kind="benefit")

    farm_rows = rows_of(farm_report, farm)
    assert farm_rows[0][:6] == ["付款时间", "订单号", "商品编号", "商品", "数量", "公益项目"]
    assert [(r[1], r[5], r[6], r[9]) for r in farm_rows[1:]] == [
        (first.number, "二郎庙村小学免费午餐", "农户", "4.00")]
    promoter_rows = rows_of(promoter_report, promoter)
    assert [(r[1], r[6], r[8], r[9]) for r in promoter_rows[1:]] == [
        (first.number, "推广者", "50.00", "2.50")]


def test_a_buyer_cannot_ask_for_a_benefit_report(world, buyer_api):
    response = buyer_api.post("/reports", {"kind": "benefit", "format": "csv", **recent_period()})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "producer_or_promoter_required"
