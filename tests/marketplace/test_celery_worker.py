"""A real Celery worker takes a task from Redis and runs it (CI sets REDIS_URL)."""

import pytest

from marketplace.tasks import ping


@pytest.mark.redis
def test_a_real_worker_runs_a_task_through_redis(real_worker):
    sent = ping.apply_async(args=["山货"], ignore_result=False)
    assert real_worker(sent) == "pong:山货"
