"""Sharing a harvest that came in short among the paid pre-sale lines, in whole units.

Both rules take the lines' ordered quantities in payment order (earliest first) and what there
is to share, and give each line a whole number of units:
- `first_come`: each line in turn gets all it ordered while units last;
- `pro_rata`: each line gets its exact share `ordered x available / total` rounded down, and the
  units left over by the rounding go one each to the lines with the largest remainders (ties:
  the earlier payment). Never more than a line ordered, never more than there is, and nobody is
  more than one unit from their exact share (Hamilton's largest-remainder method).
"""

FIRST_COME, PRO_RATA = "first_come", "pro_rata"
POLICIES = (FIRST_COME, PRO_RATA)


def first_come(ordered: list[int], available: int) -> list[int]:
    left = max(available, 0)
    given = []
    for quantity in ordered:
        take = min(quantity, left)
        given.append(take)
        left -= take
    return given


def pro_rata(ordered: list[int], available: int) -> list[int]:
    total = sum(ordered)
    if available >= total:
        return list(ordered)
    if available <= 0:
        return [0] * len(ordered)
    # exact shares as fractions over `total`: whole part and remainder, in integers
    shares = [quantity * available for quantity in ordered]
    given = [share // total for share in shares]
    left = available - sum(given)
    by_remainder = sorted(range(len(ordered)), key=lambda i: (-(shares[i] % total), i))
    for i in by_remainder[:left]:
        given[i] += 1
    return given


def allocate(policy: str, ordered: list[int], available: int) -> list[int]:
    return (first_come if policy == FIRST_COME else pro_rata)(ordered, available)
