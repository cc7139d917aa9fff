"""Settings, all read from the environment (every one in docs/configuration.md).

Every variable is parsed and checked here, once, when the process starts (`shanhuo.env`):
a bad value stops the start with an error naming it. Code reads typed values from
`django.conf.settings` and never parses them again. Test-only settings are in `test_settings.py`.

Embedded default: SQLite in the project folder and Celery in eager mode, so `make run` needs
nothing else. With DATABASE_URL / REDIS_URL set the same code runs on PostgreSQL and Redis.
"""

import re
from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from shanhuo.env import (
    env_bool,
    env_float,
    env_int,
    env_list,
    env_money,
    env_rate,
    env_str,
    env_throttle_rate,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (50+ random characters) in production, "
            "or DEBUG=1 for development."
        )
    SECRET_KEY = DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured("SECRET_KEY must be a real secret of at least 32 characters.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "ninja",  # its docs page then uses its own static Swagger UI, not a CDN
    "marketplace",
    "accounts",
    "freight",
    "producers",
    "orders",
    "promotion",
    "ledger",
    "books",
    "benefit",
    "demo",  # `manage.py demo` only: development data, no models
    "reports",
    "certificates",
    "outbox",
    "notify",
    "payments",
    "claims",
    "checkout",
    "storefront",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # gzip, and brotli for JSON: above ConditionalGetMiddleware, so the ETag is over the plain
    # body and a compressed answer carries it weak (a 304 with and without Accept-Encoding)
    "marketplace.compression.CompressionMiddleware",
    "marketplace.middleware.ApiErrorEnvelopeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on every GET and 304 on a matching If-None-Match: phones on rural networks pay per byte.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.middleware.PrivateWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shanhuo.urls"
WSGI_APPLICATION = "shanhuo.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    try:
        # Connections are kept a minute and checked before reuse, so a restarted PostgreSQL
        # costs no request a stale-connection error.
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60,
                                                      conn_health_checks=True)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH") or str(BASE_DIR / "db.sqlite3"),
            # Writers queue up (IMMEDIATE + busy timeout) instead of failing with "locked".
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Redis, cache and Celery ------------------------------------------------------------------
# Every Redis client (cache and throttling, broker, click counters, health) gives up after these
# many seconds, so a stalled Redis slows a request by at most that much and never hangs it.
REDIS_TIMEOUT = env_float("REDIS_TIMEOUT", 1.0, minimum=0.05)
# Seconds between the broker connections' health checks (see CELERY_BROKER_TRANSPORT_OPTIONS).
REDIS_HEALTH_CHECK_INTERVAL = env_int("REDIS_HEALTH_CHECK_INTERVAL", 5, minimum=1)
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "shanhuo"),
            "OPTIONS": {
                "socket_timeout": REDIS_TIMEOUT,
                "socket_connect_timeout": REDIS_TIMEOUT,
            },
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport, with a failed ack that frees the worker's slot (shanhuo.broker)
    CELERY_BROKER_TRANSPORT = "shanhuo.broker:Transport"
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
# Eager (embedded) tasks run after commit: their failure is recorded (outbox intent `failed`),
# never raised into the request that committed. `.get()` on a result still raises it.
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# At least once: a task is acknowledged when it has finished, and a worker process that dies
# mid-task (killed, out of memory) puts its task back on the queue instead of dropping it.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task taken by a worker that vanished whole is given to another after this many seconds.
# Longer than any task runs (and than the longest retry back-off), minutes rather than an hour.
CELERY_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "socket_timeout": REDIS_TIMEOUT,
    "socket_connect_timeout": REDIS_TIMEOUT,
    # publishing does not wait for the broker to come back (kombu would sleep and retry for
    # seconds): a task not taken at once is handed over later by the outbox relay
    "max_retries": 0,
    # A connection idle this long is PINGed before use, and a worker's BRPOP left without a
    # reply this long past its timeout is dropped and made again: a Redis that stalled or went
    # away without closing the socket is noticed within seconds, not minutes.
    "health_check_interval": REDIS_HEALTH_CHECK_INTERVAL,
    # the kernel probes idle broker sockets, so a peer gone without a word is found out too
    "socket_keepalive": True,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE") or "shanhuo"
