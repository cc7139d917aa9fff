"""Races, with real threads on PostgreSQL: each thread has its own connection and transaction.

Skipped (with the reason printed) without DATABASE_URL=postgres://...; CI runs them.
"""

from datetime import timedelta

import pytest
import time_machine

from checkout.services import order_place
from checkout.tasks import expire_unpaid_orders
from orders.models import Order, OrderEvent, Shipment
from payments.models import Payment, PaymentWebhookEvent
from producers.models import Listing
from tests.concurrency import run_concurrently
from tests.factories import client_for, make_listing, make_user
from tests.orders.conftest import post_webhook, webhook_body

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_30_buyers_racing_for_the_last_10_units(place):
    # given 10 units left and 30 buyers who each want one
    listing = make_listing(stock=10, title="最后一批冬枣")
    clients = [client_for(make_user()) for _ in range(30)]
    # when they all order at once
    responses = run_concurrently(*[lambda c=c: place(c, (listing, 1)) for c in clients])
    # then exactly 10 are sold, stock is 0, and every loser is a 409
    codes = [r.status_code for r in responses]
    assert codes.count(201) == 10, codes
    assert codes.count(409) == 20, codes
    losers = [r.json()["error"] for r in responses if r.status_code == 409]
    assert all(e["code"] == "insufficient_stock" for e in losers)
    assert all(e["details"] == [{"listing_id": listing.pk, "available": 0}] for e in losers)
    listing.refresh_from_db()
    assert (listing.stock, listing.sales) == (0, 0)  # sold only once paid
    assert Order.objects.count() == 10


def test_orders_touching_the_same_listings_in_opposite_orders_do_not_deadlock(
    two_farms, place
):
    apples, tea = two_farms["apples"], two_farms["tea"]  # 50 and 20
    clients = [client_for(make_user()) for _ in range(10)]
    calls = [
        (lambda c=c: place(c, (apples, 1), (tea, 1))) if i % 2
        else (lambda c=c: place(c, (tea, 1), (apples, 1)))
        for i, c in enumerate(clients)
    ]
    responses = run_concurrently(*calls)
    assert [r.status_code for r in responses] == [201] * 10
    stock = dict(Listing.objects.values_list("pk", "stock"))
    assert (stock[apples.pk], stock[tea.pk]) == (40, 10)


def test_concurrent_duplicates_with_one_key_place_one_order(buyer, two_farms, place):
    clients = [client_for(buyer) for _ in range(8)]
    headers = {"Idempotency-Key": "double-tap-42"}
    responses = run_concurrently(
        *[lambda c=c: place(c, (two_farms["apples"], 2), headers=headers) for c in clients]
    )
    assert [r.status_code for r in responses] == [201] * 8
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == 7
    assert Order.objects.count() == 1
    assert Listing.objects.get(pk=two_farms["apples"].pk).stock == 48


def test_payment_racing_expiry_has_one_outcome_and_consistent_stock(
    api, buyer, two_farms, address
):
    # given five unpaid orders of 3 apples each (50 -> 35), all past their payment window
    orders = [
        order_place(buyer=buyer, shipping_address=address,
                    lines=[{"listing_id": two_farms["apples"].pk, "quantity": 3}])
        for _ in range(5)
    ]
    later = orders[-1].expires_at + timedelta(seconds=30)
    with time_machine.travel(later, tick=True):
        # when each order's payment is confirmed while the expiry task runs (twice)
        calls = [
            lambda o=o: post_webhook(api, webhook_body(o, event_id=f"evt_{o.pk}",
                                                       ref=f"sbx_{o.pk}"))
            for o in orders
        ] + [expire_unpaid_orders, expire_unpaid_orders]
        results = run_concurrently(*calls)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert all(r.status_code == 200 for r in results[:5])
    # then each order has exactly one outcome, and stock agrees with it
    paid = 0
    for order in orders:
        order.refresh_from_db()
        payment = Payment.objects.get(order=order)
        assert order.status in {"paid", "cancelled"}
        if order.status == "paid":
            paid += 1
            assert payment.status == "succeeded"
        else:
            # money taken after expiry goes back
            assert payment.refunds.get().amount == payment.amount
        terminal = OrderEvent.objects.filter(
            order=order, shipment=None, to_status__in=["paid", "cancelled"],
        ).exclude(from_status="cancelled")
        assert terminal.count() == 1
    listing = Listing.objects.get(pk=two_farms["apples"].pk)
    assert listing.stock == 50 - 3 * paid
    assert listing.sales == 3 * paid
    assert sum(results[5:]) == 5 - paid


