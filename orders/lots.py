"""Lots to lines: which harvest lot each shipped unit came from.

A farm shipping a parcel may say, per line, which lots it packed: `[{line_id, batch_id,
quantity}]`. The rules:
- a line must be this parcel's, and a lot must be of that line's listing (else 422);
- a line named at all is named whole: its lots add up to exactly what ships of it (its
  quantity, or what a short harvest allocated to it); a line left out ships with no lot (a
  listing that keeps none). Half a line traced would tell the buyer's QR code a story about
  units it does not cover;
- a lot gives out no more than its `quantity` in all (409 `lot_exhausted`): each lot's `shipped`
  goes up by one conditional UPDATE (`shipped + q <= quantity`), which takes the lot's row lock,
  lots in primary-key order, inside the shipping transaction. A lot whose size was never given
  has no limit to run out of.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import F, Q

from marketplace.errors import Conflict, ValidationFailed
from orders.models import LineLot, OrderLine
from producers.models import Batch


@dataclass
class LotTake:
    line_id: int
    batch_id: int
    quantity: int


def to_ship(line: OrderLine) -> int:
    """What ships of a line: all of it, or what a short harvest left it."""
    allocated = getattr(line, "allocated_quantity", None)
    return line.quantity if allocated is None else allocated


def lots_check(*, shipment_id: int, lots: list[dict]) -> list[LotTake]:
    """The farm's `lots` for the parcel, merged per (line, lot) and checked (422 naming each
    bad entry), in lot order."""
    lines = {line.pk: line for line in OrderLine.objects.filter(shipment_id=shipment_id)}
    batch_ids = {entry["batch_id"] for entry in lots}
    listing_of = dict(Batch.objects.filter(pk__in=batch_ids).values_list("pk", "listing_id"))
    errors: dict[str, str] = {}
    merged: dict[tuple[int, int], int] = defaultdict(int)
    first_index: dict[int, int] = {}
    for index, entry in enumerate(lots):
        line = lines.get(entry["line_id"])
        if line is None:
            errors[f"lots.{index}.line_id"] = "Not a line of this shipment."
            continue
        if listing_of.get(entry["batch_id"]) != line.listing_id:
            errors[f"lots.{index}.batch_id"] = "Not a harvest lot of this line's listing."
            continue
        merged[(line.pk, entry["batch_id"])] += entry["quantity"]
        first_index.setdefault(line.pk, index)
    if not errors:
        totals: dict[int, int] = defaultdict(int)
        for (line_id, _), quantity in merged.items():
            totals[line_id] += quantity
        for line_id, total in totals.items():
            wanted = to_ship(lines[line_id])
            if total != wanted:
                errors[f"lots.{first_index[line_id]}.quantity"] = (
                    f"The lots of line {line_id} add up to {total}; {wanted} of it ships.")
    if errors:
        raise ValidationFailed(errors)
    return [LotTake(line_id, batch_id, quantity)
            for (line_id, batch_id), quantity in sorted(merged.items(), key=lambda i: i[0][::-1])]


def lots_take(takes: list[LotTake]) -> None:
    """Count the units out of each lot and record them on the lines, in the caller's
    transaction. A lot that has not enough left -> 409 `lot_exhausted` with what each short lot
    still holds; the caller's transaction rolls every lot back."""
    per_batch: dict[int, int] = defaultdict(int)
    for take in takes:
        per_batch[take.batch_id] += take.quantity
    short = []
    for batch_id, quantity in sorted(per_batch.items()):
        if not Batch.objects.filter(
            Q(quantity__isnull=True) | Q(shipped__lte=F("quantity") - quantity), pk=batch_id,
        ).update(shipped=F("shipped") + quantity):
            short.append(batch_id)
    if short:
        left = Batch.objects.filter(pk__in=short).values_list("pk", "lot_code", "quantity",
                                                              "shipped")
        raise Conflict(
            "More would ship from a harvest lot than it holds.", code="lot_exhausted",
            details=[{"batch_id": pk, "lot_code": code, "available": quantity - shipped,
                      "requested": per_batch[pk]} for pk, code, quantity, shipped in left])
    LineLot.objects.bulk_create([
        LineLot(line_id=take.line_id, batch_id=take.batch_id, quantity=take.quantity)
        for take in takes])