CELERY_TIMEZONE = "Asia/Shanghai"
# Periodic tasks (exactly one `celery beat` runs them; see docs/operations.md). Without Redis
# (eager Celery, `make run`) the server runs them itself in one thread per process.
EMBEDDED_BEAT = env_bool("EMBEDDED_BEAT", CELERY_TASK_ALWAYS_EAGER)
CELERY_BEAT_SCHEDULE = {
    "outbox-relay": {"task": "outbox.tasks.relay", "schedule": 5.0},
    "sweep-stuck-work": {"task": "outbox.tasks.sweep_stuck_work", "schedule": 120.0},
    "purge-done-intents": {"task": "outbox.tasks.purge_done", "schedule": 3600.0},
    "expire-unpaid-orders": {"task": "checkout.tasks.expire_unpaid_orders", "schedule": 60.0},
    "reconcile-payments": {"task": "checkout.tasks.reconcile_payments", "schedule": 60.0},
    "rollup-clicks": {"task": "promotion.tasks.rollup_clicks", "schedule": 60.0},
    "rollup-scans": {"task": "producers.tasks.rollup_scans", "schedule": 60.0},
    "purge-expired-reports": {"task": "reports.tasks.purge_expired_reports", "schedule": 3600.0},
    "requeue-reports": {"task": "reports.tasks.requeue_reports", "schedule": 300.0},
    # a delivered parcel's money: the farm's, its pledges' and the promoter's commission
    "release-delivered-money": {"task": "checkout.tasks.release_delivered_money",
                                "schedule": 600.0},
    # Mondays 00:05 Asia/Shanghai (CELERY_TIMEZONE); it also catches up on missed weeks.
    "close-weekly-statements": {
        "task": "books.tasks.close_weekly_statements",
        "schedule": crontab(minute=5, hour=0, day_of_week=1),
    },
    "release-quiet-deliveries": {"task": "notify.tasks.release_waiting", "schedule": 60.0},
    # claims: a farm's silence is acceptance, reminders before it, lapsed escalation windows
    "claims-deadlines": {"task": "claims.tasks.claim_deadlines", "schedule": 300.0},
    # sellers due for their six-monthly re-check, certificates past their expiry: `expired`
    "expire-verifications-and-certificates": {"task": "certificates.tasks.expire_due",
                                              "schedule": 3600.0},
    "purge-idempotency-keys": {
        "task": "marketplace.tasks.purge_idempotency_keys",
        "schedule": 3600.0,
    },
}

# --- Outbox: side effects recorded with the change, handed to Celery after commit -------------
# A new intent is left to the fast path at commit for this many seconds before the relay may
# hand it over; a handed-over one not done after OUTBOX_REDELIVER_AFTER seconds is handed over
# again, at most OUTBOX_MAX_DELIVERIES times, then `failed`.
OUTBOX_GRACE = env_int("OUTBOX_GRACE", 30)
OUTBOX_REDELIVER_AFTER = env_int("OUTBOX_REDELIVER_AFTER", 900)
# Each kind of work is handed over again after its own expected time, doubling with each
# hand-over up to OUTBOX_REDELIVER_AFTER: a message is due in seconds, a photo in a few minutes;
# a task not named here waits OUTBOX_REDELIVER_AFTER (a report, a refund).
OUTBOX_REDELIVER_AFTER_BY_TASK = {
    "notify.tasks.plan_deliveries": 60,
    "notify.tasks.deliver": 60,
    "orders.tasks.notify_order_paid": 60,
    "orders.tasks.notify_shipment_shipped": 60,
    "orders.tasks.notify_shipment_delivered": 60,
    "orders.tasks.notify_order_cancelled": 60,
    "orders.tasks.notify_harvest": 60,
    "benefit.tasks.notify_disbursed": 60,
    "promotion.tasks.video_fetch_details": 120,
    "producers.tasks.make_listing_image_thumbnails": 300,
}
OUTBOX_MAX_DELIVERIES = env_int("OUTBOX_MAX_DELIVERIES", 5, minimum=1)
OUTBOX_KEEP_DONE_DAYS = env_int("OUTBOX_KEEP_DONE_DAYS", 7)
OUTBOX_RELAY_BACKOFF = 10  # seconds before a relay tries again a row the broker refused
# Each serving process (a gunicorn worker) also runs the relay every OUTBOX_RELAY_INTERVAL
# seconds in a thread of its own (shanhuo/scheduler.py), so hand-overs go on while beat is down.
# On by default with a broker; the embedded beat runs the relay itself without one.
OUTBOX_RELAY_IN_SERVER = env_bool("OUTBOX_RELAY_IN_SERVER", not CELERY_TASK_ALWAYS_EAGER)
OUTBOX_RELAY_INTERVAL = 5
# Work still in its in-between state this many seconds on is re-enqueued by the sweeper.
OUTBOX_STUCK_AFTER = env_int("OUTBOX_STUCK_AFTER", 300)
# task -> fn(*, older_than) of the ids stuck waiting for it: a selector, or a service that first
# takes work that failed for a transient cause back to its in-between state (photos)
OUTBOX_STUCK_WORK = {
    "producers.tasks.make_listing_image_thumbnails": "producers.services.listing_images_waiting",
    "promotion.tasks.video_fetch_details": "promotion.selectors.videos_stuck",
}

