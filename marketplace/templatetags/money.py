"""`{{ amount|yuan }}`: an amount as the pages for people write it, ¥1,234.50 (-¥2.00 for an
outgoing one): thousands separated, to the fen, rounded as money is (marketplace.money)."""

from decimal import Decimal, InvalidOperation

from django import template

from marketplace.money import money

register = template.Library()


@register.filter
def yuan(value: Decimal | int | str | None) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = money(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    sign = "-" if amount < 0 else ""
    return f"{sign}¥{abs(amount):,.2f}"
