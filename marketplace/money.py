"""Money: `Decimal` yuan kept to the fen (0.01), rounded half up, never a float. The one rounding
rule of the project; orders, producers and promotion import it rather than write their own."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    """`value` to the fen, half up: 1.005 -> 1.01, 2.004 -> 2.00."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_rounded(value: Decimal) -> Decimal:
    """A commission rate (0.10 is 10 %) to the hundredth, rounded as money is."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def finer_than_cent(value: Decimal) -> bool:
    """True for 1.005. Only for a value already checked to be in range: quantizing 1e999999999
    raises."""
    return value != value.quantize(CENT)