# --- Passwords --------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- i18n, static, media ----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")
# Photos and thumbnails (public: `default`) and report files (private, owner-only, expiring
# links served by the app: `reports`), on disk or in S3-compatible object storage
# (MEDIA_STORAGE=s3, S3_*; marketplace/storage.py). Code reaches files through the storage API
# only, never a path.
from marketplace.storage import storages as _storages  # noqa: E402

REPORTS_ROOT = Path(env_str("REPORTS_ROOT") or BASE_DIR / "var" / "reports")
MEDIA_STORAGE = env_str("MEDIA_STORAGE") or "filesystem"
STORAGES = _storages(MEDIA_STORAGE, REPORTS_ROOT, {
    "S3_BUCKET": env_str("S3_BUCKET"),
    "S3_ENDPOINT_URL": env_str("S3_ENDPOINT_URL"),
    "S3_REGION": env_str("S3_REGION"),
    "S3_ACCESS_KEY_ID": env_str("S3_ACCESS_KEY_ID"),
    "S3_SECRET_ACCESS_KEY": env_str("S3_SECRET_ACCESS_KEY"),
    "S3_ADDRESSING_STYLE": env_str("S3_ADDRESSING_STYLE") or "path",
    "S3_CUSTOM_DOMAIN": env_str("S3_CUSTOM_DOMAIN"),
    "S3_URL_EXPIRE_SECONDS": str(env_int("S3_URL_EXPIRE_SECONDS", 3600, minimum=1)),
})

# --- The business settings API.md names -------------------------------------------------------
TOKEN_TTL_DAYS = env_int("TOKEN_TTL_DAYS", 30, minimum=1)
AUTH_THROTTLE_RATE = env_throttle_rate("AUTH_THROTTLE_RATE", "20/min")
# Every sign-in path (accounts.lockout: the API's token, the admin, phone codes): after this
# many failures in a row an (account, address) pair, or an address, is locked for
# ADMIN_LOGIN_LOCKOUT_SECONDS, doubling with each further failure. Past SIGN_IN_ACCOUNT_CEILING
# failures from anywhere in a day an account is slowed (one try per SIGN_IN_ACCOUNT_SLOW_SECONDS
# from addresses without a recent success on it), never locked.
ADMIN_LOGIN_MAX_FAILURES = env_int("ADMIN_LOGIN_MAX_FAILURES", 5, minimum=1)
ADMIN_LOGIN_LOCKOUT_SECONDS = env_int("ADMIN_LOGIN_LOCKOUT_SECONDS", 60, minimum=1)
SIGN_IN_ACCOUNT_CEILING = env_int("SIGN_IN_ACCOUNT_CEILING", 20, minimum=1)
SIGN_IN_ACCOUNT_SLOW_SECONDS = env_int("SIGN_IN_ACCOUNT_SLOW_SECONDS", 30, minimum=1)
# Staff accounts sign in to the admin; the API gives them no token unless this is on.
STAFF_API_TOKENS = env_bool("STAFF_API_TOKENS", False)
ORDER_PAYMENT_TIMEOUT = env_int("ORDER_PAYMENT_TIMEOUT", 30 * 60, minimum=1)  # seconds
RETURN_WINDOW_DAYS = env_int("RETURN_WINDOW_DAYS", 7)
# After-sales claims (claims/): a perishable parcel may be claimed for CLAIM_WINDOW_HOURS after
# delivery, anything else for RETURN_WINDOW_DAYS; a parcel never received from its ships_by (or
# its shipping, or its payment) plus CLAIM_NOT_RECEIVED_DAYS. The farm answers within
# CLAIM_RESPONSE_HOURS (silence is acceptance) and is reminded CLAIM_REMIND_HOURS before; the
# buyer may escalate a rejection or a proposal within CLAIM_ESCALATE_DAYS.
CLAIM_WINDOW_HOURS = env_int("CLAIM_WINDOW_HOURS", 48, minimum=1)
CLAIM_NOT_RECEIVED_DAYS = env_int("CLAIM_NOT_RECEIVED_DAYS", 7, minimum=1)
CLAIM_RESPONSE_HOURS = env_int("CLAIM_RESPONSE_HOURS", 48, minimum=1)
CLAIM_REMIND_HOURS = env_int("CLAIM_REMIND_HOURS", 12)
CLAIM_ESCALATE_DAYS = env_int("CLAIM_ESCALATE_DAYS", 7, minimum=1)
# Category slugs (with their sub-categories) whose goods spoil: the short window applies.
CLAIM_PERISHABLE_CATEGORIES = env_list(
    "CLAIM_PERISHABLE_CATEGORIES", "fruit,vegetables,mushrooms,meat-and-eggs,aquatic")
