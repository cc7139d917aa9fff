"""The harvest of a pre-sale: paid lines filled up to what came in (first come or pro rata),
the rest refunded at once through the provider, orders left with nothing cancelled, buyers
told, the books taking back their shares; once only, also with two harvests at once."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from checkout.services import order_place
from orders.models import Order, OrderLine, Shipment
from payments.models import Refund
from payments.services import payment_start as order_pay
from producers.models import Listing
from tests.concurrency import run_concurrently
from tests.factories import client_for, make_address, make_listing, make_producer, make_user

pytestmark = pytest.mark.django_db


def presale_terms(closes_in=timedelta(hours=2)) -> dict:
    closes_at = timezone.now() + closes_in
    ships_from = timezone.localdate(closes_at) + timedelta(days=1)
    return {"closes_at": closes_at, "ships_from": ships_from,
            "ships_by": ships_from + timedelta(days=10), "expected_quantity": 100}


@pytest.fixture
def farm(regions, categories):
    producer = make_producer(name="东坡苹果园")
    return {"producer": producer, "api": client_for(producer.user)}


@pytest.fixture
def presale(farm) -> Listing:
    return make_listing(producer=farm["producer"], title="新季红富士（预售）", price="12.50",
                        stock=100, presale=presale_terms())


def buy(listing, quantity, *, extra=None) -> Order:
    buyer = make_user()
    lines = [{"listing_id": listing.pk, "quantity": quantity}]
    if extra is not None:
        lines.append({"listing_id": extra.pk, "quantity": 1})
    order = order_place(buyer=buyer, shipping_address=make_address(), lines=lines)
    order_pay(order_id=order.pk, user=buyer, method="sandbox")
    return Order.objects.get(pk=order.pk)


def after_close(listing):
    return time_machine.travel(listing.presale_closes_at + timedelta(minutes=1), tick=True)


def harvest(client, listing, quantity, policy="first_come"):
    return client.post(f"/listings/{listing.pk}/harvest",
                       {"actual_quantity": quantity, "policy": policy})


def refunded(order) -> Decimal:
    return sum((r.amount for r in Refund.objects.filter(order=order, status="succeeded")),
               Decimal("0.00"))


def kept(order) -> Decimal:
    """What the buyer still pays for: allocated units at their price, and the shipping of
    each parcel still going."""
    goods = sum((line.unit_price * (line.quantity if line.allocated_quantity is None
                                    else line.allocated_quantity)
                 for line in OrderLine.objects.filter(order=order)), Decimal("0.00"))
    fees = sum((s.shipping_fee for s in Shipment.objects.filter(order=order)
                .exclude(status="cancelled")), Decimal("0.00"))
    return goods + fees if order.status != "cancelled" else Decimal("0.00")


def test_first_come_fills_by_payment_time_and_refunds_the_rest(farm, presale, buyer_api):
    # given three paid orders of 4, 5 and 3 (12.50 each; 10.00 shipping under 99.00)
    first, second, third = buy(presale, 4), buy(presale, 5), buy(presale, 3)

    # when the harvest brings 6
    with after_close(presale):
        response = harvest(farm["api"], presale, 6)

    # then the first is filled, the second gets 2, the third nothing (cancelled)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allocated"] == 6
    shares = {o["order_id"]: o for o in body["orders"]}
    assert [(shares[o.pk]["allocated"], shares[o.pk]["refund"], shares[o.pk]["cancelled"])
            for o in (first, second, third)] == [
        (4, "0.00", False), (2, "37.50", False), (0, "47.50", True)]
    assert body["refunded_amount"] == "85.00"
    for order in (first, second, third):
        order.refresh_from_db()
        # to the fen: what the buyer keeps paying for and what came back is what was paid
        assert kept(order) + refunded(order) == order.total, order
    assert third.status == "cancelled" and third.cancel_reason == "harvest"
    line = client_for(second.buyer).get(f"/orders/{second.pk}").json()["lines"][0]
    assert (line["quantity"], line["allocated_quantity"]) == (5, 2)
    presale.refresh_from_db()
    assert (presale.stock, presale.sales, presale.presale_closes_at) == (0, 6, None)
    call_command("ledger_verify", stdout=io.StringIO())


def test_pro_rata_shares_in_whole_units_by_largest_remainder(farm, presale):
    orders = [buy(presale, q) for q in (3, 3, 4)]

    with after_close(presale):
        response = harvest(farm["api"], presale, 5, policy="pro_rata")

    assert response.status_code == 200, response.content
    got = {o["order_id"]: o["allocated"] for o in response.json()["orders"]}
    assert [got[o.pk] for o in orders] == [2, 1, 2]
    for order in orders:
        order.refresh_from_db()
        assert kept(order) + refunded(order) == order.total


def test_a_parcel_left_with_nothing_is_cancelled_with_its_shipping_refunded(farm, presale):
    # an order of the pre-sale and of another farm's goods in hand
    other = make_listing(title="现货核桃", price="30.00", stock=10)
    mixed = buy(presale, 2, extra=other)
    alone = buy(presale, 5)
    with after_close(presale):
        response = harvest(farm["api"], presale, 0)

    assert response.status_code == 200, response.content
    alone.refresh_from_db()
    assert alone.status == "cancelled"
    mixed.refresh_from_db()
    assert mixed.status == "paid"  # the walnuts still ship
    parcel = mixed.shipments.get(producer=farm["producer"])
    assert parcel.status == "cancelled"
    share = next(o for o in response.json()["orders"] if o["order_id"] == mixed.pk)
    assert share["refund"] == str(Decimal("25.00") + parcel.shipping_fee)
    assert kept(mixed) + refunded(mixed) == mixed.total


def test_the_same_harvest_again_answers_the_same_and_another_is_409(farm, presale):
    buy(presale, 4)
    buy(presale, 5)
    with after_close(presale):
        first = harvest(farm["api"], presale, 6)
        again = harvest(farm["api"], presale, 6, policy="pro_rata")
        other = harvest(farm["api"], presale, 7)

    assert again.status_code == 200 and again.json() == first.json()
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "harvest_recorded"
    assert Refund.objects.count() == 1  # the second order's 3 units, once


def test_a_harvest_larger_than_sold_puts_the_rest_on_sale(farm, presale, place, buyer_api):
    buy(presale, 4)
    with after_close(presale):
        response = harvest(farm["api"], presale, 30)
        assert response.status_code == 200, response.content
        assert response.json()["refunded_amount"] == "0.00"
        presale.refresh_from_db()
        assert (presale.stock, presale.presale_closes_at) == (26, None)
        # goods in hand now: anyone may order them
        assert place(buyer_api, (presale, 2)).status_code == 201


def test_buyers_are_told_what_they_get(farm, presale, django_capture_on_commit_callbacks):
    full, short = buy(presale, 2), buy(presale, 5)
    mail.outbox.clear()
    with after_close(presale), django_capture_on_commit_callbacks(execute=True):
        harvest(farm["api"], presale, 4)

    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "已全部分配" in bodies[full.buyer.email]
    assert "分配到 2 份" in bodies[short.buyer.email] and "37.50" in bodies[short.buyer.email]


def test_before_the_close_not_a_presale_and_someone_elses(farm, presale, regions):
    ordinary = make_listing(producer=farm["producer"], title="现货苹果")
    stranger = client_for(make_producer().user)

    early = harvest(farm["api"], presale, 5)
    not_presale = harvest(farm["api"], ordinary, 5)
    with after_close(presale):
        theirs = harvest(stranger, presale, 5)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "presale_open")
    assert (not_presale.status_code, not_presale.json()["error"]["code"]) == (
        409, "not_a_presale")
    assert theirs.status_code == 404



def test_an_unpaid_order_is_cancelled_by_the_harvest_not_waited_for(farm, presale):
    # hardening round three, item 8: one unpaid order blocked the harvest for the payment window
    paid_order = buy(presale, 4)
    buyer = make_user()
    unpaid = order_place(buyer=buyer, shipping_address=make_address(),
                         lines=[{"listing_id": presale.pk, "quantity": 6}])
    presale.refresh_from_db()
    assert presale.stock == 90

    with after_close(presale):
        response = harvest(farm["api"], presale, 50)

    assert response.status_code == 200, response.content
    assert [o["order_id"] for o in response.json()["orders"]] == [paid_order.pk]
    unpaid.refresh_from_db()
    assert (unpaid.status, unpaid.cancel_reason) == ("cancelled", "harvest_unpaid")
    presale.refresh_from_db()
    assert presale.stock == 46  # its six units are back: the harvest beyond what was paid
    assert presale.presale_closes_at is None


@pytest.mark.parametrize("body", [
    {"actual_quantity": -1, "policy": "first_come"},
    {"actual_quantity": "6", "policy": "first_come"},
    {"actual_quantity": 6, "policy": "lottery"},
    {"actual_quantity": 6},
    {"policy": "pro_rata"},
])
def test_bad_harvest_input_is_422(farm, presale, body):
    with after_close(presale):
        response = farm["api"].post(f"/listings/{presale.pk}/harvest", body)

    assert response.status_code == 422, response.content
    assert response.json()["error"]["code"] == "validation_error"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_harvests_at_once_allocate_once(farm, presale):
    orders = [buy(presale, q) for q in (4, 5, 3)]
    clients = [client_for(farm["producer"].user) for _ in range(2)]

    with after_close(presale):
        results = run_concurrently(*[lambda c=c: harvest(c, presale, 6) for c in clients])

    assert [r.status_code for r in results] == [200, 200], [r.content for r in results]
    assert results[0].json() == results[1].json()
    assert Refund.objects.count() == 2  # the second order's 3 and the third's whole
    for order in orders:
        order.refresh_from_db()
        assert kept(order) + refunded(order) == order.total
