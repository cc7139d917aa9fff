"""Demo data of the orders app, loaded by `manage.py demo` (idempotent): a buyer with orders in
every state, placed on the demo farms' listings through the same services the API uses."""

from accounts.models import User
from checkout.services import order_cancel, order_pay, order_place
from demo.accounts import DemoAccount, demo_user, ensure_account
from marketplace.errors import DomainError
from orders.models import Order
from orders.services import shipment_confirm, shipment_ship
from producers.models import Listing, Region

BUYER = ("buyer_demo", "shanhuo-buyer-2026")


def _listings(buyer: User | None) -> list[Listing]:
    """One active, stocked listing from each of (up to) two farms."""
    chosen: dict[int, Listing] = {}
    candidates = (
        Listing.objects.filter(status=Listing.Status.ACTIVE, stock__gte=10)
        .exclude(producer__user_id=getattr(buyer, "pk", None))
        .select_related("producer__user").order_by("id")
    )
    for listing in candidates:
        chosen.setdefault(listing.producer_id, listing)
        if len(chosen) == 2:
            break
    return list(chosen.values())


def load(*, stdout) -> list[DemoAccount]:
    buyer = User.objects.filter(username=BUYER[0]).first()
    if buyer is not None and Order.objects.filter(buyer=buyer).exists():
        return [DemoAccount(*BUYER, role="buyer")]
    listings = _listings(buyer)
    region = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
    if not listings or region is None:
        stdout.write("Orders: no demo listings yet, no demo orders.")
        return []
    account = ensure_account(*BUYER, display_name="王小明", role="buyer")
    buyer = demo_user(BUYER[0])
    address = {"recipient": "王小明", "phone": "13800138000", "region_id": region.pk,
               "detail": "幸福路 8 号 2 单元 301"}
    lines = [{"listing_id": listing.pk, "quantity": 1} for listing in listings]

    def place(note: str) -> Order:
        return order_place(buyer=buyer, lines=lines, shipping_address=address, note=note)

    def ship_all(order: Order) -> None:
        for shipment in order.shipments.select_related("producer__user"):
            shipment_ship(shipment_id=shipment.pk, user=shipment.producer.user,
                          carrier="顺丰速运", tracking_number=f"SF{order.pk:07d}{shipment.pk:06d}")

    try:
        place("周末前送到就好")  # pending_payment
        paid = place("")
        order_pay(order_id=paid.pk, user=buyer, method="sandbox")
        shipped = place("请轻拿轻放")
        order_pay(order_id=shipped.pk, user=buyer, method="sandbox")
        ship_all(shipped)
        completed = place("")
        order_pay(order_id=completed.pk, user=buyer, method="sandbox")
        ship_all(completed)
        for shipment in completed.shipments.all():
            shipment_confirm(shipment_id=shipment.pk, user=buyer)
        cancelled = place("")
        order_cancel(order_id=cancelled.pk, user=buyer)
    except DomainError as exc:
        stdout.write(f"Orders: demo stopped early ({exc.message}).")
    count = Order.objects.filter(buyer=buyer).count()
    stdout.write(f"Orders: {count} demo orders for {BUYER[0]}.")
    return [account]