# Abuse: a buyer with this many claims in 30 days, or claims on more than this share of their
# paid orders (once they have CLAIM_RATE_MIN_ORDERS of them), goes to staff.
CLAIM_ABUSE_COUNT_30D = env_int("CLAIM_ABUSE_COUNT_30D", 3, minimum=1)
CLAIM_ABUSE_ORDER_SHARE = env_rate("CLAIM_ABUSE_ORDER_SHARE", "0.30", maximum=Decimal("1"),
                                   places=2)
CLAIM_RATE_MIN_ORDERS = env_int("CLAIM_RATE_MIN_ORDERS", 4, minimum=1)
# Evidence: photos (LISTING_IMAGE_MAX_BYTES/PIXELS) and short videos up to this size; at most
# CLAIM_EVIDENCE_MAX pieces per party on a claim (and of a parcel's packing).
CLAIM_VIDEO_MAX_BYTES = env_int("CLAIM_VIDEO_MAX_BYTES", 30 * 1024 * 1024, minimum=1)
CLAIM_EVIDENCE_MAX = env_int("CLAIM_EVIDENCE_MAX", 9, minimum=1)
# the listing's page for people (storefront.views.listing_page), not raw JSON
PROMO_LANDING_URL = env_str("PROMO_LANDING_URL") or "/l/{listing_id}"
if "{listing_id}" not in PROMO_LANDING_URL:
    raise ImproperlyConfigured("PROMO_LANDING_URL must contain {listing_id}.")
# the "open in the app" link of /l/{id}: the app's own URL scheme
APP_LINK_URL = env_str("APP_LINK_URL") or "shanhuo://listings/{listing_id}"
if "{listing_id}" not in APP_LINK_URL:
    raise ImproperlyConfigured("APP_LINK_URL must contain {listing_id}.")
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")
IDEMPOTENCY_KEY_TTL_HOURS = env_int("IDEMPOTENCY_KEY_TTL_HOURS", 48)
# Reports (`POST /reports`): how long a finished file and its link last, and how many reports
# one account may have waiting or being built at once.
REPORT_TTL_HOURS = env_int("REPORT_TTL_HOURS", 24, minimum=1)
REPORT_MAX_ACTIVE = env_int("REPORT_MAX_ACTIVE", 3, minimum=1)

LOG_LEVEL = (env_str("LOG_LEVEL") or "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL; "
                               f"it is {LOG_LEVEL!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # httpx logs each request's URL at INFO: WeChat's carry the app secret and access token
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND") or "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "noreply@shanhuo.invalid"

if not DEBUG:
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# --- HTTPS ------------------------------------------------------------------------------------
# The site is served over HTTPS when its public address (SITE_URL) says so. Then, with DEBUG off,
# every protection below is on unless the environment turns it off: HTTP is redirected to HTTPS
# (except the health check a load balancer makes over plain HTTP), browsers are told to use HTTPS
# only (HSTS) and cookies travel only over HTTPS.
SERVED_OVER_HTTPS = SITE_URL.startswith("https://")
_HTTPS_DEFAULT = SERVED_OVER_HTTPS and not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _HTTPS_DEFAULT)
SECURE_REDIRECT_EXEMPT = [r"^api/v1/health$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if _HTTPS_DEFAULT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", _HTTPS_DEFAULT)
# Preloading is a promise to browser vendors that is slow to take back: only when asked for.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _HTTPS_DEFAULT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _HTTPS_DEFAULT)
# Behind a proxy that ends TLS, Django sees plain HTTP; the header the proxy sets to "https"
# (e.g. X-Forwarded-Proto) tells it the request was secure. Only set it when the proxy
# overwrites that header on every request, or a client could claim HTTPS itself.
_PROXY_SSL_HEADER = env_str("SECURE_PROXY_SSL_HEADER")
if _PROXY_SSL_HEADER:
    if not re.fullmatch(r"[A-Za-z0-9-]+", _PROXY_SSL_HEADER):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must be a header name such as X-Forwarded-Proto; "
            f"it is {_PROXY_SSL_HEADER!r}.")
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_"), "https")

