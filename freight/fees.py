"""What a farm's parcel costs to send: its lines' freight templates, applied to where it goes.

Pure: no queries. The caller reads the templates with the lines' listings (the order's listing
lock joins them) and the destination's lineage with the shipping region, and asks here.

- A template charges by weight (kilograms) or by piece. Its rule for the destination is the
  most specific one naming the destination or a region above it (a village's rule before its
  county's, a county's before its province's), else its default rule. The fee is the rule's
  first fee for up to its first units, plus its next fee for each further `next.units` or part
  of them.
- Weight is the sum of net_weight_g x quantity over the parcel's lines, rounded up to the next
  kilogram; under one kilogram counts as one.
- Free shipping: the most specific `free_over` entry naming the destination (an entry naming no
  region holds everywhere, below any named one) makes the parcel free once its goods reach the
  entry's amount, or its units (kilograms or pieces, as the template counts) reach its count.
- A destination in a template's `no_ship` regions, or covered by no rule of it (a region added
  to the tree after the template was saved), is not served: 422 `region_not_served` naming
  every line of such a listing.
- A parcel whose lines name different templates (or some none) is one box: its fee is the
  highest of the fees each of those templates gives the whole parcel, and a line without a
  template stands for the flat fee (`SHIPPING_FEE_FLAT`, free from `SHIPPING_FREE_THRESHOLD`
  of the farm's goods). The farm is never paid less than its dearest rule asks for that box.
- A parcel with no template at all pays the flat fee, exactly as before templates existed.

Money is counted in fen (integers) and handed back as `Decimal` yuan to the fen.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings

from freight.regions import codes_of
from marketplace.errors import ValidationFailed
from marketplace.money import money

WEIGHT = "weight"
PIECE = "piece"
GRAMS_PER_KG = 1000


def to_fen(amount: Decimal) -> int:
    """An amount in yuan (to the fen) as whole fen."""
    return int(money(amount) * 100)


def to_yuan(fen: int) -> Decimal:
    return money(Decimal(fen) / 100)


def flat_fee(subtotal: Decimal) -> Decimal:
    """The fee of a parcel on no template: SHIPPING_FEE_FLAT, or nothing once the farm's goods
    in it reach SHIPPING_FREE_THRESHOLD."""
    if subtotal >= settings.SHIPPING_FREE_THRESHOLD:
        return Decimal("0.00")
    return money(settings.SHIPPING_FEE_FLAT)


def kilograms(grams: int) -> int:
    """Whole kilograms charged for `grams`: rounded up, at least one."""
    return max(1, -(-grams // GRAMS_PER_KG))


@dataclass(frozen=True)
class Rule:
    """The first `first_units` for `first_fen`, then `next_fen` for each further `next_units`
    or part of them."""

    codes: frozenset[str]
    first_units: int
    first_fen: int
    next_units: int
    next_fen: int

    def fee(self, units: int) -> int:
        further = max(0, units - self.first_units)
        return self.first_fen + -(-further // self.next_units) * self.next_fen


@dataclass(frozen=True)
class FreeOver:
    codes: frozenset[str]  # empty: everywhere
    min_fen: int | None
    min_units: int | None

    def met(self, *, goods_fen: int, units: int) -> bool:
        if self.min_fen is not None:
            return goods_fen >= self.min_fen
        return self.min_units is not None and units >= self.min_units


def _depth(codes: frozenset[str], destination: tuple[str, ...]) -> int | None:
    """How deep in the destination's lineage the deepest of `codes` sits (None: none does)."""
    depths = [depth for depth, code in enumerate(destination) if code in codes]
    return max(depths) if depths else None


