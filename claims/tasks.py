"""The claims' periodic task (beat, and `make run`'s embedded scheduler)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="claims.tasks.claim_deadlines", max_retries=3)
def claim_deadlines() -> dict:
    """Every five minutes: farms reminded before their deadline, silence taken as acceptance
    (once: a conditional UPDATE per claim), lapsed proposals and rejections settled."""
    from claims.services import claims_due

    done = claims_due()
    if any(done.values()):
        logger.info("Claim deadlines: %s", done)
    return done
