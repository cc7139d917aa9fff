"""What an order costs, computed one way for the quote and for the order itself: its lines
merged and checked, each farm's goods, and each farm's parcel's shipping fee (freight.fees,
from the listings' freight templates and the shipping region's lineage).

`POST /orders/quote` (selectors.order_quote) reads the listings and asks here; placing an order
(services.order_place) asks here with the same rows locked. The same lines to the same region
with the same listings cost the same, to the fen.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from accounts.models import User
from freight import fees
from marketplace.errors import ValidationFailed
from marketplace.money import money
from producers.models import Listing, Producer, Region

MAX_LINES = 50
# A shipping address is a county or below: a province or a prefecture is no place a courier
# can deliver to, nor one a fee can be looked up for.
DELIVERABLE_LEVELS = {Region.Level.COUNTY, Region.Level.TOWNSHIP, Region.Level.VILLAGE}


@dataclass
class Line:
    index: int  # position in the request, for error fields
    listing_id: int
    quantity: int


def lines_merged(lines: list[dict]) -> list[Line]:
    """The request's lines, one per listing (quantities of the same listing added up), in
    listing-id order; 422 for an empty order, too many lines or a quantity out of range."""
    if not lines:
        raise ValidationFailed({"lines": "An order needs at least one line."})
    if len(lines) > MAX_LINES:
        raise ValidationFailed({"lines": f"An order has at most {MAX_LINES} lines."})
    merged: dict[int, Line] = {}
    errors: dict[str, str] = {}
    maximum = settings.ORDER_MAX_QUANTITY
    for index, line in enumerate(lines):
        listing_id, quantity = line["listing_id"], line["quantity"]
        if quantity < 1 or quantity > maximum:
            errors[f"lines.{index}.quantity"] = f"Quantity must be from 1 to {maximum}."
            continue
        if listing_id in merged:
            merged[listing_id].quantity += quantity
            if merged[listing_id].quantity > maximum:
                errors[f"lines.{index}.quantity"] = (
                    f"Together with the same listing above, more than {maximum}."
                )
        else:
            merged[listing_id] = Line(index, listing_id, quantity)
    if errors:
        raise ValidationFailed(errors)
    return sorted(merged.values(), key=lambda line: line.listing_id)


def address_checked(address: dict) -> tuple[dict, dict[str, str]]:
    """The address's text fields stripped, and an error for each one left blank."""
    cleaned = {key: str(address.get(key, "")).strip() for key in ("recipient", "phone", "detail")}
    errors = {f"shipping_address.{k}": "This field may not be blank." for k, v in cleaned.items()
              if not v}
    return cleaned, errors


def region_error(region: Region | None) -> str | None:
    """Why a shipping region cannot be shipped to, or None."""
    if region is None:
        return "No such region."
    if region.level not in DELIVERABLE_LEVELS:
        return "A shipping address is in a county or below (区县, 乡镇 or 村)."
    return None


def refuse_unsold(buyer: User | None, lines: list[Line], listings: dict[int, Listing]) -> None:
    """422 for a line whose listing is not on sale, or is the buyer's own."""
    errors: dict[str, str] = {}
    for line in sorted(lines, key=lambda ln: ln.index):
        listing = listings.get(line.listing_id)
        field = f"lines.{line.index}.listing_id"
        if listing is None or listing.status != Listing.Status.ACTIVE:
            errors[field] = "No such listing on sale."
        elif buyer is not None and listing.producer.user_id == buyer.pk:
            errors[field] = "You cannot buy your own listing."
    if errors:
        raise ValidationFailed(errors)


@dataclass
class FarmPart:
    """One farm's share of an order: its lines (with the listing as sold) and its money."""

    producer: Producer
    items: list[tuple[Line, Listing]]
    subtotal: Decimal
    shipping_fee: Decimal


def _fee_item(line: Line, listing: Listing) -> fees.Item:
    template = listing.freight_template  # read with the listing (stock.listings_lock)
    return fees.Item(
        listing_id=listing.pk, quantity=line.quantity,
        amount=money(listing.price * line.quantity), net_weight_g=listing.net_weight_g,
        template=None if template is None else fees.Template.of(
            id=template.pk, basis=template.basis, document=template.document),
        field=f"lines.{line.index}.listing_id")


def priced_by_farm(lines: list[Line], listings: dict[int, Listing],
                   region: Region) -> list[FarmPart]:
    """The lines grouped by farm, in producer-id order, each farm priced on its own: its
    subtotal and its parcel's shipping fee to `region`. 422 `region_not_served` naming every
    line whose listing's template does not send there. From the rows given: price, title and
    template are the ones sold."""
    by_producer: dict[int, list[tuple[Line, Listing]]] = defaultdict(list)
    for line in lines:
        listing = listings[line.listing_id]
        by_producer[listing.producer_id].append((line, listing))
    destination = fees.destination_of(region.lineage)
    parcels = [(items, [_fee_item(line, listing) for line, listing in items])
               for _, items in sorted(by_producer.items())]
    refused = [item for _, fee_items in parcels
               for item in fees.not_served(fee_items, destination)]
    if refused:
        index = {line.listing_id: line.index for line in lines}
        raise fees.RegionNotServed(sorted(refused, key=lambda item: index[item.listing_id]))
    return [FarmPart(items[0][1].producer, items,
                     money(sum((item.amount for item in fee_items), Decimal(0))),
                     fees.parcel_fee(fee_items, destination))
            for items, fee_items in parcels]