# Client addresses (throttling, click de-duplication) come from REMOTE_ADDR unless the app runs
# behind this many trusted proxies, whose X-Forwarded-For is then read.
NINJA_NUM_PROXIES = env_int("NUM_PROXIES", 0)
# `make run` serves uploaded photos itself; in production a web server or object store does.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG) and MEDIA_STORAGE == "filesystem"
# Anonymous catalog pages are kept this many seconds in the cache (0: off); a listing write
# invalidates them at once (marketplace/microcache.py).
CATALOG_CACHE_SECONDS = env_int("CATALOG_CACHE_SECONDS", 3)
# `make bench` sets it: mounts the hand-written ceilings (bench/ceilings.py) under /_ceiling/.
BENCH_CEILINGS = env_bool("BENCH_CEILINGS", False)

# --- Producers: listing photos and trace labels -----------------------------------------------
# An upload over this many bytes, or an image over this many pixels, is refused with a 413.
LISTING_IMAGE_MAX_BYTES = env_int("LISTING_IMAGE_MAX_BYTES", 10 * 1024 * 1024)
# 24 megapixels (6000 x 4000): what a phone saves by default (12 MP; 24 MP on some), with room.
# Decoding one costs about 72 MB; 40 MP cost 120 MB and seconds of CPU per upload.
LISTING_IMAGE_MAX_PIXELS = env_int("LISTING_IMAGE_MAX_PIXELS", 24_000_000)
# Photo uploads per account (each is decoded and re-encoded): enough for a farm's whole catalog.
IMAGE_UPLOAD_THROTTLE_RATE = env_throttle_rate("IMAGE_UPLOAD_THROTTLE_RATE", "120/hour")
# A trace code looked at more often than this is probably printed on copied labels.
TRACE_SCAN_WARNING_THRESHOLD = env_int("TRACE_SCAN_WARNING_THRESHOLD", 1000)
# Distinct visitors (clicks, trace looks) one address (IPv6: one /64) counts as at most a day:
# the user agent only picks one of these slots (marketplace.visitors).
VISITOR_AGENTS_PER_ADDRESS = env_int("VISITOR_AGENTS_PER_ADDRESS", 4, minimum=1)

# --- Orders and payments ----------------------------------------------------------------------
# Shipping, per shipment (one per farm): a flat fee, waived when that farm's part of the order
# reaches the threshold.
# Decimals, checked here: a bad amount stops the start, not the first order.
SHIPPING_FEE_FLAT = env_money("SHIPPING_FEE_FLAT", "10.00")
SHIPPING_FREE_THRESHOLD = env_money("SHIPPING_FREE_THRESHOLD", "99.00")
ORDER_MAX_QUANTITY = env_int("ORDER_MAX_QUANTITY", 999, minimum=1)  # per line
# Unpaid orders take stock: one account holds at most this many open unpaid orders, with at
# most this many units in them (409 past either).
ORDER_MAX_UNPAID = env_int("ORDER_MAX_UNPAID", 3, minimum=1)
ORDER_MAX_UNPAID_UNITS = env_int("ORDER_MAX_UNPAID_UNITS", 200, minimum=1)
# Of one listing, one account's unpaid orders hold at most the larger of this many units and
# ORDER_UNPAID_LISTING_PERCENT of its stock (what is on offer plus what they hold): nobody
# takes a listing off sale for the payment window with orders they do not pay.
ORDER_UNPAID_LISTING_UNITS = env_int("ORDER_UNPAID_LISTING_UNITS", 5, minimum=1)
ORDER_UNPAID_LISTING_PERCENT = env_int("ORDER_UNPAID_LISTING_PERCENT", 20, minimum=1)
# An account that has never paid for an order holds its stock this long, not
# ORDER_PAYMENT_TIMEOUT (seconds).
ORDER_PAYMENT_TIMEOUT_NEW_BUYER = env_int("ORDER_PAYMENT_TIMEOUT_NEW_BUYER", 10 * 60, minimum=1)
# --- Payments ---------------------------------------------------------------------------------
# Providers a buyer may choose (`POST /orders/{id}/pay {"method": ...}`): wechat, alipay,
# sandbox. The sandbox settles at once and takes no money: it is the default only with DEBUG on,
# and listing it with DEBUG off stops the start unless PAYMENT_SANDBOX_IN_PRODUCTION=1.
PAYMENT_PROVIDERS = env_list("PAYMENT_PROVIDERS", "sandbox" if DEBUG else "")
PAYMENT_SANDBOX_IN_PRODUCTION = env_bool("PAYMENT_SANDBOX_IN_PRODUCTION", False)
_unknown = sorted(set(PAYMENT_PROVIDERS) - {"wechat", "alipay", "sandbox"})
if _unknown:
    raise ImproperlyConfigured(
        f"PAYMENT_PROVIDERS names unknown providers {_unknown}: use wechat, alipay, sandbox."
    )
