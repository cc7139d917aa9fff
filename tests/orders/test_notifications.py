"""What the orders app tells people, through notify, after commit: each farm of a paid order
its packing list (lines, quantities, lots, the address), the buyer when a parcel ships or is
delivered, the farms when a paid order is cancelled. E-mail stays a channel; SMS and the inbox
join it."""

from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notify.models import ContactPoint, Delivery, Notification
from orders.models import Order, Shipment
from orders.notifications import order_paid, shipment_shipped
from orders.tasks import notify_order_paid
from outbox.models import Intent
from producers.models import Batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(buyer, buyer_api, place, two_farms) -> Order:
    buyer.email = "buyer@example.com"
    buyer.save(update_fields=["email"])
    response = place(buyer_api, (two_farms["apples"], 2), (two_farms["tea"], 1), note="放门口")
    return Order.objects.get(pk=response.json()["id"])


def test_each_farm_gets_its_packing_list_after_payment_commits(
    buyer_api, order, two_farms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert mail.outbox == [] and not Notification.objects.exists()  # nothing before commit
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted([two_farms["farm_a"].user.email, two_farms["farm_b"].user.email])
    to_a = next(m for m in mail.outbox if m.to == [two_farms["farm_a"].user.email])
    assert order.number in to_a.subject
    assert "红富士苹果 × 2" in to_a.body and "明前龙井" not in to_a.body
    assert "王小明" in to_a.body and "放门口" in to_a.body
    # and in each farm's inbox
    inbox = Notification.objects.get(user=two_farms["farm_a"].user, event="order_paid")
    assert inbox.body == to_a.body and inbox.data["order_number"] == order.number


def test_a_farmer_with_a_phone_packs_from_the_sms(
    buyer_api, order, two_farms, aliyun_sms, django_capture_on_commit_callbacks
):
    farmer = two_farms["farm_a"].user
    ContactPoint.objects.create(user=farmer, channel="sms", address="13812345678",
                                verified_at=timezone.now())
    Batch.objects.create(listing=two_farms["apples"], lot_code="L0915", trace_code="TR0915A",
                         harvested_on=date(2026, 9, 15), quantity=100)
    Batch.objects.create(listing=two_farms["apples"], lot_code="L0901", trace_code="TR0901A",
                         harvested_on=date(2026, 9, 1), quantity=10, shipped=10)  # used up
    with django_capture_on_commit_callbacks(execute=True):
        buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    [sms] = aliyun_sms.sent
    text = sms["params"]["body"]
    assert sms["phone"] == "13812345678" and sms["template"] == "SMS_100002"
    assert "红富士苹果 × 2 kg，批次 L0915（09月15日采）" in text
    assert "L0901" not in text
    assert "王小明" in text and order.region.path in text and "放门口" in text


def test_the_packing_list_is_sent_once_even_if_the_task_runs_twice(
    buyer_api, order, django_capture_on_commit_callbacks
):
    Order.objects.filter(pk=order.pk).update(status="paid")
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_order_paid.delay(order.pk).get() == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert notify_order_paid.delay(order.pk).get() == 0
    assert len(mail.outbox) == 2 and Notification.objects.count() == 2


def test_paying_costs_one_insert_for_every_farm_and_channel_together(
    buyer_api, order, two_farms, django_capture_on_commit_callbacks
):
    """The cost of `order_paid` on the payment's path: one INSERT (the outbox intent of the
    packing lists), whatever the number of farms and channels; the words, the inbox rows and
    the deliveries are written after the commit."""
    with CaptureQueriesContext(connection) as path, \
            django_capture_on_commit_callbacks(execute=False) as after:
        assert buyer_api.post(f"/orders/{order.pk}/pay",
                              {"method": "sandbox"}).status_code == 200
    telling = [q["sql"] for q in path.captured_queries
               if q["sql"].startswith("INSERT") and ("outbox_intent" in q["sql"]
                                                      or "notify_" in q["sql"])]
    assert len(telling) == 1 and "outbox_intent" in telling[0]
    with CaptureQueriesContext(connection) as later, \
            django_capture_on_commit_callbacks(execute=True):
        for callback in after:
            callback()
    inserts = [q["sql"] for q in later.captured_queries if q["sql"].startswith("INSERT")]
    # per farm: its inbox row and the intent that plans its deliveries; then its deliveries
    # (one bulk INSERT) and one intent per delivery that goes out (e-mail here)
    assert sum("notify_notification" in sql for sql in inserts) == 2
    assert sum("notify_delivery" in sql for sql in inserts) == 2
    assert Delivery.objects.filter(status="sent", channel="email").count() == 2


def test_the_buyer_hears_when_a_parcel_ships_with_the_tracking_link(
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
    url = "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF4200000000042"
    assert url in mail.outbox[0].body
    shipped = Notification.objects.get(event="order_shipped")
    assert shipped.data["tracking_url"] == url
    assert shipment_shipped(shipment_id=parcel.pk) == 0  # once only


def test_the_buyer_hears_when_a_parcel_is_delivered(
    buyer, buyer_api, order, two_farms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
        parcel = Shipment.objects.get(order=order, producer=two_farms["farm_a"])
        two_farms["api_a"].post(f"/shipments/{parcel.pk}/ship",
                                {"carrier": "顺丰速运", "tracking_number": "SF4200000000043"})
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_api.post(f"/shipments/{parcel.pk}/confirm").status_code == 200
    delivered = Notification.objects.get(user=buyer, event="order_delivered")
    assert order.number in delivered.title and delivered.data["shipment_id"] == parcel.pk


def test_nothing_before_a_parcel_ships_and_no_mail_without_an_address(
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
    # then no mail, and the inbox says why
    assert mail.outbox == []
    told = Notification.objects.get(user=buyer, event="order_shipped")
    assert Delivery.objects.get(notification=told, channel="email").reason == "no_address"


def test_farms_told_to_ship_are_told_when_the_order_is_cancelled(
    buyer_api, order, two_farms, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200
    farms = [m for m in mail.outbox if "请勿发货" in m.subject]
    assert sorted(m.to[0] for m in farms) == sorted(
        [two_farms["farm_a"].user.email, two_farms["farm_b"].user.email]
    )
    # and the buyer hears the money is back (the sandbox refunds at once)
    [refunded] = [m for m in mail.outbox if m.to == ["buyer@example.com"]]
    assert "退款" in refunded.subject and str(order.total) in refunded.subject


def test_an_unpaid_order_cancelled_tells_no_farm(
    buyer_api, order, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert buyer_api.post(f"/orders/{order.pk}/cancel").status_code == 200
    assert mail.outbox == [] and not Notification.objects.exists()


def test_a_mail_server_failure_neither_fails_the_payment_nor_loses_the_packing_list(
    buyer_api, order, settings, delivery_retries, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.orders.test_notifications.BrokenMail"
    delivery_retries(0)
    with django_capture_on_commit_callbacks(execute=True):
        response = buyer_api.post(f"/orders/{order.pk}/pay", {"method": "sandbox"})
    assert response.status_code == 200 and response.json()["status"] == "paid"
    # the inbox has it, and the mail is failed with the reason for staff to send again
    assert Notification.objects.filter(event="order_paid").count() == 2
    assert set(Delivery.objects.filter(channel="email").values_list("status", flat=True)) == {
        "failed"}
    # the packing lists' own work is done; the two mails' intents failed, with the reason
    assert Intent.objects.get(task="orders.tasks.notify_order_paid").status == "done"
    failed = Intent.objects.filter(task="notify.tasks.deliver", status="failed")
    assert failed.count() == 2 and all("mail server down" in i.error for i in failed)


class BrokenMail:
    """An e-mail backend whose server is down."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPServerDisconnected("mail server down")


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
