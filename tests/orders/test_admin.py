"""The back office: orders with lines, parcels, payments and events; filters; staff cancel."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderEvent
from producers.models import Listing
from tests.factories import make_listing, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    staff = make_user(username="staff", is_staff=True, is_superuser=True)
    client.force_login(staff)
    return client


@pytest.fixture
def order(buyer_api, place, two_farms) -> Order:
    response = place(buyer_api, (two_farms["apples"], 3), (two_farms["tea"], 1))
    return Order.objects.get(pk=response.json()["id"])


def test_orders_list_filters_by_status_and_producer(
    staff_client, order, two_farms, buyer_api, place
):
    tea_only = Order.objects.get(pk=place(buyer_api, (two_farms["tea"], 1)).json()["id"])
    buyer_api.post(f"/orders/{tea_only.pk}/pay", {"method": "sandbox"})
    url = reverse("admin:orders_order_changelist")

    def listed(**params) -> list[str]:
        response = staff_client.get(url, params)
        assert response.status_code == 200
        return [o.number for o in response.context["cl"].result_list]

    assert sorted(listed()) == sorted([order.number, tea_only.number])
    assert listed(status__exact="paid") == [tea_only.number]
    # the order with a parcel from farm A, once (it has two parcels), not the tea-only one
    assert listed(shipments__producer__id__exact=two_farms["farm_a"].pk) == [order.number]
    assert sorted(listed(shipments__producer__id__exact=two_farms["farm_b"].pk)) == sorted(
        [order.number, tea_only.number]
    )


def test_order_page_shows_lines_shipments_and_events(staff_client, order, two_farms):
    page = staff_client.get(reverse("admin:orders_order_change", args=[order.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "红富士苹果" in html and "李家果园" in html and "pending_payment" in html


def test_events_are_read_only(staff_client, order):
    event = OrderEvent.objects.filter(order=order).first()
    url = reverse("admin:orders_orderevent_change", args=[event.pk])
    response = staff_client.post(url, {"to_status": "completed"})
    assert response.status_code == 403
    assert OrderEvent.objects.get(pk=event.pk).to_status == "pending_payment"


def test_staff_cancel_action_goes_through_the_service(staff_client, order, two_farms):
    url = reverse("admin:orders_order_changelist")
    response = staff_client.post(url, {"action": "cancel_orders", "_selected_action": [order.pk]})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "cancelled" and order.cancel_reason == "staff"
    assert Listing.objects.get(pk=two_farms["apples"].pk).stock == 50


def test_records_cannot_be_added_deleted_or_edited_by_hand(staff_client, order):
    for model in ["orders_order", "orders_shipment", "orders_orderevent", "payments_payment",
                  "payments_paymentwebhookevent"]:
        assert staff_client.get(reverse(f"admin:{model}_add")).status_code == 403
    shipment = order.shipments.first()
    page = staff_client.get(reverse("admin:orders_shipment_change", args=[shipment.pk]))
    assert page.status_code == 200
    assert page.context["adminform"].form.fields == {}  # every field read-only
    delete = reverse("admin:orders_order_delete", args=[order.pk])
    assert staff_client.post(delete, {"post": "yes"}).status_code == 403
    assert Order.objects.filter(pk=order.pk).exists()


def test_the_order_page_runs_as_many_queries_for_eleven_lines_as_for_one(
    staff_client, buyer_api, place, two_farms
):
    small = place(buyer_api, (two_farms["apples"], 1)).json()["id"]
    listings = [make_listing(producer=two_farms["farm_a"]) for _ in range(10)] + [two_farms["tea"]]
    large = place(buyer_api, *[(listing, 1) for listing in listings]).json()["id"]
    for order_id in (small, large):
        buyer_api.post(f"/orders/{order_id}/pay", {"method": "sandbox"})
    counts = []
    for order_id in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            page = staff_client.get(reverse("admin:orders_order_change", args=[order_id]))
        assert page.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