if "sandbox" in PAYMENT_PROVIDERS and not DEBUG and not PAYMENT_SANDBOX_IN_PRODUCTION:
    raise ImproperlyConfigured(
        "PAYMENT_PROVIDERS lists sandbox with DEBUG off: the sandbox marks orders paid without "
        "taking any money. Remove it, or set PAYMENT_SANDBOX_IN_PRODUCTION=1 if you mean it."
    )
# HMAC-SHA256 secret the sandbox provider signs its webhooks with; no default outside DEBUG.
PAYMENT_SANDBOX_WEBHOOK_SECRET = env_str(
    "PAYMENT_SANDBOX_WEBHOOK_SECRET", "dev-sandbox-webhook-secret" if DEBUG else ""
)
# A signed webhook older (or further in the future) than this many seconds is refused.
PAYMENT_WEBHOOK_TOLERANCE = env_int("PAYMENT_WEBHOOK_TOLERANCE", 300)
# Connect and read timeout of every call to a payment platform, in seconds.
PAYMENT_HTTP_TIMEOUT = env_float("PAYMENT_HTTP_TIMEOUT", 10.0, minimum=0.1)
# A payment no notification settled is asked for (queried) after this many seconds.
PAYMENT_QUERY_AFTER = env_int("PAYMENT_QUERY_AFTER", 5 * 60, minimum=1)
# Where a mobile web page returns after paying (Alipay WAP return_url), with {order_id}; empty:
# the platform shows its own result page and the app polls the order.
PAYMENT_RETURN_URL = env_str("PAYMENT_RETURN_URL")
try:
    PAYMENT_RETURN_URL.format(order_id=1)
except (KeyError, IndexError, ValueError):
    raise ImproperlyConfigured("PAYMENT_RETURN_URL may only hold {order_id}.") from None
# Public base of the webhook URLs the platforms post to (https in production).
PAYMENT_NOTIFY_BASE_URL = env_str("PAYMENT_NOTIFY_BASE_URL", SITE_URL).rstrip("/")
# WeChat Pay API v3 (merchant key and platform public key: PEM file paths).
WECHATPAY_API_BASE = env_str("WECHATPAY_API_BASE", "https://api.mch.weixin.qq.com").rstrip("/")
WECHATPAY_MCHID = env_str("WECHATPAY_MCHID")
WECHATPAY_APPID = env_str("WECHATPAY_APPID")
WECHATPAY_APIV3_KEY = env_str("WECHATPAY_APIV3_KEY")
WECHATPAY_PRIVATE_KEY = env_str("WECHATPAY_PRIVATE_KEY")
WECHATPAY_CERT_SERIAL = env_str("WECHATPAY_CERT_SERIAL")
WECHATPAY_PLATFORM_PUBLIC_KEY = env_str("WECHATPAY_PLATFORM_PUBLIC_KEY")
WECHATPAY_PLATFORM_KEY_ID = env_str("WECHATPAY_PLATFORM_KEY_ID")
# Older merchants: the platform certificates (PEM file paths, comma-separated) instead of, or
# while WeChat Pay migrates the merchant, beside the public key; each is picked by its serial.
WECHATPAY_PLATFORM_CERTIFICATES = env_list("WECHATPAY_PLATFORM_CERTIFICATES")
# Alipay open platform, RSA2 (app private key and Alipay public key: PEM file paths).
ALIPAY_GATEWAY = env_str("ALIPAY_GATEWAY", "https://openapi.alipay.com/gateway.do")
ALIPAY_APP_ID = env_str("ALIPAY_APP_ID")
ALIPAY_PRIVATE_KEY = env_str("ALIPAY_PRIVATE_KEY")
ALIPAY_PUBLIC_KEY = env_str("ALIPAY_PUBLIC_KEY")


# --- Hearing in time: phone sign-in, WeChat subscribe messages, SMS (notify/) -------------------
# The SMS gateway: aliyun (dysmsapi, HMAC-SHA1 RPC signature) or tencent (Tencent Cloud SMS,
# TC3-HMAC-SHA256), or console (DEBUG only: each message is one line of the server's log, a
# sign-in code included). Default: console with DEBUG on, none with DEBUG off (then
# /auth/sms-code answers 503 sms_unavailable). Naming console with DEBUG off stops the start.
SMS_PROVIDER = env_str("SMS_PROVIDER", "console" if DEBUG else "").lower()
if SMS_PROVIDER not in {"", "aliyun", "tencent", "console"}:
    raise ImproperlyConfigured(
        f"SMS_PROVIDER must be aliyun, tencent or console; it is {SMS_PROVIDER!r}.")
