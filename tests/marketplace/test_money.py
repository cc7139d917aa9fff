"""The one rounding rule: yuan to the fen, half up (not Decimal's default half-even)."""

from decimal import Decimal

import pytest

from marketplace.money import finer_than_cent, money, rate_rounded

pytestmark = pytest.mark.backend_independent  # no database: CI runs it in the PostgreSQL pass


@pytest.mark.parametrize(("value", "rounded"), [
    ("1.005", "1.01"),  # half up: half-even would give 1.00
    ("2.015", "2.02"),
    ("2.004", "2.00"),
    ("0.125", "0.13"),
    ("19.9", "19.90"),
    ("7", "7.00"),
])
def test_money_rounds_to_the_fen_half_up(value, rounded):
    assert str(money(Decimal(value))) == rounded


def test_a_commission_rate_rounds_as_money_does():
    assert str(rate_rounded(Decimal("0.125"))) == "0.13"


def test_finer_than_a_fen_is_told_apart():
    assert finer_than_cent(Decimal("1.005")) and not finer_than_cent(Decimal("1.50"))
