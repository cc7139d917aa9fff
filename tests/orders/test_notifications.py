"""E-mails after commit: each farm on a paid order, the buyer when a parcel ships."""

import pytest
from django.core import mail

from orders.models import Order, Shipment
from orders.notifications import order_paid, shipment_shipped
from orders.tasks import notify_order_paid

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, buyer_api, place, two_farms) -> Order:
    buyer.email = "buyer@example.com"
    buyer.save(update_fields=["email"])
    response = place(buyer_api, (two_farms["apples"], 2), (two_farms["tea"], 1), note="放门口")
    return Order.objects.get(pk=response.json()["id"])


def test_each_farm_is_mailed_its_packing_list_after_payment_commits(
    buyer_api, order, two_farms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([two_farms["farm_a"].user.email, two_farms["farm_b"].user.email])
    to_a = next(m for m in mail.outbox if m.to == [two_farms["farm_a"].user.email])
    assert order.number in to_a.subject
    assert "红富士苹果 × 2" in to_a.body and "明前龙井" not in to_a.body
    assert "王小明" in to_a.body and "放门口" in to_a.body


def test_the_paid_mail_is_sent_once_even_if_the_task_runs_twice(buyer_api, order):
    Order.objects.filter(pk=order.pk).update(status="paid")
    assert notify_order_paid.delay(order.pk).get() == 2
    assert notify_order_paid.delay(order.pk).get() == 0
    assert len(mail.outbox) == 2


def test_the_buyer_is_mailed_when_a_parcel_ships(
    buyer_api, order, two_farms, django_capture_on_commit_callbacks
):
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    mail.outbox.clear()
    parcel = Shipment.objects.get(order=order, producer=two_farms["farm_a"])
    with django_capture_on_commit_callbacks(execute=True):
        two_farms["api_a"].post(f"/shipments/{parcel.pk}/ship",
                                {"carrier": "顺丰速运", "tracking_number": "SF4200000000042"})
    assert [m.to for m in mail.outbox] == [["buyer@example.com"]]
    assert "SF4200000000042" in mail.outbox[0].body and "顺丰速运" in mail.outbox[0].body
    # with the courier's own tracking page for the number
    assert "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF4200000000042" in (
        mail.outbox[0].body)
    assert shipment_shipped(shipment_id=parcel.pk) == 0  # once only


def test_no_mail_before_a_parcel_ships_or_without_an_address(
    buyer, buyer_api, order, two_farms, django_capture_on_commit_callbacks
):
    parcel = Shipment.objects.get(order=order, producer=two_farms["farm_a"])
    assert shipment_shipped(shipment_id=parcel.pk) == 0  # still pending
    assert order_paid(order_id=999999) == 0
    # given a shipped parcel whose buyer has no e-mail address
    buyer.email = ""
    buyer.save(update_fields=["email"])
    buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        shipped = two_farms["api_a"].post(f"/shipments/{parcel.pk}/ship",
                                          {"carrier": "顺丰速运",
                                           "tracking_number": "SF7000000000007"})
    assert shipped.status_code == 200
    # then nothing is sent, and the parcel is not marked as notified
    assert mail.outbox == []
    parcel.refresh_from_db()
    assert parcel.buyer_notified_at is None


def test_farms_told_to_ship_are_told_when_the_order_is_cancelled(
    buyer_api, order, two_farms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [two_farms["farm_a"].user.email, two_farms["farm_b"].user.email]
    )
    assert all("请勿发货" in m.subject for m in mail.outbox)


def test_a_mail_server_failure_neither_fails_the_payment_nor_marks_the_mail_sent(
    buyer_api, order, monkeypatch, django_capture_on_commit_callbacks
):
    import smtplib

    def broken(*args, **kwargs):
        raise smtplib.SMTPServerDisconnected("mail server down")

    monkeypatch.setattr("orders.notifications.send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert response.status_code == 200 and response.json()["status"] == "paid"
    # not marked as sent: a retry will send it
    assert not Shipment.objects.filter(producer_notified_at__isnull=False).exists()


@pytest.fixture
def broker_away(celery_broker):
    """Celery not eager, its broker a Redis port that refuses connections."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    celery_broker(f"redis://127.0.0.1:{port}/0", eager=False)
    return celery_broker


@pytest.mark.django_db(transaction=True)
def test_paying_while_the_broker_is_away_answers_at_once_and_the_mail_goes_out_later_once(
    buyer_api, order, two_farms, broker_away
):
    import time

    from outbox.models import Intent
    from outbox.services import relay

    started = time.monotonic()
    response = buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert response.status_code == 200, response.content
    assert time.monotonic() - started < 6  # no retry, no sleep (loose: a busy CI machine)
    intent = Intent.objects.get(task="orders.tasks.notify_order_paid")
    assert intent.status == Intent.Status.PENDING and intent.args == [order.pk]
    assert "Connection refused" in intent.error or "111" in intent.error
    assert mail.outbox == []
    # a second request while the breaker is open does not even try the broker
    started = time.monotonic()
    parcel = Shipment.objects.get(order=order, producer=two_farms["farm_a"])
    shipped = two_farms["api_a"].post(f"/shipments/{parcel.pk}/ship",
                                      {"carrier": "顺丰速运", "tracking_number": "SF4200000000042"})
    assert shipped.status_code == 200 and time.monotonic() - started < 6
    # the broker is back (eager here): the relay hands both over, each mail goes out once
    broker_away(None, eager=True)
    assert relay() == 2
    assert relay() == 0
    # (farm A shipped meanwhile, so only farm B still needs its packing list)
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [two_farms["farm_b"].user.email, "buyer@example.com"])
    assert set(Intent.objects.values_list("status", flat=True)) == {Intent.Status.DONE}
