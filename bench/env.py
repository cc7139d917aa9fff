"""The production environment the bench serves under, set before Django is imported.

The same variables go to gunicorn, so the server and this process (which fills the database
and counts SQL queries) run the same settings: DEBUG off, a fresh secret, one allowed host.
"""

import os
import secrets

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/shanhuo_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
HOST = "127.0.0.1"


def production_env(database_url: str, redis_url: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "SQLITE_PATH"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="shanhuo.settings",
        DEBUG="0",
        SECRET_KEY=env.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        LOG_LEVEL="WARNING",
        SITE_URL=f"http://{HOST}",
        # The Celery queue of the bench, so that no worker of another run picks its tasks.
        CELERY_QUEUE="shanhuo-bench",
        CACHE_KEY_PREFIX="shanhuo-bench",
        BENCH_CEILINGS="1",
        # The order scenario measures 50 buyers racing for stock, not the hoarding limits: each
        # buyer places far more than 3 unpaid orders in it. The limits are still counted (the
        # same statement, the same cost), only never reached; pgbench uses the same values.
        ORDER_MAX_UNPAID="1000000",
        ORDER_MAX_UNPAID_UNITS="1000000",
    )
    return env


def apply(database_url: str, redis_url: str) -> dict[str, str]:
    """Set the production environment in this process and return it (for gunicorn)."""
    env = production_env(database_url, redis_url)
    os.environ.clear()
    os.environ.update(env)
    return env
