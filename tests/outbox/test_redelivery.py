"""Hardening round three, item 13: after Redis lost its queue, a message is handed over again
after a message's expected time (a minute), not after the fifteen minutes a report may take;
and the relay does not hang on beat alone (tests/shanhuo/test_scheduler.py)."""

from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from outbox.models import Intent
from outbox.services import intent_enqueue, redeliver_after, relay

pytestmark = pytest.mark.django_db


def test_each_kind_of_work_waits_its_own_time_doubling_up_to_the_longest(settings):
    settings.OUTBOX_REDELIVER_AFTER = 900
    assert [redeliver_after("notify.tasks.deliver", n) for n in range(1, 6)] == [
        60, 120, 240, 480, 900]
    assert redeliver_after("reports.tasks.build_report", 1) == 900


def test_a_message_lost_with_redis_is_handed_over_again_in_minutes_a_report_later(
        own_redis, celery_broker, django_capture_on_commit_callbacks):
    # given a message and a report handed to a broker that then loses its queue
    celery_broker(own_redis.url, eager=False)
    with django_capture_on_commit_callbacks(execute=True):
        message = intent_enqueue("notify.tasks.deliver", 123)
        report = intent_enqueue("reports.tasks.build_report", 456)
    assert set(Intent.objects.values_list("status", flat=True)) == {"sent"}
    redis.Redis.from_url(own_redis.url).flushall()
    started = timezone.now()

    # when the relay looks 90 seconds later, the message is handed over again, the report not
    assert relay(now=started + timedelta(seconds=90)) == 1
    message.refresh_from_db()
    report.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert report.attempts == 1
    assert redis.Redis.from_url(own_redis.url).llen("shanhuo") == 1

    # and the report once its own time (OUTBOX_REDELIVER_AFTER) has passed (the message, not
    # done either, a third time: it was due again two minutes after its second hand-over)
    assert relay(now=started + timedelta(seconds=901)) == 2
    report.refresh_from_db()
    message.refresh_from_db()
    assert (report.attempts, message.attempts) == (2, 3)
