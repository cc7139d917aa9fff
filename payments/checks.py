"""`manage.py check --deploy`: a payment provider switched on but not ready, or half set up."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from payments import registry

# The settings that say someone began to configure a provider.
SETTINGS = {
    "wechat": ["WECHATPAY_MCHID", "WECHATPAY_APPID", "WECHATPAY_APIV3_KEY",
               "WECHATPAY_PRIVATE_KEY", "WECHATPAY_CERT_SERIAL",
               "WECHATPAY_PLATFORM_PUBLIC_KEY", "WECHATPAY_PLATFORM_KEY_ID",
               "WECHATPAY_PLATFORM_CERTIFICATES"],
    "alipay": ["ALIPAY_APP_ID", "ALIPAY_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"],
}


@register(Tags.security, deploy=True)
def payment_providers_ready(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for name, provider in registry.PROVIDERS.items():
        started = any(getattr(settings, key, "") for key in SETTINGS.get(name, []))
        if name not in settings.PAYMENT_PROVIDERS and not started:
            continue
        for problem in provider.problems():
            errors.append(Error(f"Payment provider {name}: {problem}",
                                hint="See docs/configuration.md, Payments.", id="payments.E001"))
    if not settings.DEBUG and settings.PAYMENT_NOTIFY_BASE_URL.startswith("http://") \
            and set(settings.PAYMENT_PROVIDERS) - {"sandbox"}:
        errors.append(Error("PAYMENT_NOTIFY_BASE_URL must be https: the platforms only post "
                            "notifications to https URLs.", id="payments.E100"))
    return errors
