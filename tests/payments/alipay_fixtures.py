"""The `alipay_platform` fixture: a fake Alipay gateway running on 127.0.0.1, its keys written
to the test's tmp_path, and the ALIPAY_* settings pointing at it with `alipay` enabled."""

import pytest

from tests.payments.fake_alipay import FakeAlipay, new_key


@pytest.fixture(scope="session")
def alipay_keys():
    """(app key, Alipay key): 2048-bit RSA made once per run, never written to the repository."""
    return new_key(), new_key()


@pytest.fixture
def alipay_platform(tmp_path, settings, alipay_keys):
    fake = FakeAlipay(tmp_path, alipay_keys).start()
    settings.ALIPAY_GATEWAY = fake.gateway
    settings.ALIPAY_APP_ID = fake.app_id
    settings.ALIPAY_PRIVATE_KEY = str(fake.private_key_path)
    settings.ALIPAY_PUBLIC_KEY = str(fake.public_key_path)
    settings.PAYMENT_PROVIDERS = [p for p in settings.PAYMENT_PROVIDERS if p != "alipay"] + [
        "alipay"
    ]
    settings.PAYMENT_HTTP_TIMEOUT = 2.0
    yield fake
    fake.stop()
