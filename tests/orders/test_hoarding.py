"""Unpaid orders hoard stock: one account holds at most ORDER_MAX_UNPAID open unpaid orders and
ORDER_MAX_UNPAID_UNITS units in them (409 past either); `sales`, a public sort key, counts units
when the payment succeeds and is taken back when a paid order is cancelled."""

import pytest
import time_machine

from orders.models import Order
from producers.models import Listing
from tests.concurrency import run_concurrently
from tests.factories import client_for, make_address, make_listing, make_user


@pytest.fixture
def limits(settings):
    settings.ORDER_MAX_UNPAID = 2
    settings.ORDER_MAX_UNPAID_UNITS = 60
    return settings


def sales(listing) -> int:
    return Listing.objects.values_list("sales", flat=True).get(pk=listing.pk)


@pytest.mark.django_db
def test_one_account_cannot_take_a_whole_listing_off_sale_without_paying(
        buyer_api, place, two_farms, limits):
    apples = two_farms["apples"]  # 50 in stock
    # 40 units unpaid are allowed; 21 more would pass the 60-unit limit
    assert place(buyer_api, (apples, 40)).status_code == 201
    refused = place(buyer_api, (apples, 10), (two_farms["tea"], 11))
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "too_many_unpaid_units"
    assert refused.json()["error"]["details"] == {"unpaid_units": 40, "units": 21,
                                                  "max_unpaid_units": 60}
    # nothing of the refused order was taken, and another buyer still gets the rest
    assert Listing.objects.get(pk=apples.pk).stock == 10
    assert place(client_for(make_user()), (apples, 10)).status_code == 201


@pytest.mark.django_db
def test_a_third_unpaid_order_is_409_until_one_is_paid(buyer_api, place, two_farms, limits):
    first = place(buyer_api, (two_farms["apples"], 1)).json()
    assert place(buyer_api, (two_farms["apples"], 1)).status_code == 201
    third = place(buyer_api, (two_farms["apples"], 1))
    assert third.status_code == 409
    assert third.json()["error"]["code"] == "too_many_unpaid_orders"

    assert buyer_api.post(f"/orders/{first['id']}/pay", {"method": "sandbox"}).status_code == 200
    assert place(buyer_api, (two_farms["apples"], 1)).status_code == 201


@pytest.mark.django_db
def test_orders_past_their_payment_window_do_not_count(buyer_api, place, two_farms, limits):
    with time_machine.travel("2026-12-01 10:00:00 +0000", tick=False) as clock:
        place(buyer_api, (two_farms["apples"], 1))
        place(buyer_api, (two_farms["apples"], 1))
        clock.shift(31 * 60)  # expired, whether or not the periodic task ran yet
        assert place(buyer_api, (two_farms["apples"], 1)).status_code == 201


@pytest.mark.django_db
def test_sales_count_at_payment_and_go_back_when_a_paid_order_is_cancelled(
        buyer_api, place, two_farms):
    apples = two_farms["apples"]
    order = place(buyer_api, (apples, 3)).json()
    assert sales(apples) == 0  # placed, not paid: not a sale

    buyer_api.post(f"/orders/{order['id']}/pay", {"method": "sandbox"})
    assert sales(apples) == 3

    assert buyer_api.post(f"/orders/{order['id']}/cancel").status_code == 200
    assert sales(apples) == 0
    assert Listing.objects.get(pk=apples.pk).stock == 50


@pytest.mark.django_db
def test_an_unpaid_order_cancelled_never_counted_as_sales(buyer_api, place, two_farms):
    apples = two_farms["apples"]
    order = place(buyer_api, (apples, 3)).json()
    buyer_api.post(f"/orders/{order['id']}/cancel")
    assert sales(apples) == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_accounts_orders_placed_at_once_stop_at_the_limit(settings):
    from checkout import services

    settings.ORDER_MAX_UNPAID = 3
    settings.ORDER_MAX_UNPAID_UNITS = 1000
    listing = make_listing(stock=100)
    buyer = make_user()

    def place():
        return services.order_place(buyer=buyer, lines=[{"listing_id": listing.pk, "quantity": 1}],
                                    shipping_address=make_address())

    results = run_concurrently(*[place for _ in range(8)])
    assert sum(isinstance(r, Order) for r in results) == 3
    assert all(getattr(r, "code", None) == "too_many_unpaid_orders"
               for r in results if not isinstance(r, Order))
    assert Order.objects.filter(buyer=buyer).count() == 3
    assert Listing.objects.get(pk=listing.pk).stock == 97


@pytest.mark.django_db
def test_an_expired_unpaid_order_gives_its_stock_to_the_next_buyer_at_once(
        buyer_api, place, two_farms):
    apples = two_farms["apples"]  # 50 in stock
    with time_machine.travel("2026-12-01 10:00:00 +0000", tick=False) as clock:
        hoarder = place(buyer_api, (apples, 50)).json()
        clock.shift(31 * 60)  # past the payment window; the periodic task has not run

        # when another buyer orders what the expired order holds
        response = place(client_for(make_user()), (apples, 20), (two_farms["tea"], 1))

        # then the expired order is cancelled on the spot and the stock is sold
        assert response.status_code == 201, response.content
        assert Order.objects.get(pk=hoarder["id"]).status == Order.Status.CANCELLED
        assert Listing.objects.get(pk=apples.pk).stock == 30


@pytest.mark.django_db
def test_a_shortage_with_no_expired_order_is_still_409_and_takes_nothing(
        buyer_api, place, two_farms):
    apples, tea = two_farms["apples"], two_farms["tea"]  # 50 and 20
    place(buyer_api, (apples, 45))
    response = place(client_for(make_user()), (apples, 10), (tea, 1))
    assert response.status_code == 409
    assert response.json()["error"]["details"] == [{"listing_id": apples.pk, "available": 5}]
    assert (Listing.objects.get(pk=apples.pk).stock, Listing.objects.get(pk=tea.pk).stock) == (
        5, 20)
