"""The numbers a seller proves who they are with, and their check characters.

- The 18-digit resident identity number (居民身份证号码, GB 11643-1999): six digits of the
  region, eight of the birth date, three of the sequence, and a check character by ISO 7064
  MOD 11-2: weights 2^(17-i) mod 11, check = (12 - sum mod 11) mod 11, 10 written `X`.
- The unified social credit code (统一社会信用代码, GB 32100-2015) of a business, a company or a
  cooperative: benefit.codes already checks it for charities; the rule is used from there.

These functions say why a number is wrong (or None), never repeating the number itself: the
reason goes into a 422 answer and may be logged."""

from datetime import date

from benefit.codes import code_problem as credit_code_problem  # noqa: F401 (one rule, one place)
from benefit.codes import normalised as credit_code_normalised  # noqa: F401

ID_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, ...
ID_CHECK = "10X98765432"  # sum mod 11 -> check character


def id_check_character(first17: str) -> str:
    total = sum(int(ch) * weight for ch, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_number_normalised(number: str) -> str:
    return (number or "").strip().upper()


def id_number_problem(number: str) -> str | None:
    """Why `number` is not a valid 18-digit resident identity number, or None."""
    if len(number) != 18:
        return f"A resident identity number has 18 characters; this has {len(number)}."
    if not number[:17].isascii() or not number[:17].isdigit():
        return "The first 17 characters of a resident identity number are digits."
    if number[17] not in "0123456789X":
        return "The last character of a resident identity number is a digit or X."
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return "Characters 7 to 14 are not a birth date."
    if born.year < 1900 or born > date.today():
        return "Characters 7 to 14 are not a birth date."
    if id_check_character(number[:17]) != number[17]:
        return "The check character does not match: the number is mistyped."
    return None


def masked(number: str) -> str:
    """What staff see of a number in the back office: its first three and last two characters
    (enough to tell two submissions apart; the licence photo shows the rest)."""
    if len(number) < 6:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 5) + number[-2:]
