"""Weekly statements: Monday to Sunday in Asia/Shanghai, closed by the Monday task; opening +
movements = closing to the fen; a late refund lands in the next statement, never in a closed
one."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from books import services as books
from books.models import Statement
from books.tasks import close_weekly_statements

from .conftest import at

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


MOVEMENTS = ["sales", "shipping", "platform_fees", "commissions", "benefit_pledges", "refunds",
             "payouts", "adjustments"]


def statements(market, farm) -> list[dict]:
    response = market.client_for(farm.user).get("/producers/me/statements")
    assert response.status_code == 200, response.content
    return response.json()["items"]


def cents(value: str) -> int:
    return int(value.replace(".", ""))


def test_two_weeks_of_a_farm_close_and_add_up(market):
    farm = market.farms[0]
    with at(shanghai(2026, 11, 4, 10)):  # Wednesday of the week of 2 November
        order = market.buy({0: 4})  # 50.00 + 10.00 shipping, 2.50 fee, 5.00 commission
        market.ship_and_deliver(order)
    with at(shanghai(2026, 11, 8, 23, 59, 59)):  # Sunday, the last second of the week
        market.buy({0: 8}, promo=False)  # 100.00, free shipping, 5.00 fee
    with at(shanghai(2026, 11, 9, 0, 5)):
        assert close_weekly_statements.delay().get() == 1

    with at(shanghai(2026, 11, 10, 9)):  # a refund of the first order, a week later
        market.refund(order, "6.00")  # a tenth of 60.00: 5.25 from the farm
    with at(shanghai(2026, 11, 12, 9)):
        market.settle(days=0)  # delivered 4 Nov: the window has passed
    with at(shanghai(2026, 11, 13, 9)):
        payout = market.payout(farm, "40.00")
        books.payout_mark_paid(payout_id=payout.pk, reference="BANK-1113")
    with at(shanghai(2026, 11, 16, 0, 5)):
        assert books.statements_close() == 1

    second, first = statements(market, farm)
    assert first == {
        "id": first["id"], "period_start": "2026-11-02", "period_end": "2026-11-08",
        "opening": "0.00", "sales": "150.00", "shipping": "10.00", "platform_fees": "-7.50",
        "commissions": "-5.00", "benefit_pledges": "0.00", "refunds": "0.00",
        "payouts": "0.00", "adjustments": "0.00", "closing": "147.50", "currency": "CNY",
    }
    assert (second["period_start"], second["period_end"]) == ("2026-11-09", "2026-11-15")
    assert (second["opening"], second["refunds"], second["payouts"], second["closing"]) == (
        "147.50", "-5.25", "-40.00", "102.25")
    balance = market.farm_balance(farm)
    assert cents(second["closing"]) == int((balance["pending"] + balance["available"]) * 100)
    for statement in (first, second):
        assert cents(statement["opening"]) + sum(cents(statement[m]) for m in MOVEMENTS) == \
            cents(statement["closing"])


def test_a_closed_statement_never_changes_and_a_late_refund_lands_in_the_next(market):
    farm = market.farms[0]
    with at(shanghai(2026, 11, 4, 10)):
        order = market.buy({0: 4})
    with at(shanghai(2026, 11, 9, 0, 5)):
        books.statements_close()
    closed = Statement.objects.get(producer=farm)
    before = {f.name: getattr(closed, f.name) for f in Statement._meta.fields}

    with at(shanghai(2026, 11, 20, 9)):
        market.refund(order, "60.00")  # the whole order, two weeks later
    with at(shanghai(2026, 11, 30, 1)):
        assert books.statements_close() == 3  # three weeks caught up at once

    closed.refresh_from_db()
    assert {f.name: getattr(closed, f.name) for f in Statement._meta.fields} == before
    weeks = statements(market, farm)
    assert [w["period_start"] for w in weeks] == ["2026-11-23", "2026-11-16", "2026-11-09",
                                                  "2026-11-02"]
    assert [w["refunds"] for w in weeks] == ["0.00", "-52.50", "0.00", "0.00"]
    assert weeks[0]["closing"] == "0.00"
    for older, newer in zip(weeks[1:], weeks, strict=False):
        assert newer["opening"] == older["closing"]


def test_closing_twice_writes_each_week_once(market):
    with at(shanghai(2026, 11, 4, 10)):
        market.buy({0: 1})
    with at(shanghai(2026, 11, 9, 0, 5)):
        assert books.statements_close() == 1
        assert books.statements_close() == 0
    assert Statement.objects.count() == 1


def test_the_week_in_progress_has_no_statement_yet(market):
    with at(shanghai(2026, 11, 9, 0, 0)):  # Monday 00:00: the new week has begun
        market.buy({0: 1})
        assert books.statements_close() == 0


def test_a_farm_hears_its_statement_is_ready_once(market):
    from notify.models import Notification

    with at(shanghai(2026, 11, 4, 10)):
        market.buy({0: 1})
    with at(shanghai(2026, 11, 9, 0, 5)):
        assert books.statements_close() == 1
        assert books.statements_close() == 0
    [told] = Notification.objects.filter(event="statement_ready")
    assert told.user_id == market.farms[0].user_id
    assert told.title == "11月02日–11月08日 结算单已生成"
    assert told.data["statement_id"] == Statement.objects.get().pk


def test_a_farm_hears_its_payout_was_paid(market):
    from notify.models import Notification

    farm = market.farms[0]
    market.buy({0: 4})
    market.ship_and_deliver(farm.shipments.latest("id").order)
    market.settle()
    payout = market.payout(farm, "1.00")
    assert not Notification.objects.filter(event="payout_paid").exists()  # not yet paid
    books.payout_mark_paid(payout_id=payout.pk, reference="BANK-0042")
    [told] = Notification.objects.filter(event="payout_paid")
    assert told.user_id == farm.user_id and "BANK-0042" in told.body
    assert told.data["amount"] == "1.00"
