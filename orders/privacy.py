"""What a farm may keep of a buyer: the name, phone and address are the farm's to ship with
while its parcel is open (pending or shipped) in a paid order; before the order is paid, and
once the parcel is delivered or cancelled, the farm sees them masked (`138****8000`, the
surname, the region but not the street), as Chinese marketplaces show old orders. (An unpaid
order used to show them whole: anyone could place one to hand a farm a stranger's details,
or learn nothing and cost nothing; hardening round three, item 6.) The buyer and the staff
always see them whole."""

from orders.models import Shipment

CLOSED = {Shipment.Status.DELIVERED, Shipment.Status.CANCELLED}


def mask_phone(phone: str) -> str:
    """`13800138000` -> `138****8000`: the first three and last four digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 13 and digits.startswith("86"):  # +86 and a mobile number
        digits = digits[2:]
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name: str) -> str:
    """`王小明` -> `王**`: the surname only."""
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name


def address_for(address: dict, *, shipments: list[Shipment], farm_view: bool,
                paid: bool) -> dict:
    """`address` as its reader may see it: whole for the buyer, and for a farm while one of its
    `shipments` in the `paid` order is open; masked for a farm before the order is paid and
    once its parcels are all closed."""
    if not farm_view or (paid and any(shipment.status not in CLOSED for shipment in shipments)):
        return address
    return {**address, "recipient": mask_name(address["recipient"]),
            "phone": mask_phone(address["phone"]), "detail": ""}
