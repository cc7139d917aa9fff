"""Payment providers by name, and the methods a buyer chooses between.

`PAYMENT_PROVIDERS` (settings) says which providers are enabled; a method is offered when its
provider is enabled and configured (its keys readable)."""

from django.conf import settings

from payments.providers.alipay import AlipayProvider
from payments.providers.base import Provider
from payments.providers.sandbox import SandboxProvider
from payments.providers.wechat import WeChatPayProvider

PROVIDERS: dict[str, Provider] = {
    p.name: p for p in [SandboxProvider(), WeChatPayProvider(), AlipayProvider()]
}
METHODS: dict[str, str] = {m: p.name for p in PROVIDERS.values() for m in p.methods}


def enabled(name: str) -> bool:
    return name in PROVIDERS and name in settings.PAYMENT_PROVIDERS


def provider_of_method(method: str) -> Provider | None:
    """The provider that takes `method` (None: no such method)."""
    name = METHODS.get(method)
    return PROVIDERS[name] if name else None
