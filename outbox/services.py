"""Writing intents, handing them to Celery, and recording what became of them.

Hand-over happens twice over: right after the commit (the fast path, skipped for a few seconds
after the broker failed once, so a dead Redis costs requests nothing), and by the relay
(`relay`, beat every few seconds) for whatever is still `pending` or was `sent` and not done in
time. Every write here is a conditional UPDATE, so the fast path, several relays and the worker
can race without a state going backwards; a duplicate hand-over only runs an idempotent task
twice.
"""

import json
import logging
import random
import threading
import time
from datetime import datetime, timedelta

from celery import current_app as app  # the project's one Celery app
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from marketplace.retry import failure_reason
from outbox.models import Intent

logger = logging.getLogger(__name__)

OPEN = (Intent.Status.PENDING, Intent.Status.SENT)
_TASK_ID_PREFIX = "outbox-"

# After a failed hand-over, the fast path leaves hand-overs to the relay for this long.
_breaker = {"open_until": 0.0}
_breaker_lock = threading.Lock()
BREAKER_SECONDS = 10.0


def intent_key(task_name: str, args: list, kwargs: dict) -> str:
    return json.dumps([task_name, args, kwargs], sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))[:255]


def _task(name: str):
    if name not in app.tasks:
        app.loader.import_default_modules()  # every app's tasks.py (autodiscovery)
    if name not in app.tasks:
        raise LookupError(f"no Celery task named {name!r}")
    return app.tasks[name]


def intent_enqueue(task, *args, **kwargs) -> Intent:
    """The intent `task(*args, **kwargs)`, written in the caller's transaction and handed over
    once it commits (at once when there is no transaction)."""
    name = task if isinstance(task, str) else task.name
    _task(name)
    args_list = list(args)
    json.dumps([args_list, kwargs])  # arguments must be JSON: a TypeError here, not later
    intent = Intent.objects.create(
        task=name, args=args_list, kwargs=kwargs, key=intent_key(name, args_list, kwargs),
        due_at=timezone.now() + timedelta(seconds=settings.OUTBOX_GRACE),
    )
    transaction.on_commit(lambda: hand_over(intent), robust=True)
    return intent


def task_id_of(intent: Intent) -> str:
    return f"{_TASK_ID_PREFIX}{intent.pk}-{intent.attempts + 1}"


def intent_id_of(task_id: str | None) -> int | None:
    if not task_id or not task_id.startswith(_TASK_ID_PREFIX):
        return None
    try:
        return int(task_id[len(_TASK_ID_PREFIX):].split("-", 1)[0])
    except ValueError:
        return None


def _publish(intent: Intent) -> None:
    _task(intent.task).apply_async(
        args=intent.args, kwargs=intent.kwargs, task_id=task_id_of(intent), retry=False,
    )


def redeliver_after(task_name: str, delivery: int) -> int:
    """Seconds after its `delivery`-th hand-over (1, 2, ...) that a task not done is handed over
    again: its kind's expected time (OUTBOX_REDELIVER_AFTER_BY_TASK), doubling with each
    hand-over, never longer than OUTBOX_REDELIVER_AFTER."""
    longest = settings.OUTBOX_REDELIVER_AFTER
    first = settings.OUTBOX_REDELIVER_AFTER_BY_TASK.get(task_name, longest)
    return min(longest, first * 2 ** max(0, min(delivery - 1, 16)))


def _mark_sent(intent: Intent, now: datetime) -> None:
    after = redeliver_after(intent.task, intent.attempts + 1)
    Intent.objects.filter(pk=intent.pk, status__in=OPEN).update(
        status=Intent.Status.SENT, attempts=F("attempts") + 1, sent_at=now, error="",
        due_at=now + timedelta(seconds=after),
    )


def _breaker_open() -> bool:
    return time.monotonic() < _breaker["open_until"]


def _trip_breaker() -> None:
    with _breaker_lock:
        _breaker["open_until"] = time.monotonic() + BREAKER_SECONDS


def hand_over(intent: Intent) -> bool:
    """The fast path, right after commit. Never raises: the commit is done, and whatever is
    not handed over here the relay hands over later. Eager Celery (the embedded default) runs
    the task here and now."""
    try:
        if app.conf.task_always_eager:
            _run_eagerly(intent)
            return True
        if _breaker_open():
            _leave_to_relay(intent, "the broker failed a moment ago")
            return False
        try:
            _publish(intent)
        except Exception as exc:
            _trip_breaker()
            logger.warning("Broker did not take %s; the outbox relay will hand it over: %s",
                           intent, exc)
            _leave_to_relay(intent, failure_reason(exc))
            return False
        _mark_sent(intent, timezone.now())
        return True
    except Exception:
        logger.exception("Hand-over of %s failed after commit; the relay will retry", intent)
        return False


def _leave_to_relay(intent: Intent, reason: str) -> None:
    Intent.objects.filter(pk=intent.pk, status=Intent.Status.PENDING).update(
        due_at=timezone.now(), error=reason)


def _run_eagerly(intent: Intent) -> None:
    """Run the task here and now (no broker). Celery runs its retries at once, up to the
    task's max_retries; the last failure is final (give_up hook, intent `failed`)."""
    _mark_sent(intent, timezone.now())
    _task(intent.task).apply(args=intent.args, kwargs=intent.kwargs,
                             task_id=task_id_of(intent), throw=False)


