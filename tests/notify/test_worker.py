"""Exactly once with real concurrency: a real Celery worker on Redis runs a delivery's task
twice and the gateway gets one message; two threads racing to send one delivery on PostgreSQL
send it once."""

import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.utils import timezone

from notify import notify
from notify.models import ContactPoint, Delivery
from notify.services import delivery_send
from notify.tasks import deliver
from outbox.models import Intent
from tests.factories import make_user
from tests.redis_server import wait_for

PHONE = "13812345678"


def farmer_with_phone():
    user = make_user(username="farmer_wang", email="")
    ContactPoint.objects.create(user=user, channel="sms", address=PHONE,
                                verified_at=timezone.now())
    return user


@pytest.mark.redis
@pytest.mark.postgres
def test_a_delivery_task_run_twice_by_a_real_worker_sends_once(real_worker, aliyun_sms):
    farmer = farmer_with_phone()
    with transaction.atomic():
        notification = notify(user_id=farmer.pk, event="order_paid", key="SH9",
                              title="新订单 SH9 待发货", body="红富士苹果 × 2 斤")

    # the worker plans the deliveries and sends the SMS, through Redis
    wait_for(lambda: Delivery.objects.filter(notification=notification, channel="sms",
                                             status="sent").exists(), what="the SMS")
    wait_for(lambda: set(Intent.objects.values_list("status", flat=True)) == {"done"},
             what="every intent done")
    delivery = Delivery.objects.get(notification=notification, channel="sms")

    # the same task handed over twice more (a redelivery, a duplicate publish)
    again = [deliver.apply_async(args=[delivery.pk], ignore_result=False) for _ in range(2)]
    assert [real_worker(sent) for sent in again] == ["not_due", "not_due"]
    assert len(aliyun_sms.sent) == 1
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.attempts == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_racing_on_one_delivery_send_it_once(aliyun_sms, settings):
    settings.NOTIFY_HTTP_TIMEOUT = 5.0
    farmer = farmer_with_phone()
    with transaction.atomic():
        notification = notify(user_id=farmer.pk, event="order_paid", key="SH10", title="t",
                              body="b")
    delivery = Delivery.objects.get(notification=notification, channel="sms")
    Delivery.objects.filter(pk=delivery.pk).update(status="pending", attempts=0, sent_at=None)
    aliyun_sms.sent.clear()
    aliyun_sms.fault, aliyun_sms.slow_seconds = "slow", 0.5  # both are in flight together
    outcomes, barrier = [], threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            outcomes.append(delivery_send(delivery_id=delivery.pk))
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["not_due", "sent"]
    assert len(aliyun_sms.sent) == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_code_requests_at_once_for_one_phone_send_one_code(aliyun_sms):
    from django.core.cache import cache

    from tests.client import ApiClient

    cache.clear()
    answers, barrier = [], threading.Barrier(2)

    def ask():
        try:
            barrier.wait()
            answers.append(ApiClient().post("/auth/sms-code", {"phone": PHONE}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(answers) == [202, 429]
    assert len(aliyun_sms.sent) == 1
