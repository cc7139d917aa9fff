"""Attribution: an order with a promo code credits the link's promoter on that listing's lines at
the rate in force when it was placed; none on one's own purchase or a farm's own goods;
cancelled with the order; settled after delivery + RETURN_WINDOW_DAYS; each step safe twice."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.utils import timezone

from checkout import services as checkout
from checkout.tasks import release_delivered_money
from orders import services as orders
from orders.models import Order
from payments import services as payments
from producers.models import Listing
from promotion import services
from promotion.models import Commission, Link
from tests.factories import (
    make_address,
    make_listing,
    make_order,
    make_producer,
    make_promoter,
    make_video,
    promo_visit,
)

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"


@pytest.fixture
def place(db):
    def place(buyer, *lines, promo_code: str = "") -> Order:
        return make_order(buyer=buyer, lines=list(lines), promo_code=promo_code)

    return place


def promo_link(user, listing, *, kind: str = "promo", external_id: str = "av1") -> Link:
    video = make_video(owner=user, external_id=external_id, kind=kind)
    link, _ = services.link_create(user=user, video_id=video.pk, listing_id=listing.pk)
    return link


@pytest.fixture
def link(promoter, farm) -> Link:
    return promo_link(promoter[0].user, farm["apples"])


def deliver(order: Order, farm, buyer) -> None:
    """Ship and confirm every parcel of a paid order."""
    for shipment in order.shipments.all():
        orders.shipment_ship(shipment_id=shipment.pk, user=farm["user"], carrier="顺丰",
                             tracking_number="SF1234567890123")
        orders.shipment_confirm(shipment_id=shipment.pk, user=buyer)


# --- Amounts ------------------------------------------------------------------------------------

def test_the_commission_is_the_rate_of_the_listings_lines_only(place, buyer, farm, link):
    other_farm = make_producer()
    tea = make_listing(producer=other_farm, price="120.00", title="明前龙井",
                       commission_rate="0.20")
    order = place(buyer, (farm["apples"], 3), (farm["honey"], 1), (tea, 1),
                  promo_code=link.code)
    [commission] = Commission.objects.all()
    assert commission.base_amount == Decimal("60.00")  # 3 x 20.00; not the honey, not the tea
    assert commission.rate == Decimal("0.10")
    assert commission.amount == Decimal("6.00")
    assert commission.status == "pending"
    assert commission.promoter.user_id == link.video.owner_id
    assert commission.shipment.order_id == order.pk
    assert commission.shipment.producer_id == farm["producer"].pk


@pytest.mark.parametrize(
    ("price", "quantity", "rate", "amount"),
    [
        ("1.25", 1, "0.10", "0.13"),  # 0.125 rounds half up (banker's rounding would say 0.12)
        ("12.35", 3, "0.15", "5.56"),  # 37.05 x 0.15 = 5.5575
        ("0.05", 1, "0.10", "0.01"),  # 0.005 -> 0.01
        ("99.99", 7, "0.50", "349.97"),  # 699.93 x 0.5 = 349.965
    ],
)
def test_commission_arithmetic_is_decimal_and_rounds_half_up(
    place, buyer, farm, promoter, price, quantity, rate, amount
):
    listing = make_listing(producer=farm["producer"], price=price, commission_rate=rate,
                           title="试价")
    link = promo_link(promoter[0].user, listing)
    place(buyer, (listing, quantity), promo_code=link.code)
    assert Commission.objects.get().amount == Decimal(amount)


def test_the_rate_is_the_one_in_force_when_the_order_was_placed(place, buyer, farm, link):
    # raised after the link was made and before the order: the order earns the new rate
    Listing.objects.filter(pk=farm["apples"].pk).update(commission_rate=Decimal("0.15"))
    place(buyer, (farm["apples"], 2), promo_code=link.code)
    # cut after the order: its commission keeps the rate it was placed at
    Listing.objects.filter(pk=farm["apples"].pk).update(commission_rate=Decimal("0.02"))
    checkout.commissions_settle()
    commission = Commission.objects.get()
    assert commission.rate == Decimal("0.15") and commission.amount == Decimal("6.00")


def test_an_unknown_promo_code_never_blocks_the_sale_and_credits_nobody(buyer_api, farm,
                                                                        address):
    response = buyer_api.post("/orders", {
        "lines": [{"listing_id": farm["apples"].pk, "quantity": 2}],
        "shipping_address": address, "promo_code": "NoSuchCode",
    })
    assert response.status_code == 201
    assert response.json()["promo_code"] == "NoSuchCode"
    assert Order.objects.count() == 1
    assert Commission.objects.count() == 0
    farm["apples"].refresh_from_db()
    assert farm["apples"].stock == 98


def test_an_order_through_the_api_after_a_click_credits_the_promoter(buyer_api, farm, address,
                                                                      link):
    # the buyer taps the share link; the app reads the visit off the landing URL
    landing = buyer_api.get(f"/p/{link.code}", HTTP_USER_AGENT=PHONE)["Location"]
    visit = parse_qs(urlsplit(landing).query)["visit"][0]
    response = buyer_api.post("/orders", {
        "lines": [{"listing_id": farm["apples"].pk, "quantity": 1}],
        "shipping_address": address, "promo_code": link.code, "promo_visit": visit,
    })
    assert response.status_code == 201, response.content
    assert Commission.objects.get().order_id == response.json()["id"]


def test_a_code_without_a_click_earns_nothing_and_never_blocks_the_sale(buyer_api, farm,
                                                                        address, link):
    response = buyer_api.post("/orders", {
        "lines": [{"listing_id": farm["apples"].pk, "quantity": 1}],
        "shipping_address": address, "promo_code": link.code,
    })
    assert response.status_code == 201
    assert not Commission.objects.exists()


def test_a_visit_of_another_link_or_past_the_window_earns_nothing(place, buyer, farm, link,
                                                                 promoter, settings):
    other = promo_link(promoter[0].user, make_listing(commission_rate="0.10"), external_id="av2")
    visit_of_other = promo_visit(other.code)
    checkout.order_place(buyer=buyer, lines=[{"listing_id": farm["apples"].pk, "quantity": 1}],
                       shipping_address=make_address(), promo_code=link.code,
                       promo_visit=visit_of_other)
    assert not Commission.objects.exists()

    settings.PROMO_ATTRIBUTION_WINDOW_DAYS = 7
    with time_machine.travel(timezone.now() - timedelta(days=8)):
        old_visit = promo_visit(link.code)
    checkout.order_place(buyer=buyer, lines=[{"listing_id": farm["apples"].pk, "quantity": 1}],
                       shipping_address=make_address(), promo_code=link.code,
                       promo_visit=old_visit)
    assert not Commission.objects.exists()

    # the cookie the redirect set works for a browser that orders on the site
    checkout.order_place(buyer=buyer, lines=[{"listing_id": farm["apples"].pk, "quantity": 1}],
                       shipping_address=make_address(), promo_code=link.code,
                       promo_visit=promo_visit(link.code))
    assert Commission.objects.count() == 1


def test_crediting_an_order_twice_makes_one_commission(place, buyer, farm, link):
    order = place(buyer, (farm["apples"], 1), promo_code=link.code)
    services.commission_for_order(order=order)
    assert Commission.objects.count() == 1


# --- No commission ------------------------------------------------------------------------------

def test_no_commission_on_the_promoters_own_purchase(place, promoter, farm, link):
    place(promoter[0].user, (farm["apples"], 2), promo_code=link.code)
    assert Order.objects.count() == 1
    assert Commission.objects.count() == 0


def test_no_commission_on_a_farms_own_goods(place, buyer, farm):
    # the farmer is also a promoter and promotes their own apples
    make_promoter(user=farm["user"], display_name="李姐")
    own = promo_link(farm["user"], farm["apples"])
    place(buyer, (farm["apples"], 2), promo_code=own.code)
    # and the farm's origin footage linked to its listing earns nothing either
    origin = promo_link(farm["user"], farm["apples"], kind="origin", external_id="av2")
    place(buyer, (farm["apples"], 1), promo_code=origin.code)
    assert Order.objects.count() == 2
    assert Commission.objects.count() == 0


def test_no_commission_for_a_lot_link_a_listing_not_ordered_or_a_rate_withdrawn(
    place, buyer, farm, link
):
    video = farm["api"].post("/videos", {"url": "https://www.bilibili.com/video/av9"}).json()
    lot_link = farm["api"].post(f"/videos/{video['id']}/links",
                                {"batch_id": farm["batch"].pk}).json()
    place(buyer, (farm["apples"], 1), promo_code=lot_link["code"])
    place(buyer, (farm["honey"], 1), promo_code=link.code)  # the linked listing is not in it
    Listing.objects.filter(pk=farm["apples"].pk).update(commission_rate=None)
    place(buyer, (farm["apples"], 1), promo_code=link.code)
    assert Order.objects.count() == 3
    assert Commission.objects.count() == 0


# --- Cancel and settle --------------------------------------------------------------------------

def test_a_cancelled_order_cancels_its_commission_and_settling_leaves_it(place, buyer, farm,
                                                                        link):
    order = place(buyer, (farm["apples"], 2), promo_code=link.code)
    checkout.order_cancel(order_id=order.pk, user=buyer)
    commission = Commission.objects.get()
    assert commission.status == "cancelled" and commission.cancelled_at is not None
    assert services.commissions_cancel_for_order(order=order) == 0  # twice: nothing more
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        release_delivered_money.delay()
    assert Commission.objects.get().status == "cancelled"


def test_an_expired_order_cancels_its_commission(place, buyer, farm, link):
    order = place(buyer, (farm["apples"], 2), promo_code=link.code)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        checkout.order_expire(order_id=order.pk)
    assert Commission.objects.get().status == "cancelled"


def test_settled_only_after_delivery_and_the_return_window(place, buyer, farm, link, settings):
    settings.RETURN_WINDOW_DAYS = 7
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order = place(buyer, (farm["apples"], 2), promo_code=link.code)
        assert checkout.commissions_settle() == 0  # not even paid
        payments.payment_start(order_id=order.pk, user=buyer, method="sandbox")
    with time_machine.travel(start + timedelta(days=1), tick=False):
        deliver(order, farm, buyer)
        assert checkout.commissions_settle() == 0  # delivered today
    with time_machine.travel(start + timedelta(days=7, hours=23), tick=False):
        assert checkout.commissions_settle() == 0  # 6 days 23 hours after delivery
        assert Commission.objects.get().status == "pending"
    with time_machine.travel(start + timedelta(days=8, minutes=1), tick=False):
        release_delivered_money.delay()
        commission = Commission.objects.get()
        assert commission.status == "settled"
        assert commission.settled_at == start + timedelta(days=8, minutes=1)
        assert checkout.commissions_settle() == 0  # twice: nothing more
    # a settled commission is not undone by a late cancel attempt
    assert services.commissions_cancel_for_order(order=order) == 0
    assert Commission.objects.get().status == "settled"
    # and the promoter heard of it, once
    from notify.models import Notification

    [told] = Notification.objects.filter(event="commission_settled")
    assert told.user_id == commission.promoter.user_id
    assert told.data == {"commission_id": commission.pk, "order_number": order.number,
                         "amount": str(commission.amount), "currency": "CNY"}


def test_only_the_delivered_parcel_settles_in_a_two_farm_order(place, buyer, farm, promoter):
    other = make_producer()
    tea = make_listing(producer=other, price="100.00", commission_rate="0.20", title="明前龙井")
    apples_link = promo_link(promoter[0].user, farm["apples"])
    order = place(buyer, (farm["apples"], 1), (tea, 1), promo_code=apples_link.code)
    payments.payment_start(order_id=order.pk, user=buyer, method="sandbox")
    tea_parcel = order.shipments.get(producer=other)
    orders.shipment_ship(shipment_id=tea_parcel.pk, user=other.user, carrier="EMS",
                         tracking_number="EA123456789CN")
    orders.shipment_confirm(shipment_id=tea_parcel.pk, user=buyer)
    with time_machine.travel(timezone.now() + timedelta(days=30)):
        assert checkout.commissions_settle() == 0  # the apples' parcel has not arrived
    assert Commission.objects.get().status == "pending"


# --- Self-referral through a second account -------------------------------------------------------

def _address(*, phone="13900001111", detail="幸福路 1 号"):
    from tests.factories import make_address

    return {**make_address(), "phone": phone, "detail": detail}


def test_no_commission_when_the_buyer_uses_the_promoters_phone(promoter, farm, link):
    from accounts.models import User
    from tests.factories import make_user

    User.objects.filter(pk=promoter[0].user_id).update(phone="+86 139-0000-2222")
    second_account = make_user()
    checkout.order_place(buyer=second_account,
                       lines=[{"listing_id": farm["apples"].pk, "quantity": 1}],
                       shipping_address=_address(phone="13900002222"), promo_code=link.code,
                       promo_visit=promo_visit(link.code))
    assert not Commission.objects.exists()


def test_no_commission_when_the_buyer_ships_where_the_promoter_ships(promoter, farm, link):
    from tests.factories import make_user

    # the promoter once bought for themselves, to their own home
    checkout.order_place(buyer=promoter[0].user,
                       lines=[{"listing_id": farm["honey"].pk, "quantity": 1}],
                       shipping_address=_address(phone="13900003333", detail="幸福路1号"))
    # a second account orders through the link to the same address, spelled a little apart
    checkout.order_place(buyer=make_user(),
                       lines=[{"listing_id": farm["apples"].pk, "quantity": 1}],
                       shipping_address=_address(phone="13700004444", detail="幸福路 1 号 "),
                       promo_code=link.code, promo_visit=promo_visit(link.code))
    assert not Commission.objects.exists()


def test_a_stranger_with_another_phone_and_address_earns_the_promoter_a_commission(
        promoter, farm, link):
    from tests.factories import make_user

    checkout.order_place(buyer=promoter[0].user,
                       lines=[{"listing_id": farm["honey"].pk, "quantity": 1}],
                       shipping_address=_address(phone="13900003333", detail="幸福路 1 号"))
    checkout.order_place(buyer=make_user(),
                       lines=[{"listing_id": farm["apples"].pk, "quantity": 1}],
                       shipping_address=_address(phone="13600005555", detail="解放路 8 号"),
                       promo_code=link.code, promo_visit=promo_visit(link.code))
    assert Commission.objects.count() == 1


# --- hardening round three, item 5: one click, one order; only vouched-for videos earn --------

def test_one_click_credits_one_order_the_first_paid(promoter, farm, link):
    from tests.factories import make_user

    # two sock-puppet accounts place orders with the same click
    visit = promo_visit(link.code)
    first, second = make_user(), make_user()
    orders_ = [checkout.order_place(buyer=who, lines=[{"listing_id": farm["apples"].pk,
                                                       "quantity": 1}],
                                    shipping_address=_address(phone=phone, detail=street),
                                    promo_code=link.code, promo_visit=visit)
               for who, phone, street in ((first, "13600001111", "解放路 1 号"),
                                          (second, "13600002222", "解放路 2 号"))]
    assert Commission.objects.count() == 2  # both wait: whichever is paid first earns

    payments.payment_start(order_id=orders_[1].pk, user=second, method="sandbox")
    payments.payment_start(order_id=orders_[0].pk, user=first, method="sandbox")

    statuses = {c.order_id: c.status for c in Commission.objects.all()}
    assert statuses == {orders_[1].pk: "pending", orders_[0].pk: "cancelled"}


def test_an_unverified_video_earns_only_once_the_farm_approves_its_link(promoter, farm):
    from promotion.models import Video

    user = promoter[0].user
    video = make_video(owner=user, external_id="BV1fake", status=Video.Status.UNVERIFIED)
    link, _ = services.link_create(user=user, video_id=video.pk, listing_id=farm["apples"].pk)
    buyer_a = make_order(lines=[(farm["apples"], 1)], promo_code=link.code)
    assert not Commission.objects.filter(order=buyer_a).exists()  # a fake video earns nothing

    services.link_review(user=farm["user"], listing_id=farm["apples"].pk, video_id=video.pk,
                         review=Link.Review.APPROVED)
    approved = make_order(lines=[(farm["apples"], 1)], promo_code=link.code)
    assert Commission.objects.filter(order=approved).exists()


def test_a_farm_hiding_a_link_stops_it_earning(promoter, farm, link):
    from tests.factories import make_user

    buyer = make_user()
    placed_before = checkout.order_place(
        buyer=buyer, lines=[{"listing_id": farm["apples"].pk, "quantity": 1}],
        shipping_address=_address(phone="13600003333", detail="解放路 3 号"),
        promo_code=link.code, promo_visit=promo_visit(link.code))
    assert Commission.objects.get(order=placed_before).status == "pending"

    services.link_review(user=farm["user"], listing_id=farm["apples"].pk,
                         video_id=link.video_id, review=Link.Review.HIDDEN)

    after = make_order(lines=[(farm["apples"], 1)], promo_code=link.code)
    assert not Commission.objects.filter(order=after).exists()
    # an order placed before, paid after: its commission goes too
    payments.payment_start(order_id=placed_before.pk, user=buyer, method="sandbox")
    assert Commission.objects.get(order=placed_before).status == "cancelled"
