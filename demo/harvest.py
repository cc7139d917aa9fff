"""Demo data of the harvest features, loaded by `manage.py demo` (idempotent): a village
cooperative with three member families, a lot of each shipped to buyers (so each member has
sales and each lot's trace page names its grower and what left it), and a pre-sale of next
season's apples with paid orders. Everything goes through the services the API uses, with the
clock set back where the story happened in the past."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from checkout.services import harvest_record, order_pay, order_place
from demo import clock
from demo.accounts import DemoAccount, demo_user, ensure_account
from demo.producers import _taikang_village
from orders.models import Harvest, Order
from orders.services import shipment_ship
from producers import services
from producers.models import Batch, Listing, Member, Producer
from producers.tracecodes import trace_url

COOP = ("coop_demo", "shanhuo-coop-2026")
BUYER = ("buyer_harvest", "shanhuo-buyer-2026")
MEMBERS = [("王秀英", "13700000001"), ("李大山", "13700000002"), ("张桂兰", "13700000003")]
ADDRESS = {"recipient": "陈晓", "phone": "13900000000", "detail": "文三路 90 号 3 幢 502"}
COOP_APPLES = "二郎庙合作社红富士 5斤装"
PRESALE = "2027 新季冰糖心苹果 5斤装（预售）"


def load(*, stdout) -> list[DemoAccount]:
    village = _taikang_village()
    if village is None:
        stdout.write("Harvest: region 411627 missing (load_regions first), no cooperative.")
        return []
    accounts = [ensure_account(*COOP, display_name="合作社刘社长", role="producer (cooperative)"),
                ensure_account(*BUYER, display_name="陈晓", role="buyer")]
    coop = _cooperative(village)
    buyer = demo_user(BUYER[0])
    address = {**ADDRESS, "region_id": village.pk}
    _members_and_their_lots(coop, buyer, address)
    presale = _presale(coop, buyer, address)
    harvested = _short_harvest(coop, address)
    lots = Batch.objects.filter(listing__producer=coop, member__isnull=False).order_by("id")
    stdout.write(f"Harvest: cooperative {coop.name} with {coop.members.count()} members, "
                 f"{sum(lot.shipped for lot in lots)} units shipped from their lots; pre-sale "
                 f"'{presale.title}' with {presale.order_lines.count()} paid orders; a short "
                 f"harvest of '{harvested.listing.title}': {harvested.allocated} allocated, "
                 f"{harvested.refunded_amount} refunded.")
    if lots:
        stdout.write(f"  A member's lot: {trace_url(lots[0].trace_code)}")
    return accounts


def _cooperative(village) -> Producer:
    user = demo_user(COOP[0])
    producer = Producer.objects.filter(user=user).first()
    if producer is None:
        producer = services.producer_create(
            user=user, name="二郎庙苹果专业合作社", kind=Producer.Kind.COOPERATIVE,
            region_id=village.pk, phone="13700000000",
            story="村里 26 户果农一起种苹果，统一分拣、统一发货，收益按户结算。")
    return producer


def _members_and_their_lots(coop: Producer, buyer, address: dict) -> None:
    """Three members, a lot of each, and one paid order of three boxes per lot, shipped from
    it (a week ago)."""
    if Listing.objects.filter(producer=coop, title=COOP_APPLES).exists():
        return
    with clock.days_ago(12):
        for name, phone in MEMBERS:
            if not Member.objects.filter(producer=coop, name=name).exists():
                services.member_create(producer=coop, name=name, phone=phone)
        members = list(Member.objects.filter(producer=coop).order_by("id"))
        apples = services.listing_create(
            producer=coop, title=COOP_APPLES, category="apples", unit=Listing.Unit.BOX,
            price=Decimal("39.90"), stock=300, status=Listing.Status.ACTIVE,
            story="每一箱都写着是哪一户种的。")
        lots = [services.batch_create(listing=apples, harvested_on=timezone.localdate(),
                                      quantity=100, member_id=member.pk,
                                      lot_code=f"COOP-{n}")
                for n, member in enumerate(members, start=1)]
    with clock.days_ago(8):
        orders = []
        for _ in lots:
            order = order_place(buyer=buyer, shipping_address=address,
                                lines=[{"listing_id": apples.pk, "quantity": 3}])
            order_pay(order_id=order.pk, user=buyer, method="sandbox")
            orders.append(order)
    with clock.days_ago(7):
        for n, (order, lot) in enumerate(zip(orders, lots, strict=True)):
            line = order.lines.get()
            shipment_ship(shipment_id=order.shipments.get().pk, user=coop.user,
                          carrier="中通快递", tracking_number=f"7310{order.pk:06d}{n:04d}",
                          lots=[{"line_id": line.pk, "batch_id": lot.pk, "quantity": 3}])


def _presale(coop: Producer, buyer, address: dict) -> Listing:
    """Next season's apples on pre-sale (closing in three weeks), with two paid orders."""
    listing = Listing.objects.filter(producer=coop, title=PRESALE).first()
    if listing is not None:
        return listing
    closes_at = timezone.now() + timedelta(days=21)
    ships_from = timezone.localdate(closes_at) + timedelta(days=3)
    listing = services.listing_create(
        producer=coop, title=PRESALE, category="apples", unit=Listing.Unit.BOX,
        price=Decimal("45.00"), stock=200, status=Listing.Status.ACTIVE,
        story="开花时就能预订：全款预售，采收后按付款先后发货，收成不足的部分原路退款。",
        presale={"closes_at": closes_at, "ships_from": ships_from,
                 "ships_by": ships_from + timedelta(days=14), "expected_quantity": 200})
    for quantity in (2, 4):
        order: Order = order_place(buyer=buyer, shipping_address=address,
                                   lines=[{"listing_id": listing.pk, "quantity": quantity}])
        order_pay(order_id=order.pk, user=buyer, method="sandbox")
    return listing


HARVESTED = "2026 秋季黄元帅苹果 5斤装（预售）"


def _short_harvest(coop: Producer, address: dict) -> Harvest:
    """Last season's pre-sale (closed a week ago) whose harvest came in short: three buyers
    paid for 4, 5 and 3 boxes, 8 came in, shared pro rata; the rest refunded."""
    listing = Listing.objects.filter(producer=coop, title=HARVESTED).first()
    if listing is None:
        with clock.days_ago(30):
            closes_at = timezone.now() + timedelta(days=23)
            ships_from = timezone.localdate(closes_at) + timedelta(days=1)
            listing = services.listing_create(
                producer=coop, title=HARVESTED, category="apples", unit=Listing.Unit.BOX,
                price=Decimal("42.00"), stock=12, status=Listing.Status.ACTIVE,
                presale={"closes_at": closes_at, "ships_from": ships_from,
                         "ships_by": ships_from + timedelta(days=20), "expected_quantity": 12})
            for n, quantity in enumerate((4, 5, 3), start=1):
                ensure_account(f"buyer_presale{n}", BUYER[1], display_name=f"预订人{n}")
                buyer = demo_user(f"buyer_presale{n}")
                order = order_place(buyer=buyer, shipping_address=address,
                                    lines=[{"listing_id": listing.pk, "quantity": quantity}])
                order_pay(order_id=order.pk, user=buyer, method="sandbox")
    harvest_record(listing=listing, user=coop.user, actual_quantity=8, policy="pro_rata")
    return Harvest.objects.get(listing=listing)
