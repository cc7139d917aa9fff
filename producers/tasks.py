"""Celery tasks of the producers app. A task imports its service inside its body (services
import their tasks at the top), so the two modules never import each other at load time."""

from celery import shared_task

# A photo is cleaned and cut in a second or two; one that takes this long never will be (the
# worker raises SoftTimeLimitExceeded inside the work, then kills it at the hard limit).
PHOTO_SOFT_TIME_LIMIT = 60
PHOTO_TIME_LIMIT = 90


# Storage trouble is retried over minutes, not seconds: 30 s doubling to 10 min, six times
# (25 minutes in all), without jitter (full jitter made two of five waits 0 s). Past that the
# photo is `failed`, and the sweeper takes it back to work (services.listing_images_waiting).
PHOTO_RETRY_BACKOFF = 30
PHOTO_RETRY_BACKOFF_MAX = 600
PHOTO_MAX_RETRIES = 6


@shared_task(name="producers.tasks.make_listing_image_thumbnails",
             max_retries=PHOTO_MAX_RETRIES, retry_backoff=PHOTO_RETRY_BACKOFF,
             retry_backoff_max=PHOTO_RETRY_BACKOFF_MAX, retry_jitter=False,
             give_up="producers.services.listing_image_give_up",
             soft_time_limit=PHOTO_SOFT_TIME_LIMIT, time_limit=PHOTO_TIME_LIMIT)
def make_listing_image_thumbnails(image_id: int) -> str:
    """The stored upload cleaned (re-encoded without its metadata), then small and medium WebP
    thumbnails of one listing photo. Safe to run twice. Storage that cannot be written is
    retried with back-off; after the last try, or past the time limit (not retried: it would
    take as long again), the photo is `failed`."""
    from producers.services import listing_image_process

    image = listing_image_process(image_id=image_id)
    return image.status if image is not None else "missing"


@shared_task(name="producers.tasks.rollup_scans", max_retries=0)
def rollup_scans() -> int:
    """Distinct visitors of trace pages per lot and day into BatchScanDaily and Batch.scans
    (absolute counts: idempotent)."""
    from producers import services

    return services.scans_rollup()
