"""Settings for the test suite: the real settings, with a test secret and fast hashing.

DATABASE_URL / REDIS_URL are honoured exactly as in production, so `make test` with them set
runs the whole suite on PostgreSQL and Redis.
"""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-the-checks-0123")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="shanhuo-media-"))
os.environ.setdefault("REPORTS_ROOT", tempfile.mkdtemp(prefix="shanhuo-reports-"))
if "BENEFIT_SIGNING_KEY" not in os.environ:  # the ledger head's key: a fresh one per run
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    _key = os.path.join(tempfile.mkdtemp(prefix="shanhuo-benefit-"), "signing-key.pem")
    with open(_key, "wb") as _handle:
        _handle.write(Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    os.environ["BENEFIT_SIGNING_KEY"] = _key

if "ID_NUMBER_KEYS" not in os.environ:  # sellers' id numbers at rest: a fresh key per run
    from cryptography.fernet import Fernet

    os.environ["ID_NUMBER_KEYS"] = Fernet.generate_key().decode()

from shanhuo.settings import *  # noqa: E402,F403


def apps_in_order(apps: list[str], order: str) -> list[str]:
    """INSTALLED_APPS with the project's own apps (those after ninja) `reversed`, or shuffled
    by `seed:N`; Django's and the libraries' stay first. No behaviour may hang on their order
    (tests/checkout/test_app_order.py runs the order-flow tests so)."""
    if not order:
        return apps
    first = apps.index("ninja") + 1
    head, ours = apps[:first], apps[first:]
    if order == "reversed":
        return head + ours[::-1]
    import random

    random.Random(int(order.removeprefix("seed:"))).shuffle(ours)
    return head + ours


INSTALLED_APPS = apps_in_order(INSTALLED_APPS, os.environ.get("SHANHUO_TEST_APPS_ORDER", ""))  # noqa: F405

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests run Celery eagerly even when Redis is present; the worker test starts a real worker.
CELERY_TASK_ALWAYS_EAGER = True
# The suite runs with DEBUG off (as production) and pays with the sandbox unless a test
# configures a real provider against its fake platform.
PAYMENT_PROVIDERS = ["sandbox"]
PAYMENT_SANDBOX_WEBHOOK_SECRET = "test-sandbox-webhook-secret"
AUTH_THROTTLE_RATE = "1000/min"
SMS_CODE_THROTTLE_RATE = "1000/min"  # a test that means it sets its own
# Sign-in codes are written to the log unless a test points SMS at a fake gateway (or at
# nothing, for the 503): the settings refuse the console with DEBUG off, not these tests.
SMS_PROVIDER = "console"
IMAGE_UPLOAD_THROTTLE_RATE = "100000/hour"  # a test that means it sets its own
ORDER_MAX_UNPAID = 100000  # likewise: tests place many unpaid orders with one buyer
ORDER_MAX_UNPAID_UNITS = 100_000_000
ORDER_UNPAID_LISTING_PERCENT = 100  # and one buyer may hold a whole listing unpaid
ORDER_PAYMENT_TIMEOUT_NEW_BUYER = 30 * 60  # as long as anyone's, unless a test means it
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Off unless a test turns them on: let the video fetcher reach a fake server on loopback, and
# trust the tests' own certificate authority instead of the system's roots.
SAFE_FETCH_ALLOW_LOOPBACK_FOR_TESTS = False
SAFE_FETCH_CA_FILE = ""
# Each test sees its own data: the micro-cache is on only in the tests that prove it.
CATALOG_CACHE_SECONDS = 0
# Looks and clicks are counted in the database unless a test opts into Redis (with its own
# key prefix), so that no count leaks from one test or run into another.
CLICK_REDIS_URL = ""
# The tests run periodic tasks themselves.
EMBEDDED_BEAT = False
OUTBOX_RELAY_IN_SERVER = False
