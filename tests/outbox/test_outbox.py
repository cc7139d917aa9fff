"""The transactional outbox: an intent is committed with the change or not at all, is run once
handed over, and ends `done` or `failed` with a reason; the relay hands over what the fast path
could not and what was handed over but never finished."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from marketplace.tasks import ping
from outbox import enqueue
from outbox.models import Intent
from outbox.services import relay

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ran(monkeypatch):
    """The values the ping task was really run with (the task itself, through Celery)."""
    calls = []
    original = ping.run

    def record(value):
        calls.append(value)
        return original(value)

    monkeypatch.setattr(ping, "run", record)
    return calls


def test_an_intent_of_a_rolled_back_transaction_never_exists_nor_runs(ran):
    with pytest.raises(RuntimeError), transaction.atomic():
        enqueue("marketplace.tasks.ping", "山货")
        raise RuntimeError("the change failed")
    assert not Intent.objects.exists()
    assert ran == []


def test_an_intent_runs_once_at_commit_and_is_marked_done(ran):
    with transaction.atomic():
        intent = enqueue("marketplace.tasks.ping", "山货")
        assert ran == []  # nothing runs before the commit
    assert ran == ["山货"]
    intent.refresh_from_db()
    assert intent.status == Intent.Status.DONE
    assert intent.attempts == 1 and intent.finished_at is not None and intent.error == ""


def test_a_task_that_fails_ends_failed_with_the_reason():
    with transaction.atomic():
        intent = enqueue("marketplace.tasks.ping")  # its argument is missing
    intent.refresh_from_db()
    assert intent.status == Intent.Status.FAILED
    assert intent.error.startswith("TypeError: ") and "value" in intent.error


def test_arguments_must_be_json_and_the_task_must_exist():
    with pytest.raises(TypeError), transaction.atomic():
        enqueue("marketplace.tasks.ping", object())
    with pytest.raises(LookupError), transaction.atomic():
        enqueue("marketplace.tasks.no_such_task", 1)
    assert not Intent.objects.exists()


def _stuck(status: str, **fields) -> Intent:
    now = timezone.now()
    return Intent.objects.create(task="marketplace.tasks.ping", args=["x"], key="k",
                                 status=status, due_at=now - timedelta(seconds=1), **fields)


def test_the_relay_hands_over_a_pending_intent_once_due_and_a_sent_one_never_finished(ran):
    pending = _stuck(Intent.Status.PENDING)
    sent = _stuck(Intent.Status.SENT, attempts=1, sent_at=timezone.now() - timedelta(hours=1))
    later = Intent.objects.create(task="marketplace.tasks.ping", args=["later"], key="k",
                                  due_at=timezone.now() + timedelta(minutes=1))
    assert relay() == 2
    assert ran == ["x", "x"]
    for intent, attempts in ((pending, 1), (sent, 2)):
        intent.refresh_from_db()
        assert (intent.status, intent.attempts) == (Intent.Status.DONE, attempts)
    later.refresh_from_db()
    assert later.status == Intent.Status.PENDING  # still in its grace period
    assert relay() == 0  # done is done


def test_an_intent_handed_over_too_often_without_finishing_is_failed(settings, ran):
    settings.OUTBOX_MAX_DELIVERIES = 3
    intent = _stuck(Intent.Status.SENT, attempts=3)
    assert relay() == 0
    intent.refresh_from_db()
    assert intent.status == Intent.Status.FAILED
    assert intent.error == "handed over 3 times without finishing"
    assert ran == []


def test_done_intents_are_forgotten_after_a_week_failed_ones_are_kept(settings):
    from outbox.services import intents_purge

    now = timezone.now()
    old = now - timedelta(days=settings.OUTBOX_KEEP_DONE_DAYS, hours=1)
    done_long_ago = _stuck(Intent.Status.DONE, finished_at=old)
    done_recently = _stuck(Intent.Status.DONE, finished_at=now - timedelta(days=1))
    failed_long_ago = _stuck(Intent.Status.FAILED, finished_at=old)
    assert intents_purge(now=now) == 1
    assert set(Intent.objects.values_list("pk", flat=True)) == {done_recently.pk,
                                                                 failed_long_ago.pk}
    assert not Intent.objects.filter(pk=done_long_ago.pk).exists()
