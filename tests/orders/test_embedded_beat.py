"""Under `make run` (eager Celery, no `celery beat`) the server runs the beat
schedule itself, so an unpaid order's stock comes back when its payment window passes."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from orders.models import Order
from shanhuo.scheduler import Scheduler

pytestmark = pytest.mark.django_db


def test_the_embedded_beat_expires_an_unpaid_order_and_gives_the_stock_back(
        buyer_api, place, two_farms, settings):
    apples = two_farms["apples"]
    response = place(buyer_api, (apples, 5))
    assert response.status_code == 201, response.content
    order = Order.objects.get(pk=response.json()["id"])
    apples.refresh_from_db()
    assert apples.stock == 45
    scheduler = Scheduler(settings.CELERY_BEAT_SCHEDULE)
    # within the window: the task runs (it is due after its minute), nothing expires
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=61), tick=False):
        assert "expire-unpaid-orders" in scheduler.run_due()
    assert buyer_api.get(f"/orders/{order.pk}").json()["status"] == "pending_payment"
    # past the window: the next turn cancels it and the stock is back
    with time_machine.travel(order.expires_at + timedelta(seconds=120), tick=False):
        assert "expire-unpaid-orders" in scheduler.run_due()
    assert buyer_api.get(f"/orders/{order.pk}").json()["status"] == "cancelled"
    apples.refresh_from_db()
    assert apples.stock == 50
