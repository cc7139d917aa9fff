"""Settings are parsed once, at start-up: production refuses to start without a real secret key,
and a bad value of any setting stops the start with its name instead of failing a request."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings


def load_settings(*, show: str = "s.SECRET_KEY[:4]", **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c",
         f"import sys, marketplace.settings as s; sys.stdout.write(repr({show}))"],
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
    assert result.returncode == 0 and result.stdout.strip() == "'dev-'"


@pytest.mark.parametrize("name, value", [
    ("SHIPPING_FEE_FLAT", "ten"),
    ("SHIPPING_FEE_FLAT", "-1"),
    ("SHIPPING_FEE_FLAT", "9.999"),
    ("SHIPPING_FREE_THRESHOLD", "NaN"),
    ("SHIPPING_FREE_THRESHOLD", "99,00"),
    ("TOKEN_TTL_DAYS", "thirty"),
    ("ORDER_MAX_QUANTITY", "0"),
    ("OEMBED_TIMEOUT", "fast"),
    ("DEBUG", "maybe"),
    ("AUTH_THROTTLE_RATE", "lots"),
    ("LOG_LEVEL", "LOUD"),
    ("PROMO_LANDING_URL", "https://shop.example/landing"),
])
def test_a_bad_value_stops_the_start_and_names_the_variable(name, value):
    result = load_settings(**{"DEBUG": "1", name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_shipping_money_is_a_decimal_from_the_start():
    result = load_settings(show="(s.SHIPPING_FEE_FLAT, s.SHIPPING_FREE_THRESHOLD)", DEBUG="1",
                           SHIPPING_FEE_FLAT="8", SHIPPING_FREE_THRESHOLD=" 30.5 ")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(Decimal('8.00'), Decimal('30.50'))"


def test_unset_money_settings_take_their_defaults():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SHIPPING_")}
    result = subprocess.run(
        [sys.executable, "-c", "import sys, marketplace.settings as s; "
         "sys.stdout.write(f'{s.SHIPPING_FEE_FLAT} {s.SHIPPING_FREE_THRESHOLD}')"],
        env={**clean, "DEBUG": "1"}, cwd=settings.BASE_DIR, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10.00", "99.00"]


def test_the_readme_configuration_tables_name_exactly_the_variables_settings_read():
    base = Path(settings.BASE_DIR)
    source = (base / "marketplace" / "settings.py").read_text()
    read = set(re.findall(r'env_\w+\(\s*"([A-Z_]+)"', source))
    readme = (base / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE))
    assert read == documented
