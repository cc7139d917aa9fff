"""Settings are parsed once, at start-up: production refuses to start without a real secret key,
and a bad value of any setting stops the start with its name instead of failing a request."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


def load_settings(*, show: str = "s.SECRET_KEY[:4]", **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "-c",
         f"import sys, shanhuo.settings as s; sys.stdout.write(repr({show}))"],
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
        [sys.executable, "-c", "import sys, shanhuo.settings as s; "
         "sys.stdout.write(f'{s.SHIPPING_FEE_FLAT} {s.SHIPPING_FREE_THRESHOLD}')"],
        env={**clean, "DEBUG": "1"}, cwd=settings.BASE_DIR, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["10.00", "99.00"]


HTTPS_SITE = {"DEBUG": "0", "SECRET_KEY": "k" * 50, "SITE_URL": "https://shanhuo.example",
              "ALLOWED_HOSTS": "shanhuo.example"}
HTTPS_SETTINGS = ("(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
                  " s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)")


def test_https_protections_are_on_by_default_in_production_behind_https():
    result = load_settings(show=HTTPS_SETTINGS, **HTTPS_SITE)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "(True, 31536000, True, True, True)"


@pytest.mark.parametrize("env", [{"DEBUG": "1", "SITE_URL": "https://shanhuo.example"},
                                 {"DEBUG": "0", "SECRET_KEY": "k" * 50,
                                  "SITE_URL": "http://10.0.0.5:8000"}])
def test_https_protections_are_off_in_debug_or_over_plain_http(env):
    result = load_settings(show=HTTPS_SETTINGS, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "(False, 0, False, False, False)"


def test_each_https_protection_can_be_set_from_the_environment():
    result = load_settings(
        show=HTTPS_SETTINGS + "+ (s.SECURE_HSTS_PRELOAD, s.SECURE_PROXY_SSL_HEADER)",
        **HTTPS_SITE, SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="600",
        SECURE_HSTS_INCLUDE_SUBDOMAINS="no", SESSION_COOKIE_SECURE="off",
        CSRF_COOKIE_SECURE="false", SECURE_HSTS_PRELOAD="1",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("(False, 600, False, False, False, True, "
                             "('HTTP_X_FORWARDED_PROTO', 'https'))")


def test_check_deploy_is_clean_in_production_behind_https(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update(HTTPS_SITE, SECRET_KEY="a-Real-secret-" + "x7Q" * 20, SECURE_HSTS_PRELOAD="1",
               SQLITE_PATH=str(tmp_path / "check.sqlite3"))
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
