"""No behaviour hangs on the order of INSTALLED_APPS: an order's life is written out in
checkout, not carried by signal receivers connected in the apps' order (when it was, moving
`benefit` before `promotion` lost the promoter's pledge). The order-flow tests run again, in a
fresh process on SQLite, with the project's apps shuffled so that `benefit` comes first.
(One order is enough now that no receiver is left: each run is a minute of CI.)

No domain signal is left to bring the problem back: the project defines none, and connects
receivers only to Django's and Celery's own."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from shanhuo.test_settings import apps_in_order

pytestmark = pytest.mark.backend_independent  # the runs are their own: CI's PostgreSQL pass

ROOT = Path(settings.BASE_DIR)
FLOW_TESTS = [
    "tests/benefit/test_pledges.py",
    "tests/benefit/test_books.py",
    "tests/promotion/test_commissions.py",
    "tests/orders/test_cancel_and_expiry.py",
    "tests/orders/test_checkout.py",
]


def _environment(order: str) -> dict[str, str]:
    """SQLite in memory and eager Celery, whatever this run uses: the child makes its own
    test database and must not meet this run's."""
    skip = {"DATABASE_URL", "REDIS_URL", "SHANHUO_REQUIRE_SERVICES",
            "SHANHUO_DESELECT_BACKEND_INDEPENDENT", "PYTEST_ADDOPTS", "DJANGO_SETTINGS_MODULE"}
    env = {key: value for key, value in os.environ.items() if key not in skip}
    return {**env, "DEBUG": "0", "SHANHUO_TEST_APPS_ORDER": order}


def _installed_apps(order: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = "
         "'shanhuo.test_settings'; django.setup(); from django.conf import settings; "
         "print(' '.join(settings.INSTALLED_APPS))"],
        cwd=ROOT, env=_environment(order), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def _a_shuffle_with_benefit_first() -> str:
    """The first seed whose shuffle puts `benefit` before `promotion` (the order that once
    broke it), found afresh: a new app changes what each seed gives."""
    ours = list(settings.INSTALLED_APPS)
    for seed in range(1, 1000):
        apps = apps_in_order(ours, f"seed:{seed}")
        if apps.index("benefit") < apps.index("promotion"):
            return f"seed:{seed}"
    raise AssertionError("no shuffle puts benefit first")


def test_the_order_flow_passes_with_the_apps_in_another_order():
    order = _a_shuffle_with_benefit_first()
    apps = _installed_apps(order)
    assert apps != list(settings.INSTALLED_APPS) and sorted(apps) == sorted(
        settings.INSTALLED_APPS)
    assert apps.index("benefit") < apps.index("promotion")  # the order that once broke it

    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *FLOW_TESTS],
        cwd=ROOT, env=_environment(order), capture_output=True, text=True, timeout=1200)

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]


def _signal_uses(tree: ast.Module) -> list[str]:
    """`Signal()` made, and `.connect(...)` on a signal the project defines."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name == "Signal":
                found.append(f"line {node.lineno}: Signal()")
        if isinstance(node, ast.ImportFrom) and node.module and node.module.endswith(".signals") \
                and node.module.split(".")[0] not in {"django", "celery"}:
            found.append(f"line {node.lineno}: from {node.module} import ...")
    return found


def test_the_project_defines_no_signal_of_its_own():
    packages = sorted(path.parent for path in ROOT.glob("*/__init__.py")
                      if path.parent.name != "tests")
    found = {
        str(path.relative_to(ROOT)): uses
        for package in packages for path in sorted(package.rglob("*.py"))
        if (uses := _signal_uses(ast.parse(path.read_text(encoding="utf-8"))))
    }
    # the outbox listens to Celery's own task signals (outbox/signals.py) and defines none
    assert found == {}
