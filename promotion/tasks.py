"""Celery tasks of the promotion app. A task imports its service inside its body (services
import their tasks at the top), so the two modules never import each other at load time."""

from celery import shared_task

from marketplace.retry import retry_on
from promotion.safe_fetch import FetchFailed


@shared_task(bind=True, name="promotion.tasks.video_fetch_details",
             autoretry_for=retry_on(FetchFailed), max_retries=3, retry_backoff=30,
             retry_backoff_max=3600, give_up="promotion.services.video_give_up")
def video_fetch_details(self, video_id: int) -> None:
    """Resolve a short link and fetch title and thumbnail (safe_fetch only). Only a pending
    video is touched, so running it twice is harmless; a transient failure is retried with
    back-off, and the last attempt settles the video's status (run eagerly, the one attempt is
    the last)."""
    from promotion.services import video_fetch_details

    final = self.request.is_eager or self.request.retries >= self.max_retries
    video_fetch_details(video_id=video_id, final_attempt=final)


@shared_task(name="promotion.tasks.rollup_clicks", max_retries=0)
def rollup_clicks() -> int:
    """Distinct visitors per link and day into ClickDaily (absolute counts: idempotent)."""
    from promotion.services import clicks_rollup

    return clicks_rollup()
