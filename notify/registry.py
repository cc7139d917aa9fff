"""The provider of each channel, as the settings name it (notify.providers holds one module per
platform). Read at each call, so a test or a changed setting takes effect at once. None: the
channel is not configured here."""

from django.conf import settings

from notify.providers.base import Provider


def sms_provider() -> Provider | None:
    name = settings.SMS_PROVIDER
    if name == "aliyun":
        from notify.providers.aliyun import AliyunSms

        return AliyunSms()
    if name == "tencent":
        from notify.providers.tencent import TencentSms

        return TencentSms()
    if name == "console":
        from notify.providers.console import Console

        return Console("sms")
    return None


def wechat_provider() -> Provider | None:
    name = settings.WECHAT_MESSAGE_PROVIDER
    if name == "miniapp":
        from notify.providers.wechat import WeChatMiniApp

        return WeChatMiniApp()
    if name == "console":
        from notify.providers.console import Console

        return Console("wechat")
    return None


def email_provider() -> Provider | None:
    from notify.providers.email import DjangoEmail

    return DjangoEmail()


def for_channel(channel: str) -> Provider | None:
    return {"sms": sms_provider, "wechat": wechat_provider,
            "email": email_provider}[channel]()
