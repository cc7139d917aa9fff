"""Demo data of public benefit, loaded by `manage.py demo` (idempotent): the village school's
free lunches in 太康县二郎庙村, run by a registered charity whose teacher films the lunches,
pledged to by the first demo farm (0.10 yuan a jin of its sweet potatoes), with orders in each
state of a pledge and a disbursement whose evidence is the teacher's video.

Made through the services on a clock set back (`demo.clock`): an order received three weeks
ago (its pledge confirmed when the return window passed), one paid and then cancelled (its
pledge voided), one partly refunded after confirmation (a negative confirm), one paid last week
and still within its window (pledged), and a disbursement of the confirmed money."""

from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from benefit import services as benefit
from benefit.models import Charity, Project
from checkout.services import delivered_money_release, order_cancel, order_pay, order_place
from demo import clock
from demo.accounts import DemoAccount, demo_user, ensure_account
from ledger.amounts import yuan
from marketplace.errors import DomainError
from orders.models import Order
from orders.services import shipment_confirm, shipment_ship
from payments.services import refund_request
from producers.models import Listing, Region

REGISTRATION_CODE = "53411627MJ0123456R"  # check character verified (GB 32100-2015)
TEACHER = ("school_erlang", "shanhuo-school-2026")
FARMER = "farmer_taikang"  # made by demo.producers
DEMO_BUYER = "buyer_demo"  # made by demo.orders
LUNCH_VIDEO = ("https://www.bilibili.com/video/BV1Q541167Qg", "二郎庙村小学：今天的午饭")
RECEIPT = "豫公益（2026）00318"


def _buy(buyer: User, listing: Listing, quantity: int) -> Order:
    region = Region.objects.filter(level=Region.Level.COUNTY).order_by("code").first()
    address = {"recipient": "王小明", "phone": "13800138000", "region_id": region.pk,
               "detail": "幸福路 8 号 2 单元 301"}
    order = order_place(buyer=buyer, lines=[{"listing_id": listing.pk, "quantity": quantity}],
                        shipping_address=address)
    order_pay(order_id=order.pk, user=buyer, method="sandbox")
    return order


def _receive(order: Order, farmer: User, buyer: User) -> None:
    for shipment in order.shipments.all():
        shipment_ship(shipment_id=shipment.pk, user=farmer, carrier="中国邮政",
                      tracking_number=f"98{order.pk:011d}")
        shipment_confirm(shipment_id=shipment.pk, user=buyer)


def load(*, stdout) -> list[DemoAccount]:
    account = ensure_account(*TEACHER, display_name="二郎庙村小学 张老师",
                             role="charity (benefit project videos)")
    if Charity.objects.filter(registration_code=REGISTRATION_CODE).exists():
        return [account]
    village = Region.objects.filter(code="411627100201").first()
    buyer = User.objects.filter(username=DEMO_BUYER).first()
    listing = (Listing.objects.filter(producer__user__username=FARMER, status="active",
                                      unit=Listing.Unit.JIN, stock__gte=40)
               .select_related("producer__user").order_by("id").first())
    if village is None or buyer is None or listing is None:
        stdout.write("Benefit: no demo village, buyer or sweet potatoes; no demo project.")
        return [account]
    teacher, farmer = demo_user(TEACHER[0]), listing.producer.user
    try:
        with clock.days_ago(60):
            charity = Charity.objects.create(name="太康县乡村教育发展基金会",
                                             registration_code=REGISTRATION_CODE)
            charity.members.add(teacher)
            project = Project.objects.create(
                charity=charity, title="二郎庙村小学免费午餐", region=village,
                goal_amount=Decimal("36000.00"), starts_on=timezone.localdate(),
                story="二郎庙村小学有 86 个孩子，很多人的爸妈在外打工，中午常常只吃馒头。"
                      "基金会和村里的厨房一起，每天给每个孩子做一顿有菜有肉的热饭，"
                      "一顿 4.5 元。张老师每天拍下午饭，发在这里。")
            video, _ = benefit.video_submit(user=teacher, url=LUNCH_VIDEO[0],
                                            title=LUNCH_VIDEO[1])
            benefit.video_link_create(user=teacher, video_id=video.pk, project_id=project.pk)
            benefit.listing_pledge_set(listing=listing, project_id=project.pk, kind="fixed",
                                       value=Decimal("0.10"))
        with clock.days_ago(25):
            received = _buy(buyer, listing, 20)
            _receive(received, farmer, buyer)
            refunded = _buy(buyer, listing, 10)
            _receive(refunded, farmer, buyer)
        with clock.days_ago(20):
            cancelled = _buy(buyer, listing, 5)
            order_cancel(order_id=cancelled.pk, user=buyer)  # pledge voided
        with clock.days_ago(16):
            delivered_money_release()  # received 25 days ago: confirmed
        with clock.days_ago(14):
            # part of one order given back after confirmation: a negative confirm
            refund_request(order=refunded, amount=Decimal("17.50"), reason="部分红薯压坏",
                           key=f"demo:benefit:{refunded.pk}")
        with clock.days_ago(10):
            confirmed = benefit.project_available(project)
            confirmed.refresh_from_db(fields=["balance_fen"])
            benefit.disbursement_create(  # what was confirmed, at most 2.00
                project_id=project.pk, amount=yuan(min(confirmed.balance_fen, 200)),
                paid_on=timezone.localdate(),
                receipt_number=RECEIPT, note="十一月午餐的菜钱", evidence_video_ids=[video.pk])
        with clock.days_ago(3):
            _buy(buyer, listing, 8)  # within its return window: pledged
    except DomainError as exc:
        stdout.write(f"Benefit: demo stopped early ({exc.message} {exc.details or ''}).")
        return [account]
    stdout.write(f"Benefit: {project.title} (/benefit/{project.pk}) with pledges from "
                 f"{listing.producer.name}, a disbursement and its public ledger.")
    return [account]
