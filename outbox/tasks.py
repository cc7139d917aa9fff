from celery import shared_task

from outbox import services


@shared_task(name="outbox.tasks.relay", max_retries=0, ignore_result=True)
def relay() -> int:
    """Hand over the intents that are due (beat, every few seconds; safe to run twice at once)."""
    return services.relay()


@shared_task(name="outbox.tasks.sweep_stuck_work", max_retries=0, ignore_result=True)
def sweep_stuck_work() -> int:
    """Re-enqueue photos, videos and reports stuck in their in-between state (beat)."""
    return services.stuck_work_sweep()


@shared_task(name="outbox.tasks.purge_done", max_retries=0, ignore_result=True)
def purge_done() -> int:
    """Forget intents done long ago (beat, hourly)."""
    return services.intents_purge()
