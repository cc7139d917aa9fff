"""Fen and yuan, and splitting an amount into shares that add up to it exactly.

The ledger counts whole fen (see `ledger.models`); amounts come in and go out as yuan
`Decimal`s with two places. Shares computed from rates (fee, commission, pledge) are rounded
half up by the one shared money function (`marketplace.money`) before they become fen."""

from decimal import Decimal

from marketplace.money import CENT, money


def fen(amount: Decimal) -> int:
    """Yuan (a Decimal with at most two places after rounding) -> whole fen."""
    return int(money(Decimal(amount)) * 100)


def yuan(amount_fen: int) -> Decimal:
    """Whole fen -> yuan with two places (what the API shows)."""
    return (Decimal(int(amount_fen)) / 100).quantize(CENT)


def split(total: int, weights: list[int], caps: list[int]) -> list[int]:
    """`total` fen in shares proportional to `weights`, each at most its cap, adding up to
    `total` exactly. Each share is first the proportional amount rounded half up to the fen
    (capped); the fen left over, or taken back, then go one at a time to the shares whose
    rounding was furthest from their exact value. Needs 0 <= total <= sum(caps)."""
    if total < 0 or total > sum(caps):
        raise ValueError(f"cannot split {total} fen within caps {caps}")
    weight_sum = sum(weights)
    if weight_sum <= 0:
        weights, weight_sum = list(caps), sum(caps)
    exact = [Decimal(total) * w / weight_sum if weight_sum else Decimal(0) for w in weights]
    shares = [min(cap, int(money(x / 100) * 100)) for x, cap in zip(exact, caps, strict=True)]
    left = total - sum(shares)
    while abs(left) > len(shares):
        # caps bound: spread what is left over the shares with room, in bulk
        room = [(caps[i] - s) if left > 0 else s for i, s in enumerate(shares)]
        room_weight = sum(w for w, r in zip(weights, room, strict=True) if r > 0) or 1
        moved = 0
        for i, r in enumerate(room):
            if r > 0:
                step = min(r, abs(left) * max(weights[i], 0) // room_weight)
                shares[i] += step if left > 0 else -step
                moved += step
        if not moved:
            break
        left = total - sum(shares)
    while left:
        step = 1 if left > 0 else -1
        candidates = [i for i, share in enumerate(shares)
                      if (share < caps[i] if step > 0 else share > 0)]
        # the share most below (or above) its exact value first; ties by position
        index = max(candidates, key=lambda i: (step * (exact[i] - shares[i]), -i))
        shares[index] += step
        left -= step
    return shares
