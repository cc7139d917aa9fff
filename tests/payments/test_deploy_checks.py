"""`manage.py check --deploy` tells an operator which payment provider is not ready, before a
buyer finds out."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from payments.checks import payment_providers_ready

pytestmark = pytest.mark.django_db


def problems() -> list[str]:
    return [error.msg for error in payment_providers_ready()]


@pytest.fixture(autouse=True)
def nothing_configured(settings):
    settings.PAYMENT_PROVIDERS = []
    settings.PAYMENT_NOTIFY_BASE_URL = "https://shanhuo.example.cn"
    for name in ["WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_APIV3_KEY",
                 "WECHATPAY_PRIVATE_KEY", "WECHATPAY_CERT_SERIAL",
                 "WECHATPAY_PLATFORM_PUBLIC_KEY", "WECHATPAY_PLATFORM_KEY_ID",
                 "ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"]:
        setattr(settings, name, "")
    settings.WECHATPAY_PLATFORM_CERTIFICATES = []


def test_nothing_configured_and_nothing_enabled_is_fine():
    assert problems() == []


def test_a_provider_enabled_without_its_settings_is_reported(settings):
    settings.PAYMENT_PROVIDERS = ["wechat"]
    assert len(problems()) == 1 and "wechat" in problems()[0]


def test_a_half_configured_provider_is_reported_even_when_not_enabled(settings):
    settings.ALIPAY_APP_ID = "2021000000000000"
    found = "\n".join(problems())
    assert "alipay" in found and "ALIPAY_PRIVATE_KEY" in found and "ALIPAY_PUBLIC_KEY" in found


def test_a_missing_key_file_an_unreadable_pem_and_a_short_apiv3_key(wechat_platform, settings,
                                                                    tmp_path):
    assert problems() == []  # the fake platform's complete configuration
    settings.WECHATPAY_PRIVATE_KEY = str(tmp_path / "nowhere.pem")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n")
    settings.WECHATPAY_PLATFORM_PUBLIC_KEY = str(garbage)
    settings.WECHATPAY_APIV3_KEY = "x" * 31
    found = "\n".join(problems())
    assert "WECHATPAY_PRIVATE_KEY" in found and "nowhere.pem" in found
    assert "WECHATPAY_PLATFORM_PUBLIC_KEY" in found and "garbage.pem" in found
    assert "32" in found


def test_a_complete_alipay_configuration_passes(alipay_platform):
    assert problems() == []


def test_check_deploy_fails_on_them(settings):
    settings.PAYMENT_PROVIDERS = ["alipay"]
    with pytest.raises(SystemCheckError) as error:
        call_command("check", "--deploy", "--fail-level", "ERROR", tags=["security"])
    assert "payments.E001" in str(error.value)


def test_notifications_need_https_in_production(alipay_platform, settings):
    settings.DEBUG = False
    settings.PAYMENT_NOTIFY_BASE_URL = "http://shanhuo.example.cn"
    assert any("https" in message for message in problems())