# The gateway's endpoint (a test's fake gateway); default: the provider's public endpoint.
SMS_API_BASE = (env_str("SMS_API_BASE") or {
    "aliyun": "https://dysmsapi.aliyuncs.com",
    "tencent": "https://sms.tencentcloudapi.com",
}.get(SMS_PROVIDER, "")).rstrip("/")
# Aliyun AccessKeyId / AccessKeySecret, or Tencent Cloud SecretId / SecretKey.
SMS_KEY_ID = env_str("SMS_KEY_ID")
SMS_KEY_SECRET = env_str("SMS_KEY_SECRET")
SMS_SIGN_NAME = env_str("SMS_SIGN_NAME")  # the approved signature (签名), e.g. 山货
SMS_SDK_APP_ID = env_str("SMS_SDK_APP_ID")  # Tencent Cloud only: the SmsSdkAppId
SMS_REGION = env_str("SMS_REGION") or ("ap-guangzhou" if SMS_PROVIDER == "tencent"
                                       else "cn-hangzhou")
# The approved template of each event (`event=TEMPLATE_ID`, comma-separated), e.g.
# `sign_in_code=SMS_1234,order_paid=SMS_5678`; the admin's templates (notify.Template) override.
SMS_TEMPLATES = {}
for _item in env_list("SMS_TEMPLATES"):
    _event, _, _template = _item.partition("=")
    if not _event.strip() or not _template.strip():
        raise ImproperlyConfigured(
            f"SMS_TEMPLATES must be event=TEMPLATE_ID pairs; {_item!r} is not one.")
    SMS_TEMPLATES[_event.strip()] = _template.strip()
# WeChat mini-program subscribe messages: miniapp (the real API) or console (DEBUG only).
# Default: miniapp when the app id is set, console with DEBUG on, else none.
WECHAT_MINIAPP_APPID = env_str("WECHAT_MINIAPP_APPID")
WECHAT_MINIAPP_SECRET = env_str("WECHAT_MINIAPP_SECRET")
WECHAT_API_BASE = env_str("WECHAT_API_BASE", "https://api.weixin.qq.com").rstrip("/")
WECHAT_MESSAGE_PROVIDER = env_str(
    "WECHAT_MESSAGE_PROVIDER",
    "miniapp" if WECHAT_MINIAPP_APPID else ("console" if DEBUG else "")).lower()
if WECHAT_MESSAGE_PROVIDER not in {"", "miniapp", "console"}:
    raise ImproperlyConfigured(f"WECHAT_MESSAGE_PROVIDER must be miniapp or console; it is "
                               f"{WECHAT_MESSAGE_PROVIDER!r}.")
# Which version of the mini-program a message opens: formal, trial or developer.
WECHAT_MINIAPP_STATE = env_str("WECHAT_MINIAPP_STATE") or "formal"
if WECHAT_MINIAPP_STATE not in {"formal", "trial", "developer"}:
    raise ImproperlyConfigured(f"WECHAT_MINIAPP_STATE must be formal, trial or developer; it "
                               f"is {WECHAT_MINIAPP_STATE!r}.")
if not DEBUG and "console" in (SMS_PROVIDER, WECHAT_MESSAGE_PROVIDER):
    raise ImproperlyConfigured(
        "SMS_PROVIDER or WECHAT_MESSAGE_PROVIDER is console with DEBUG off: the console writes "
        "every message, sign-in codes included, to the log and sends nothing. Configure a real "
        "provider, or leave it empty (phone sign-in then answers 503 sms_unavailable).")
# Connect and read timeout of every call to WeChat and the SMS gateway, in seconds.
NOTIFY_HTTP_TIMEOUT = env_float("NOTIFY_HTTP_TIMEOUT", 5.0, minimum=0.1)
# A delivery whose provider is down is tried again this many times, after about
# NOTIFY_RETRY_BASE seconds, doubling each time (with jitter), then `failed`.
NOTIFY_MAX_RETRIES = env_int("NOTIFY_MAX_RETRIES", 8)
NOTIFY_RETRY_BASE = env_int("NOTIFY_RETRY_BASE", 30, minimum=1)
# Sign-in codes: at most SMS_CODE_DAILY_LIMIT a day (Asia/Shanghai) and one a minute per
# phone, and /auth/sms-code at SMS_CODE_THROTTLE_RATE per client address.
SMS_CODE_DAILY_LIMIT = env_int("SMS_CODE_DAILY_LIMIT", 10, minimum=1)
SMS_CODE_THROTTLE_RATE = env_throttle_rate("SMS_CODE_THROTTLE_RATE", "20/hour")

