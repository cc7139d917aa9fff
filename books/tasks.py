"""Celery tasks of the books. Each is safe to run twice (postings are keyed by their event)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="books.tasks.release_farm_balances", max_retries=3)
def release_farm_balances() -> int:
    """Farms' pending money of shipments delivered RETURN_WINDOW_DAYS ago becomes available
    (beat, every ten minutes)."""
    from books.services import release_due

    released = release_due()
    if released:
        logger.info("Released the pending money of %d shipments", released)
    return released


@shared_task(name="books.tasks.close_weekly_statements", max_retries=3)
def close_weekly_statements() -> int:
    """Close last week's statements (beat, Mondays 00:05 Asia/Shanghai; catches up on missed
    weeks)."""
    from books.services import statements_close

    written = statements_close()
    logger.info("Closed %d weekly statements", written)
    return written
