"""Celery tasks of the benefit app: each takes an id and is safe to run twice."""

from celery import shared_task


@shared_task(name="benefit.tasks.notify_disbursed", max_retries=5)
def notify_disbursed(disbursement_id: int) -> int:
    """Tell the donors of a project that money was passed on to it (once each)."""
    from benefit.services import disbursement_tell_donors

    return disbursement_tell_donors(disbursement_id=disbursement_id)