@dataclass(frozen=True)
class Template:
    """A freight template as the fee needs it (read from its stored document)."""

    id: int
    basis: str
    rules: tuple[Rule, ...]
    default: Rule | None
    free_over: tuple[FreeOver, ...]
    no_ship: frozenset[str]

    @classmethod
    def of(cls, *, id: int, basis: str, document: dict[str, Any]) -> "Template":  # noqa: A002
        def rule(data: dict[str, Any], codes=()) -> Rule:
            (first_units, first_fen), (next_units, next_fen) = data["first"], data["next"]
            return Rule(frozenset(codes), first_units, first_fen, next_units, next_fen)

        def codes(pairs: list) -> frozenset[str]:
            return frozenset(code for _id, code in pairs)

        default = document.get("default")
        return cls(
            id=id, basis=basis,
            rules=tuple(rule(r, codes(r["regions"])) for r in document.get("rules", ())),
            default=rule(default) if default else None,
            free_over=tuple(FreeOver(codes(f["regions"]), f.get("min_fen"), f.get("min_units"))
                            for f in document.get("free_over", ())),
            no_ship=codes(document.get("no_ship", ())),
        )

    def rule_for(self, destination: tuple[str, ...]) -> Rule | None:
        """The rule that prices a parcel to `destination` (None: not served there)."""
        if any(code in self.no_ship for code in destination):
            return None
        best, best_depth = self.default, -1
        for rule in self.rules:
            depth = _depth(rule.codes, destination)
            if depth is not None and depth > best_depth:
                best, best_depth = rule, depth
        return best

    def free_over_for(self, destination: tuple[str, ...]) -> FreeOver | None:
        best, best_depth = None, -2
        for entry in self.free_over:
            depth = _depth(entry.codes, destination) if entry.codes else -1
            if depth is not None and depth > best_depth:
                best, best_depth = entry, depth
        return best

    def fee(self, destination: tuple[str, ...], *, goods_fen: int, pieces: int,
            grams: int) -> int:
        """The fee in fen of a parcel to a destination this template serves."""
        rule = self.rule_for(destination)
        assert rule is not None, "a destination not served has no fee"
        units = kilograms(grams) if self.basis == WEIGHT else pieces
        free = self.free_over_for(destination)
        if free is not None and free.met(goods_fen=goods_fen, units=units):
            return 0
        return rule.fee(units)


@dataclass(frozen=True)
class Item:
    """A line of a parcel as the fee sees it; `field` names it in an error
    (`lines.0.listing_id`)."""

    listing_id: int
    quantity: int
    amount: Decimal  # the line's goods, to the fen
    net_weight_g: int | None
    template: Template | None
    field: str = ""


class RegionNotServed(ValidationFailed):
    """422: some lines' listings are not sent to the shipping region. Nothing was taken."""

    code = "region_not_served"
    message = "Some listings are not sent to this region."

    def __init__(self, items: Sequence[Item]):
        super().__init__([
            {"field": item.field or "shipping_address.region_id",
             "message": f"Listing {item.listing_id} is not sent to this region (不发货地区).",
             "listing_id": item.listing_id}
            for item in items
        ], code=self.code, message=self.message)


def destination_of(lineage: str) -> tuple[str, ...]:
    """The shipping region's lineage as a destination: its codes, the province first."""
    return codes_of(lineage)


def not_served(items: Sequence[Item], destination: tuple[str, ...]) -> list[Item]:
    """The items whose template does not send to `destination`."""
    return [item for item in items
            if item.template is not None and item.template.rule_for(destination) is None]


def parcel_fee(items: Sequence[Item], destination: tuple[str, ...]) -> Decimal:
    """The shipping fee of one farm's parcel of `items` to `destination`. RegionNotServed when
    a line's template does not send there."""
    if refused := not_served(items, destination):
        raise RegionNotServed(refused)
    goods = money(sum((item.amount for item in items), Decimal(0)))
    goods_fen = to_fen(goods)
    pieces = sum(item.quantity for item in items)
    grams = sum((item.net_weight_g or 0) * item.quantity for item in items)
    fees: list[int] = []
    if any(item.template is None for item in items):
        fees.append(to_fen(flat_fee(goods)))
    seen: set[int] = set()
    for item in items:
        template = item.template
        if template is not None and template.id not in seen:
            seen.add(template.id)
            fees.append(template.fee(destination, goods_fen=goods_fen, pieces=pieces,
                                     grams=grams))
    return to_yuan(max(fees))
