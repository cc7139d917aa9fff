"""The console providers are for development only: named with DEBUG off, the start stops (as
the payment sandbox's does); with DEBUG on and nothing configured they are the default."""

import pytest

from tests.shanhuo.test_settings import load_settings

pytestmark = pytest.mark.backend_independent

PRODUCTION = {"DEBUG": "0", "SECRET_KEY": "k" * 50}


@pytest.mark.parametrize("env", [{"SMS_PROVIDER": "console"},
                                 {"WECHAT_MESSAGE_PROVIDER": "console"}])
def test_console_providers_stop_the_start_with_debug_off(env):
    result = load_settings(**PRODUCTION, **env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "console" in result.stderr


def test_with_debug_on_and_nothing_configured_the_console_is_the_default():
    result = load_settings(show="(s.SMS_PROVIDER, s.WECHAT_MESSAGE_PROVIDER)", DEBUG="1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "('console', 'console')"


def test_production_with_no_provider_starts_with_none():
    result = load_settings(show="(s.SMS_PROVIDER, s.WECHAT_MESSAGE_PROVIDER)", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "('', '')"


def test_real_providers_and_templates_are_read():
    result = load_settings(
        show="(s.SMS_PROVIDER, s.SMS_API_BASE, s.SMS_TEMPLATES, s.WECHAT_MESSAGE_PROVIDER)",
        **PRODUCTION, SMS_PROVIDER="tencent", SMS_TEMPLATES="sign_in_code=1001, order_paid=1002",
        WECHAT_MINIAPP_APPID="wx1")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ("('tencent', 'https://sms.tencentcloudapi.com', "
                             "{'sign_in_code': '1001', 'order_paid': '1002'}, 'miniapp')")


@pytest.mark.parametrize("name, value", [("SMS_PROVIDER", "twilio"),
                                         ("SMS_TEMPLATES", "order_paid"),
                                         ("WECHAT_MESSAGE_PROVIDER", "pigeon"),
                                         ("WECHAT_MINIAPP_STATE", "beta"),
                                         ("NOTIFY_HTTP_TIMEOUT", "soon"),
                                         ("SMS_CODE_THROTTLE_RATE", "lots")])
def test_a_bad_value_stops_the_start_and_names_it(name, value):
    result = load_settings(DEBUG="1", **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and name in result.stderr


def test_check_deploy_names_a_half_configured_provider(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {k: v for k, v in os.environ.items()
           if k not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}}
    env.update(PRODUCTION, DJANGO_SETTINGS_MODULE="shanhuo.settings",
               SMS_PROVIDER="aliyun", SMS_KEY_ID="LTAI5t",
               WECHAT_MINIAPP_APPID="wx1", SQLITE_PATH=str(tmp_path / "check.sqlite3"))
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy"], env=env,
                            cwd=settings.BASE_DIR, capture_output=True, text=True)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "SMS_KEY_SECRET, SMS_SIGN_NAME not set" in output
    assert "WECHAT_MINIAPP_SECRET not set" in output and "notify.E002" in output
