"""Demo data of the books, loaded by `manage.py demo` (idempotent): the first demo farm
(秀英家庭农场) with weekly statements, a paid payout and a pending balance.

Made through the services on a clock set back (`demo.clock`), as the product would have made
them: an order paid and received three weeks ago, its money available once the return window
passed, a payout sent and confirmed, a fresh order still pending, and the statements of the
weeks since closed by the same service the Monday task runs."""

from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from books import services as books
from books.models import Payout
from checkout.services import delivered_money_release, order_pay, order_place
from demo import clock
from demo.accounts import DemoAccount
from ledger.models import Account
from marketplace.errors import DomainError
from orders.models import Order
from orders.services import shipment_confirm, shipment_ship
from producers.models import Listing, Region

FARMER = "farmer_taikang"  # made by demo.producers
DEMO_BUYER = "buyer_demo"  # made by demo.orders
REFERENCE = "ICBC-DEMO-0001"


def _buy(buyer: User, listing: Listing, region: Region, quantity: int) -> Order:
    address = {"recipient": "王小明", "phone": "13800138000", "region_id": region.pk,
               "detail": "幸福路 8 号 2 单元 301"}
    order = order_place(buyer=buyer, lines=[{"listing_id": listing.pk, "quantity": quantity}],
                        shipping_address=address, note="给爸妈寄的")
    order_pay(order_id=order.pk, user=buyer, method="sandbox")
    return order


def load(*, stdout) -> list[DemoAccount]:
    if Payout.objects.filter(reference=REFERENCE).exists():
        return []
    buyer = User.objects.filter(username=DEMO_BUYER).first()
    listing = (Listing.objects.filter(producer__user__username=FARMER, status="active",
                                      stock__gte=5).select_related("producer__user")
               .order_by("id").first())
    region = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
    if buyer is None or listing is None or region is None:
        stdout.write("Books: no demo farm, buyer or stock, no demo books.")
        return []
    farmer = listing.producer.user
    try:
        with clock.days_ago(21):
            received = _buy(buyer, listing, region, 3)
            for shipment in received.shipments.all():
                shipment_ship(shipment_id=shipment.pk, user=farmer, carrier="中国邮政",
                              tracking_number=f"98{received.pk:011d}")
                shipment_confirm(shipment_id=shipment.pk, user=buyer)
        with clock.days_ago(12):
            delivered_money_release()  # received 21 days ago: past the return window
            account = Account.objects.get(kind=Account.Kind.FARM, holder_id=listing.producer_id,
                                          bucket=Account.Bucket.AVAILABLE)
            amount = (Decimal(account.balance_fen) / 100 - Decimal("5.00")).max(Decimal("0.01"))
            payout = books.payout_create(account_id=account.pk, amount=amount, staff=None)
        with clock.days_ago(11):
            books.payout_mark_paid(payout_id=payout.pk, reference=REFERENCE)
        with clock.days_ago(2):
            _buy(buyer, listing, region, 2)  # paid, not yet shipped: pending
    except DomainError as exc:
        stdout.write(f"Books: demo stopped early ({exc.message}).")
        return []
    written = books.statements_close(now=timezone.now())
    stdout.write(f"Books: {written} weekly statements closed; {listing.producer.name} "
                 f"({FARMER}) has a paid payout and a pending balance.")
    return []
