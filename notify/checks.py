"""`manage.py check --deploy`: a channel's provider named but not ready."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from notify import events
from notify import registry as providers


@register(Tags.security, deploy=True)
def notify_providers_ready(app_configs=None, **kwargs) -> list[Error]:
    errors = []
    for channel, provider in (("SMS", providers.sms_provider()),
                              ("WeChat", providers.wechat_provider())):
        for problem in (provider.problems() if provider else []):
            errors.append(Error(f"{channel} provider {provider.name}: {problem}",
                                hint="See docs/configuration.md, notifications.", id="notify.E001"))
    if settings.SMS_PROVIDER in ("aliyun", "tencent") and \
            events.SIGN_IN_CODE not in settings.SMS_TEMPLATES:
        errors.append(Error("SMS_TEMPLATES names no sign_in_code template: phone sign-in "
                            "would answer 503.", id="notify.E002"))
    return errors
