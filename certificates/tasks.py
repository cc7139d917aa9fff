"""Celery tasks of the certificates app (a task imports its service inside its body)."""

from celery import shared_task


@shared_task(name="certificates.tasks.expire_due", max_retries=0)
def expire_due() -> dict[str, int]:
    """Sellers due for their six-monthly re-check and certificates past their expiry date:
    `expired`, each farm told once. Idempotent: a second run finds nothing due."""
    from certificates import services

    return {"verifications": services.verifications_expire(),
            "certificates": services.certificates_expire()}
