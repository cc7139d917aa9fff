"""The transactional outbox: side effects that survive a broker outage and a killed worker.

Adopting it is one call, made INSIDE the transaction that makes the change:

    from outbox import enqueue
    from orders.tasks import notify_order_paid as notify_order_paid_task

    with transaction.atomic():
        ...  # the change
        enqueue(notify_order_paid_task, order.pk)

instead of `transaction.on_commit(lambda: task.delay(...))`. The intent is a row committed with
the change (or rolled back with it); at commit it is handed to Celery, and if the broker is away
the relay (`outbox.tasks.relay`, beat) hands it over later, again and again until it is taken.
The task's success marks the row `done`; its final failure marks it `failed` with the reason.
Arguments must be JSON (ids, strings), and the task idempotent: it may run more than once.
"""


def enqueue(task, *args, **kwargs):
    """Record `task(*args, **kwargs)` as an intent of the current transaction (see above)."""
    from outbox.services import intent_enqueue

    return intent_enqueue(task, *args, **kwargs)
