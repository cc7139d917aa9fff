"""The rules that share a short harvest among paid pre-sale lines, as properties (Hypothesis):
never more than ordered, never more than harvested, all of it shared, and pro rata within one
unit of each line's exact share with the bigger order never getting less."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.allocation import first_come, pro_rata

pytestmark = pytest.mark.backend_independent  # no database: CI runs it in the PostgreSQL pass

orders = st.lists(st.integers(min_value=1, max_value=500), min_size=1, max_size=40)
harvests = st.integers(min_value=0, max_value=25_000)


@given(orders, harvests)
def test_pro_rata_is_whole_units_within_one_of_the_exact_share(ordered, available):
    given_units = pro_rata(ordered, available)
    total = sum(ordered)

    assert len(given_units) == len(ordered)
    assert sum(given_units) == min(available, total)  # all of it, never more
    for quantity, units in zip(ordered, given_units, strict=True):
        assert 0 <= units <= quantity
        exact = Fraction(quantity * min(available, total), total)
        assert exact - 1 < units < exact + 1
        assert units in (exact.__floor__(), exact.__ceil__())


@given(orders, harvests)
def test_pro_rata_never_gives_the_bigger_order_less(ordered, available):
    given_units = pro_rata(ordered, available)

    for i, a in enumerate(ordered):
        for j, b in enumerate(ordered):
            if a > b:
                assert given_units[i] >= given_units[j], (ordered, available, given_units)
            if a == b and i < j:  # a tie goes to the earlier payment
                assert given_units[i] >= given_units[j]


@given(orders, harvests)
def test_largest_remainders_get_the_leftover_units(ordered, available):
    total = sum(ordered)
    given_units = pro_rata(ordered, available)
    if available >= total:
        assert given_units == ordered
        return
    remainders = [(quantity * available) % total for quantity in ordered]
    rounded_up = [i for i, q in enumerate(ordered) if given_units[i] * total > q * available]
    kept_down = [i for i in range(len(ordered)) if i not in rounded_up]
    for up in rounded_up:
        for down in kept_down:
            assert remainders[up] >= remainders[down]


@given(orders, harvests)
def test_first_come_fills_in_payment_order(ordered, available):
    given_units = first_come(ordered, available)

    assert sum(given_units) == min(available, sum(ordered))
    assert all(0 <= u <= q for u, q in zip(given_units, ordered, strict=True))
    # once a line is short, every later one gets nothing
    short = [i for i, (u, q) in enumerate(zip(given_units, ordered, strict=True)) if u < q]
    if short:
        assert all(u == 0 for u in given_units[short[0] + 1:])


def test_examples():
    assert pro_rata([3, 3, 4], 5) == [2, 1, 2]  # 1.5, 1.5, 2.0: the tie to the earlier payment
    assert pro_rata([1, 1, 1], 2) == [1, 1, 0]
    assert pro_rata([10, 1], 5) == [5, 0]  # 4.55 and 0.45: the remainders decide
    assert pro_rata([2, 5], 100) == [2, 5]
    assert first_come([2, 5, 3], 6) == [2, 4, 0]
