"""Demo data for this app, loaded by `manage.py demo` (idempotent)."""

from marketplace.demo import DemoAccount


def load(*, stdout) -> list[DemoAccount]:
    return []
