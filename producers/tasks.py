from celery import shared_task

from producers import services


@shared_task(name="producers.tasks.make_listing_image_thumbnails", max_retries=3)
def make_listing_image_thumbnails(image_id: int) -> str:
    """Small and medium WebP thumbnails of one listing photo. Safe to run twice."""
    image = services.listing_image_process(image_id=image_id)
    return image.status if image is not None else "missing"
