"""Hypothesis strategies for money: amounts as the API writes them (decimal strings with two
places, never floats) and carts of goods from several farms."""

from decimal import Decimal

from hypothesis import strategies as st


def amounts(*, min_value: str = "0.01", max_value: str = "9999.99") -> st.SearchStrategy[Decimal]:
    """Amounts in yuan with exactly two places (whole fen) between the bounds."""
    low, high = int(Decimal(min_value) * 100), int(Decimal(max_value) * 100)
    return st.integers(low, high).map(lambda fen: Decimal(fen) / 100).map(
        lambda value: value.quantize(Decimal("0.01"))
    )


def rates() -> st.SearchStrategy[Decimal]:
    """Commission rates as a listing may carry them: "0.00" to "0.50" in whole per cent."""
    return st.integers(0, 50).map(lambda pct: (Decimal(pct) / 100).quantize(Decimal("0.01")))


def carts(*, farms: int = 3, max_lines: int = 5,
          max_quantity: int = 20) -> st.SearchStrategy[list[tuple[int, Decimal, int]]]:
    """1 to `max_lines` distinct listings as (farm index < `farms`, unit price, quantity)."""
    line = st.tuples(st.integers(0, farms - 1), amounts(max_value="500.00"),
                     st.integers(1, max_quantity))
    return st.lists(line, min_size=1, max_size=max_lines)