# --- Books ------------------------------------------------------------------------------------
# The platform's share of each sale's goods (not of shipping), snapshotted on every order.
PLATFORM_FEE_RATE = env_rate("PLATFORM_FEE_RATE", "0.00", maximum=Decimal("0.50"))

# --- Public benefit ---------------------------------------------------------------------------
# The Ed25519 key that signs GET /benefit/ledger/head: a PEM file (PKCS#8, unencrypted). With
# DEBUG on and none set, one is generated on first use at var/benefit-signing-key.pem; with DEBUG
# off it must be set (a system check, benefit.E001, refuses to start without it).
BENEFIT_SIGNING_KEY = env_str("BENEFIT_SIGNING_KEY")
BENEFIT_DEV_SIGNING_KEY = BASE_DIR / "var" / "benefit-signing-key.pem"
# Key of the HMAC that names an order in the public ledger (`order_ref`); default: derived from
# SECRET_KEY. Changing it changes the refs of later entries only (earlier ones are hashed).
BENEFIT_ORDER_REF_KEY = env_str("BENEFIT_ORDER_REF_KEY") or f"benefit-order-ref:{SECRET_KEY}"

# --- Certificates and verified sellers -------------------------------------------------------
# Fernet keys (each the URL-safe base64 of 32 random bytes), comma-separated, that encrypt a
# seller's id number or credit code at rest: the first encrypts, every one decrypts (to rotate,
# put the new key first and keep the old one until `manage.py reencrypt_id_numbers` has run).
# With DEBUG on and none set, one is derived from SECRET_KEY; with DEBUG off it must be set (the
# system check certificates.E001 refuses to start without it).
ID_NUMBER_KEYS = env_list("ID_NUMBER_KEYS")
# A verified seller is checked again this many months on (E-commerce Law art. 27: at least every
# six months), when the periodic task marks the verification `expired` and tells the farm.
SELLER_RECHECK_MONTHS = env_int("SELLER_RECHECK_MONTHS", 6, minimum=1)
if SELLER_RECHECK_MONTHS > 6:
    raise ImproperlyConfigured("SELLER_RECHECK_MONTHS must be at most 6 (E-commerce Law art. 27).")
# A licence or certificate file (PDF, JPEG, PNG or WebP) over this many bytes is refused (413).
CERTIFICATE_FILE_MAX_BYTES = env_int("CERTIFICATE_FILE_MAX_BYTES", 10 * 1024 * 1024, minimum=1)
# A TrueType/OpenType font with Chinese glyphs for the 承诺达标合格证 labels; empty: the first
# found of the usual system fonts (WenQuanYi, Noto CJK: `make browser-deps` installs one).
LABEL_FONT = env_str("LABEL_FONT")

# --- Promotion: video metadata, short links, clicks -------------------------------------------
# Only these fixed oEmbed endpoints are ever called for titles and thumbnails (not from the env).
OEMBED_ENDPOINTS = {
    "youtube": "https://www.youtube.com/oembed?format=json&url={url}",
    "tiktok": "https://www.tiktok.com/oembed?url={url}",
}
OEMBED_TIMEOUT = env_float("OEMBED_TIMEOUT", 5.0, minimum=0.1)  # seconds, whole exchange
OEMBED_MAX_BYTES = env_int("OEMBED_MAX_BYTES", 64 * 1024)
SHORT_LINK_MAX_HOPS = env_int("SHORT_LINK_MAX_HOPS", 5)
# New links from a promoter's videos to listings in 24 hours (429 past it): a real creator links
# a few goods a day; a flood of made-up videos is refused.
PROMO_LINKS_PER_DAY = env_int("PROMO_LINKS_PER_DAY", 20, minimum=1)
# An order credits a promoter only when it follows a click of the link (the signed visit that
# /p/{code} hands over) less than this many days old.
PROMO_ATTRIBUTION_WINDOW_DAYS = env_int("PROMO_ATTRIBUTION_WINDOW_DAYS", 7, minimum=1)
# Click de-duplication: visitors are an HMAC of (address, user agent, day) under this secret
# (default: derived from SECRET_KEY); the raw address is never stored.
CLICK_DEDUP_SECRET = env_str("CLICK_DEDUP_SECRET")
# Clicks are counted in Redis (rolled up every minute) when set, else with one insert each.
CLICK_REDIS_URL = env_str("CLICK_REDIS_URL", REDIS_URL)
CLICK_REDIS_PREFIX = env_str("CLICK_REDIS_PREFIX") or "shanhuo:clicks"
# Looks at trace pages: counted like clicks (same Redis, same secret), under this key prefix.
SCAN_REDIS_PREFIX = env_str("SCAN_REDIS_PREFIX") or "shanhuo:scans"
