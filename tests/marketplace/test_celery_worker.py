"""A real Celery worker takes a task from Redis and runs it (CI sets REDIS_URL)."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from marketplace.celery import app
from marketplace.tasks import ping


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_through_redis():
    previous = {key: app.conf[key] for key in
                ("task_always_eager", "broker_url", "result_backend", "task_ignore_result")}
    app.conf.update(task_always_eager=False, broker_url=settings.REDIS_CACHE_URL,
                    result_backend=settings.REDIS_CACHE_URL, task_ignore_result=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            result = ping.apply_async(args=["山货"], ignore_result=False)
            assert result.get(timeout=20) == "pong:山货"
    finally:
        app.conf.update(previous)