def test_pay_racing_cancel_leaves_money_and_stock_consistent(buyer, two_farms, place):
    clients = [client_for(buyer), client_for(buyer)]
    for _ in range(3):
        order_id = place(clients[0], (two_farms["tea"], 2)).json()["id"]
        pay, cancel = run_concurrently(
            lambda o=order_id: clients[0].post(f"/orders/{o}/pay", {"method": "sandbox"}),
            lambda o=order_id: clients[1].post(f"/orders/{o}/cancel"),
        )
        assert cancel.status_code == 200  # before or after payment, it may cancel
        # the race has two honest outcomes: paid first (then refunded by the cancel), or
        # cancelled first and the payment refused
        assert pay.status_code in (200, 409)
        if pay.status_code == 409:
            assert pay.json()["error"]["code"] == "invalid_state"
        assert Order.objects.get(pk=order_id).status == "cancelled"
        # whatever was paid was refunded
        for payment in Payment.objects.filter(order_id=order_id, status="succeeded"):
            assert sum(r.amount for r in payment.refunds.filter(status="succeeded")) == \
                payment.amount
        assert Payment.objects.filter(order_id=order_id).count() == (pay.status_code == 200)
    assert Listing.objects.get(pk=two_farms["tea"].pk).stock == 20


def test_one_webhook_delivered_several_times_at_once_acts_once(api, buyer, two_farms, address):
    order = order_place(buyer=buyer, shipping_address=address,
                        lines=[{"listing_id": two_farms["tea"].pk, "quantity": 1}])
    body = webhook_body(order, event_id="evt_dup", ref="sbx_dup")
    results = run_concurrently(*[lambda: post_webhook(api, body) for _ in range(6)])
    statuses = sorted(r.json()["status"] for r in results)
    assert statuses == ["duplicate"] * 5 + ["processed"]
    assert PaymentWebhookEvent.objects.count() == 1 and Payment.objects.count() == 1
    assert OrderEvent.objects.filter(order=order, to_status="paid").count() == 1


def test_two_farms_shipping_at_once_move_the_order_to_shipped(buyer, two_farms, address):
    from payments.services import payment_start as order_pay

    order = order_place(buyer=buyer, shipping_address=address,
                        lines=[{"listing_id": two_farms["apples"].pk, "quantity": 1},
                               {"listing_id": two_farms["tea"].pk, "quantity": 1}])
    order_pay(order_id=order.pk, user=buyer, method="sandbox")
    parcel_a = Shipment.objects.get(order=order, producer=two_farms["farm_a"])
    parcel_b = Shipment.objects.get(order=order, producer=two_farms["farm_b"])
    body = {"carrier": "顺丰", "tracking_number": "SF1234567890123"}
    a, b = run_concurrently(
        lambda: two_farms["api_a"].post(f"/shipments/{parcel_a.pk}/ship", body),
        lambda: two_farms["api_b"].post(f"/shipments/{parcel_b.pk}/ship", body),
    )
    assert (a.status_code, b.status_code) == (200, 200)
    order.refresh_from_db()
    assert order.status == "shipped"
    assert OrderEvent.objects.filter(order=order, shipment=None, to_status="shipped").count() == 1
