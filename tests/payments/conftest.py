"""Fixtures of the payment tests; each provider's fake platform lives in its own module."""

from tests.payments.alipay_fixtures import alipay_keys, alipay_platform  # noqa: F401
