"""The unified social credit code (统一社会信用代码, GB 32100-2015) of a registered charity.

18 characters from the 31-character alphabet below (digits and capitals without I, O, Z, S,
V): the registering authority, the kind of organisation, the six-digit administrative region,
the nine-character organisation code, and a check character. The check character is
31 - (sum of value x weight over the first 17) mod 31, the weights being 3^i mod 31; a result
of 31 is written 0."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, ...
LENGTH = 18


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(ch) * weight for ch, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def code_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code, or None."""
    if len(code) != LENGTH:
        return f"A unified social credit code has {LENGTH} characters; this has {len(code)}."
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        return f"Characters not used in these codes: {' '.join(bad)}."
    if not code[2:8].isdigit():
        return "Characters 3 to 8 are the region's six digits."
    if check_character(code[:17]) != code[17]:
        return "The check character does not match: the code is mistyped."
    return None


def normalised(code: str) -> str:
    return (code or "").strip().upper()
