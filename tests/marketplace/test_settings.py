"""Production settings refuse to start without a real secret key."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def load_settings(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c",
         "import sys, marketplace.settings as s; sys.stdout.write(s.SECRET_KEY[:4])"],
        env={**clean, **env}, cwd=settings.BASE_DIR, capture_output=True, text=True,
    )


@pytest.mark.parametrize("env", [{}, {"SECRET_KEY": "short"},
                                 {"SECRET_KEY": "dev-only-insecure-key-do-not-use-in-production"}])
def test_production_refuses_a_missing_or_weak_secret_key(env):
    result = load_settings(DEBUG="0", **env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_a_real_secret_key():
    result = load_settings(DEBUG="0", SECRET_KEY="k" * 50)
    assert result.returncode == 0, result.stderr


def test_debug_uses_the_development_key():
    result = load_settings(DEBUG="1")
    assert result.returncode == 0 and result.stdout.strip() == "dev-"
