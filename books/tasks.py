"""Celery tasks of the books. Each is safe to run twice (postings are keyed by their event)."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="books.tasks.close_weekly_statements", max_retries=3)
def close_weekly_statements() -> int:
    """Close last week's statements (beat, Mondays 00:05 Asia/Shanghai; catches up on missed
    weeks)."""
    from books.services import statements_close

    written = statements_close()
    logger.info("Closed %d weekly statements", written)
    return written