def relay(*, now: datetime | None = None, limit: int = 200) -> int:
    """Hand over what is due: `pending` intents past their grace, `sent` ones not done in their
    kind's time (`redeliver_after`). An intent handed over OUTBOX_MAX_DELIVERIES times without
    finishing is `failed`. Stops at the first broker error (the rest would fail the same way).
    Rows are locked and skipped by a concurrent relay (PostgreSQL)."""
    now = now or timezone.now()
    handed = 0
    with transaction.atomic():
        due = list(
            Intent.objects.select_for_update(skip_locked=True)
            .filter(status__in=OPEN, due_at__lte=now)
            .order_by("due_at", "id")[:limit]
        )
        for intent in due:
            if intent.attempts >= settings.OUTBOX_MAX_DELIVERIES:
                Intent.objects.filter(pk=intent.pk, status__in=OPEN).update(
                    status=Intent.Status.FAILED, finished_at=now,
                    error=f"handed over {intent.attempts} times without finishing",
                )
                logger.error("Outbox gave up on %s after %d deliveries", intent, intent.attempts)
                continue
            if app.conf.task_always_eager:
                _run_eagerly(intent)
                handed += 1
                continue
            try:
                _publish(intent)
            except Exception as exc:
                Intent.objects.filter(pk=intent.pk).update(
                    due_at=now + timedelta(seconds=_jittered(settings.OUTBOX_RELAY_BACKOFF)),
                    error=failure_reason(exc),
                )
                logger.warning("Outbox relay: the broker does not take tasks: %s", exc)
                break
            _mark_sent(intent, now)
            handed += 1
    if handed:
        logger.info("Outbox relay handed over %d intents", handed)
    return handed


def _jittered(seconds: float) -> float:
    return seconds * random.uniform(0.5, 1.0)


# --- What became of the task (Celery signals, in the worker or the eager caller) -----------

def intent_done(task_id: str | None) -> None:
    intent_id = intent_id_of(task_id)
    if intent_id is not None:
        Intent.objects.filter(pk=intent_id).exclude(status=Intent.Status.DONE).update(
            status=Intent.Status.DONE, finished_at=timezone.now(), error="")


def intent_failed(task_id: str | None, reason: str) -> None:
    intent_id = intent_id_of(task_id)
    if intent_id is not None:
        Intent.objects.filter(pk=intent_id).exclude(status=Intent.Status.DONE).update(
            status=Intent.Status.FAILED, finished_at=timezone.now(), error=reason)


def intent_retrying(task_id: str | None, reason: str) -> None:
    """A retry is scheduled: not stuck, so the relay leaves it alone for another while."""
    intent_id = intent_id_of(task_id)
    if intent_id is not None:
        Intent.objects.filter(pk=intent_id, status=Intent.Status.SENT).update(
            due_at=timezone.now() + timedelta(seconds=settings.OUTBOX_REDELIVER_AFTER),
            error=f"retrying: {reason}"[:500])


def intent_nudge(task, *args, sent_before: datetime | None = None) -> bool:
    """Work known to be stuck (its object still waits): its open intent is handed over again
    now (published, or run when Celery is eager); with no open intent at all, a new one is
    enqueued. With `sent_before`, an open intent handed over (or written) since then is left
    alone: it may still arrive. For a sweeper or a domain's own requeue (beat); True if it did
    something."""
    name = task if isinstance(task, str) else task.name
    open_intents = Intent.objects.filter(key=intent_key(name, list(args), {}), status__in=OPEN)
    stale = open_intents
    if sent_before is not None:
        stale = stale.filter(Q(status=Intent.Status.SENT, sent_at__lt=sent_before)
                             | Q(status=Intent.Status.PENDING, created_at__lt=sent_before))
    intent = stale.order_by("id").first()
    if intent is not None:
        Intent.objects.filter(pk=intent.pk, status__in=OPEN).update(due_at=timezone.now())
        hand_over(intent)
        return True
    if not open_intents.exists():
        intent_enqueue(name, *args)
        return True
    return False


def last_intents(task_name: str, object_ids: list[int]) -> dict[int, Intent]:
    """The newest intent of `task_name(object_id)` for each of `object_ids` that has one."""
    keys = {intent_key(task_name, [object_id], {}): object_id for object_id in object_ids}
    newest: dict[int, Intent] = {}
    for intent in Intent.objects.filter(key__in=keys).order_by("id"):
        if intent.key in keys:
            newest[keys[intent.key]] = intent
    return newest


# --- Stuck work ---------------------------------------------------------------------------

def stuck_work_sweep(*, now: datetime | None = None) -> int:
    """Work that should have finished minutes ago (OUTBOX_STUCK_AFTER): each entry of
    OUTBOX_STUCK_WORK names a task and a selector `fn(*, older_than) -> ids` of the objects
    stuck in its in-between state (a photo `processing`, a video `pending`, ...), or a service
    that first puts work failed for a transient cause back in it (photos). An object with
    a `sent` intent that old is handed over again now; one with no open intent gets a new one
    (work from before the outbox, or lost with a crash). Returns how many were nudged."""
    from django.utils.module_loading import import_string

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.OUTBOX_STUCK_AFTER)
    nudged = 0
    for task_name, selector in settings.OUTBOX_STUCK_WORK.items():
        for object_id in import_string(selector)(older_than=cutoff):
            nudged += intent_nudge(task_name, object_id, sent_before=cutoff)
    if nudged:
        logger.warning("Sweeper re-enqueued %d stuck pieces of work", nudged)
    return nudged


def intents_purge(*, now: datetime | None = None) -> int:
    """Forget intents done more than OUTBOX_KEEP_DONE_DAYS ago; failed ones stay for staff."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.OUTBOX_KEEP_DONE_DAYS)
    deleted, _ = Intent.objects.filter(status=Intent.Status.DONE, finished_at__lt=cutoff).delete()
    return deleted
