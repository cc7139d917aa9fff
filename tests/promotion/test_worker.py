"""The periodic tasks by their names on a real Celery worker through Redis (CI sets REDIS_URL):
clicks counted in Redis are rolled up into the database, and settling runs."""

import uuid

import pytest
from django.conf import settings as django_settings

from promotion.models import ClickDaily
from tests.factories import make_link, make_video

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"


@pytest.mark.redis
def test_a_real_worker_rolls_up_redis_clicks_and_settles(api, farm, promoter, settings,
                                                          real_worker):
    from shanhuo.celery import app

    settings.CLICK_REDIS_URL = django_settings.REDIS_URL
    settings.CLICK_REDIS_PREFIX = f"test:clicks:{uuid.uuid4().hex}"
    video = make_video(owner=promoter[0].user)
    link = make_link(video=video, listing=farm["apples"], code="Worker12")
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.2", "203.0.113.3"):
        assert api.get(f"/p/{link.code}", HTTP_USER_AGENT=PHONE,
                       REMOTE_ADDR=address).status_code == 302
    try:
        rolled = app.send_task("promotion.tasks.rollup_clicks", ignore_result=False)
        assert real_worker(rolled) == 1
        settled = app.send_task("checkout.tasks.release_delivered_money", ignore_result=False)
        assert real_worker(settled) == 0
    finally:
        import redis

        client = redis.Redis.from_url(django_settings.REDIS_URL)
        for key in client.scan_iter(f"{settings.CLICK_REDIS_PREFIX}:*"):
            client.delete(key)
    assert ClickDaily.objects.get(link=link).clicks == 3
