"""Cancelling by the buyer and expiry by the periodic task: stock back once, refunds."""

from datetime import timedelta

import pytest
import time_machine

from checkout import services as checkout
from checkout.tasks import expire_unpaid_orders
from orders.models import Order, OrderEvent, Shipment
from payments.models import Payment
from producers.models import Listing
from tests.factories import client_for, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer_api, place, two_farms) -> Order:
    response = place(buyer_api, (two_farms["apples"], 5), (two_farms["tea"], 2))
    return Order.objects.get(pk=response.json()["id"])


def stock(two_farms) -> tuple[int, int]:
    values = dict(Listing.objects.values_list("pk", "stock"))
    return values[two_farms["apples"].pk], values[two_farms["tea"].pk]


def sales(two_farms) -> tuple[int, int]:
    values = dict(Listing.objects.values_list("pk", "sales"))
    return values[two_farms["apples"].pk], values[two_farms["tea"].pk]


def test_cancel_gives_stock_back(buyer_api, order, two_farms):
    assert stock(two_farms) == (45, 18) and sales(two_farms) == (0, 0)  # unpaid: no sales
    response = buyer_api.post(f"/orders/{order.pk}/cancel")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "cancelled" and body["cancel_reason"] == "buyer"
    assert {s["status"] for s in body["shipments"]} == {"cancelled"}
    assert stock(two_farms) == (50, 20) and sales(two_farms) == (0, 0)
    event = OrderEvent.objects.filter(order=order, shipment__isnull=True).last()
    assert (event.from_status, event.to_status, event.note) == (
        "pending_payment", "cancelled", "buyer"
    )


def test_cancelling_twice_is_409_and_stock_comes_back_once(buyer_api, order, two_farms):
    assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200
    again = buyer_api.post(f"/orders/{order.pk}/cancel")
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_state"
    assert stock(two_farms) == (50, 20)


def test_cancelling_a_paid_order_refunds_it(buyer_api, order, two_farms):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    response = buyer_api.post(f"/orders/{order.pk}/cancel")
    assert response.status_code == 200
    payment = Payment.objects.get(order=order)
    refund = payment.refunds.get()
    assert (refund.status, refund.amount) == ("succeeded", payment.amount)
    assert stock(two_farms) == (50, 20)
    event = OrderEvent.objects.filter(order=order, shipment__isnull=True).last()
    assert (event.from_status, event.to_status) == ("paid", "cancelled")


def test_no_cancel_once_a_parcel_shipped(buyer_api, order, two_farms):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    parcel = Shipment.objects.get(order=order, producer=two_farms["farm_a"])
    shipped = two_farms["api_a"].post(f"/shipments/{parcel.pk}/ship",
                                      {"carrier": "顺丰", "tracking_number": "SF1234567890123"})
    assert shipped.status_code == 200
    response = buyer_api.post(f"/orders/{order.pk}/cancel")
    assert response.status_code == 409 and response.json()["error"]["code"] == "invalid_state"
    order.refresh_from_db()
    assert order.status == "paid" and stock(two_farms) == (45, 18)
    assert Payment.objects.get(order=order).status == "succeeded"


def test_only_the_buyer_cancels(order, two_farms):
    assert two_farms["api_a"].post(f"/orders/{order.pk}/cancel").status_code == 403
    assert client_for(make_user()).post(f"/orders/{order.pk}/cancel").status_code == 404
    order.refresh_from_db()
    assert order.status == "pending_payment"


def test_a_cancel_failing_at_its_last_step_refunds_nothing(buyer_api, order, two_farms,
                                                          monkeypatch):
    """Cancelling is one transaction: when its last step (telling the farms) fails, the
    refund asked for before it, the stock given back and the books' posting are undone too."""
    from ledger.models import LedgerTransaction
    from marketplace.errors import Conflict
    from outbox.models import Intent
    from payments.models import Refund

    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    intents = Intent.objects.count()

    def refuse(*, order_id):
        assert Refund.objects.filter(order_id=order_id).exists()  # the step before it ran
        raise Conflict("The farms cannot be told; try again.")

    monkeypatch.setattr(checkout.orders_services, "order_cancelled_tell_farms", refuse)
    response = buyer_api.post(f"/orders/{order.pk}/cancel")

    assert response.status_code == 409
    # nothing happened: no refund asked for (a platform is asked only after the commit, through
    # the outbox) while the order stays paid
    assert not Refund.objects.exists() and Intent.objects.count() == intents
    assert not LedgerTransaction.objects.filter(kind="cancellation").exists()
    order.refresh_from_db()
    assert order.status == "paid" and stock(two_farms) == (45, 18)
    assert Payment.objects.get(order=order).status == "succeeded"


def test_expiry_cancels_only_unpaid_orders_past_their_window(
    buyer_api, place, two_farms, settings
):
    old_unpaid = Order.objects.get(pk=place(buyer_api, (two_farms["apples"], 1)).json()["id"])
    old_paid = Order.objects.get(pk=place(buyer_api, (two_farms["apples"], 2)).json()["id"])
    buyer_api.post(f"/orders/{old_paid.pk}/pay", {"method": "sandbox"})
    with time_machine.travel(old_unpaid.expires_at - timedelta(minutes=10), tick=False):
        fresh = Order.objects.get(pk=place(buyer_api, (two_farms["apples"], 4)).json()["id"])
    assert stock(two_farms)[0] == 43
    # when the task runs just after the first window closed
    with time_machine.travel(old_unpaid.expires_at + timedelta(seconds=1), tick=False):
        assert expire_unpaid_orders() == 1
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {
        old_unpaid.pk: "cancelled", old_paid.pk: "paid", fresh.pk: "pending_payment"
    }
    assert Order.objects.get(pk=old_unpaid.pk).cancel_reason == "expired"
    assert stock(two_farms)[0] == 44


def test_the_expiry_task_is_idempotent(order, two_farms):
    with time_machine.travel(order.expires_at + timedelta(minutes=1), tick=False):
        assert expire_unpaid_orders() == 1
        assert expire_unpaid_orders() == 0
    assert stock(two_farms) == (50, 20) and sales(two_farms) == (0, 0)
    assert OrderEvent.objects.filter(order=order, to_status="cancelled", shipment=None).count() == 1


def test_one_order_that_cannot_expire_does_not_hold_back_the_others(
    buyer_api, place, two_farms, monkeypatch
):
    first, second = (
        Order.objects.get(pk=place(buyer_api, (two_farms["apples"], n)).json()["id"])
        for n in (1, 2)
    )

    refund = checkout.payments_services.order_cancel_refund

    def refuse_first(*, order):
        if order.pk == first.pk:
            raise RuntimeError("a bug in one step of the cancel")
        return refund(order=order)

    monkeypatch.setattr(checkout.payments_services, "order_cancel_refund", refuse_first)
    with time_machine.travel(second.expires_at + timedelta(seconds=1), tick=False):
        assert expire_unpaid_orders() == 1
    statuses = dict(Order.objects.values_list("pk", "status"))
    assert statuses == {first.pk: "pending_payment", second.pk: "cancelled"}
    assert stock(two_farms)[0] == 49


def test_the_task_is_registered_under_the_beat_name_every_minute(settings):
    from shanhuo.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["expire-unpaid-orders"]
    assert entry["task"] == "checkout.tasks.expire_unpaid_orders" and entry["task"] in app.tasks
    assert entry["schedule"] == 60
