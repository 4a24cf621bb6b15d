"""Configuration classes, every secret and URL read from the environment.

`storefront.create_app()` picks one by name: the argument, else `STOREFRONT_CONFIG`, else `FLASK_ENV`,
else "development". A `.env` file is read in development only.
"""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-not-secret"


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


def normalise_database_url(url: str) -> str:
    """Let people paste the `postgres://` URLs that hosting providers hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'storefront.db'}")
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None

    # Russian first: the interface's default language, the others a visitor may choose, and the shop's clock.
    STOREFRONT_LOCALE = os.environ.get("STOREFRONT_LOCALE", "ru")
    STOREFRONT_LOCALES = ("ru", "en")
    STOREFRONT_TIMEZONE = os.environ.get("STOREFRONT_TIMEZONE", "Europe/Moscow")

    # Jobs: with REDIS_URL they go to RQ (`flask worker`); without it a pool of JOB_THREADS threads runs them
    # in-process after the commit. An outbox row is relayed OUTBOX_RELAY_AFTER s after its commit if it never
    # reached Redis, and OUTBOX_LEASE s after a hand-over that did not end in a completed job.
    RQ_QUEUES = ["mail", "imports", "default"]
    JOB_TIMEOUT = env_int("JOB_TIMEOUT", 600)
    JOB_RETRIES = env_int("JOB_RETRIES", 3)
    OUTBOX_RELAY_AFTER = env_int("OUTBOX_RELAY_AFTER", 60)
    OUTBOX_LEASE = env_int("OUTBOX_LEASE", 120)
    JOB_THREADS = env_int("JOB_THREADS", 2)

    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "Storefront <shop@storefront.local>")
    MAIL_SUPPRESS_SEND = env_bool("MAIL_SUPPRESS_SEND")  # Flask-Mail would otherwise suppress under TESTING
    MAIL_FILE_DIR = os.environ.get("MAIL_FILE_DIR", str(INSTANCE_DIR / "mail"))
    ADMIN_EMAILS = env_list("ADMIN_EMAILS")

    # Cart and orders: a flat delivery fee per supplier, waived when that supplier's subtotal reaches the threshold.
    CART_DELIVERY_FEE = Decimal(os.environ.get("CART_DELIVERY_FEE", "300"))
    CART_FREE_DELIVERY_FROM = Decimal(os.environ.get("CART_FREE_DELIVERY_FROM", "5000"))
    # Payment methods offered at checkout, in order (the first is the default): storefront/payments providers.
    PAYMENT_METHODS = env_list("PAYMENT_METHODS") or ["bank_transfer", "cash_on_delivery", "card_on_delivery"]
    PAYMENT_DUE_DAYS = env_int("PAYMENT_DUE_DAYS", 5)  # unpaid bank-transfer orders are cancelled after it
    # Opening checkout holds the cart's units this long; guests check out without an account (their link to
    # the order page lasts GUEST_ORDER_LINK_DAYS), at most GUEST_CHECKOUT_RATE_LIMIT orders per client address.
    RESERVATION_MINUTES = env_int("RESERVATION_MINUTES", 15)
    GUEST_ORDER_LINK_DAYS = env_int("GUEST_ORDER_LINK_DAYS", 90)
    GUEST_CHECKOUT_RATE_LIMIT = os.environ.get("GUEST_CHECKOUT_RATE_LIMIT", "20 per hour")
    INVOICE_DIR = os.environ.get("INVOICE_DIR", str(INSTANCE_DIR / "invoices"))

    STOREFRONT_NAME = os.environ.get("STOREFRONT_NAME", "Storefront")
    STOREFRONT_CURRENCY = os.environ.get("STOREFRONT_CURRENCY", "RUB")
    # What the e-mails' layout shows: the brand colour (button, header) and the contacts in every footer.
    STOREFRONT_COLOR = os.environ.get("STOREFRONT_COLOR", "#0b6e4f")
    STOREFRONT_CONTACT_EMAIL = os.environ.get("STOREFRONT_CONTACT_EMAIL", "support@storefront.local")
    STOREFRONT_CONTACT_PHONE = os.environ.get("STOREFRONT_CONTACT_PHONE", "+7 495 000-00-00")
    STOREFRONT_PUBLIC_URL = os.environ.get("STOREFRONT_PUBLIC_URL", "")  # the shop's address for e-mails
    # Staff exports (orders, users, products; a supplier's own parts): up to this many rows they download at
    # once, above it a job writes the file into EXPORT_DIR and the page shows its progress.
    EXPORT_SYNC_LIMIT = env_int("EXPORT_SYNC_LIMIT", 5000)
    EXPORT_DIR = os.environ.get("EXPORT_DIR", str(INSTANCE_DIR / "staff-exports"))
    # Catalog cache lifetime in seconds (Redis when REDIS_URL is set, else in-process); 0 switches it off.
    CATALOG_CACHE_TTL = env_int("CATALOG_CACHE_TTL", 300)
    # Supplier price lists: the upload cap (the upload routes lift MAX_CONTENT_LENGTH to it), goods per file,
    # URL imports (seconds for the whole download; private/loopback addresses only if in the allowlist of IPs
    # or networks), and the shop size above which an export runs as a job into SUPPLIER_EXPORT_DIR.
    SUPPLIER_MAX_PRICELIST_BYTES = env_int("SUPPLIER_MAX_PRICELIST_BYTES", 20 * 1024 * 1024)
    SUPPLIER_MAX_GOODS = env_int("SUPPLIER_MAX_GOODS", 200_000)
    SUPPLIER_FETCH_TIMEOUT = env_int("SUPPLIER_FETCH_TIMEOUT", 30)
    SUPPLIER_URL_ALLOWLIST = env_list("SUPPLIER_URL_ALLOWLIST")
    SUPPLIER_EXPORT_SYNC_LIMIT = env_int("SUPPLIER_EXPORT_SYNC_LIMIT", 5000)
    SUPPLIER_EXPORT_DIR = os.environ.get("SUPPLIER_EXPORT_DIR", str(INSTANCE_DIR / "exports"))
    # Photos (storefront/media): stored under MEDIA_ROOT, served from /media/. Price lists' photo URLs are fetched
    # with the URL imports' allowlist, each within MEDIA_FETCH_TIMEOUT seconds and MEDIA_MAX_BYTES.
    MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(INSTANCE_DIR / "media"))
    MEDIA_MAX_BYTES = env_int("MEDIA_MAX_BYTES", 8 * 1024 * 1024)  # under MAX_CONTENT_LENGTH: uploads fit
    MEDIA_FETCH_TIMEOUT = env_int("MEDIA_FETCH_TIMEOUT", 10)
    # A plain price-list upload that would deactivate more than this share of the shop's active goods stops at
    # a preview and waits for the supplier to apply it (0.2 = 20 %).
    IMPORT_DEACTIVATE_CONFIRM_SHARE = float(os.environ.get("IMPORT_DEACTIVATE_CONFIRM_SHARE", "0.2"))
    # A preview nobody applied within this many hours fails and its stored file is deleted (a periodic job).
    IMPORT_PREVIEW_TTL_HOURS = env_int("IMPORT_PREVIEW_TTL_HOURS", 48)
    # Outgoing webhooks: receivers must be public addresses (the price-list rules) unless allowlisted; each
    # delivery gets WEBHOOK_TIMEOUT seconds, and failures are retried WEBHOOK_BACKOFF s later, doubling each time.
    WEBHOOK_URL_ALLOWLIST = env_list("WEBHOOK_URL_ALLOWLIST")
    WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5)
    WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 5)
    WEBHOOK_BACKOFF = env_int("WEBHOOK_BACKOFF", 30)
    LOW_STOCK_THRESHOLD = env_int("LOW_STOCK_THRESHOLD", 5)  # `stock.low` when an order leaves fewer (0: never)
    SERVER_NAME = os.environ.get("SERVER_NAME") or None
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")

    MAX_CONTENT_LENGTH = env_int("MAX_CONTENT_LENGTH", 10 * 1024 * 1024)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    HSTS_MAX_AGE = 0  # Strict-Transport-Security only where the site is served over HTTPS (production)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # flask-smorest
    API_TITLE = "Storefront API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    OPENAPI_REDOC_PATH = "/redoc"
    OPENAPI_REDOC_URL = "/static/vendor/redoc/redoc.standalone.js"
    API_SPEC_OPTIONS = {
        "info": {"description": (
            "The same rules as the pages. Log-in works before the e-mail address is confirmed; placing orders, "
            "price-list imports, exports, order-part actions and the shop's order acceptance answer 403 "
            "`email_unverified` until it is. A supplier sees of an order only its own shop's parts, lines, "
            "prices, part totals and events. Errors always have the shape `{code, status, message, errors}`."
        )},
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}
        },
        # Global, so Swagger UI sends the token; public operations override it with `security: []`.
        "security": [{"bearerAuth": []}],
    }
    OPENAPI_SWAGGER_UI_CONFIG = {"validatorUrl": None, "persistAuthorization": True}  # no call to swagger.io

    # API tokens (PyJWT, HS256): short-lived access tokens, rotating refresh tokens kept in the database.
    JWT_SECRET_KEY = os.environ.get("JWT_SECRET_KEY") or None  # None: use SECRET_KEY
    JWT_ACCESS_TTL = env_int("JWT_ACCESS_TTL", 15 * 60)
    JWT_REFRESH_TTL = env_int("JWT_REFRESH_TTL", 14 * 24 * 3600)
    # Per client address on each /api/v1/auth endpoint; e-mail sending ones also use ACCOUNTS_MAIL_RATE_LIMIT.
    API_AUTH_RATE_LIMIT = os.environ.get("API_AUTH_RATE_LIMIT", "60 per minute")
    API_LOGIN_RATE_LIMIT = os.environ.get("API_LOGIN_RATE_LIMIT", "20 per 15 minutes")  # failed log-ins only

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    # Short timeouts: with Redis away the limiter falls back to in-process counts (extensions.py), quickly.
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}

    # Accounts: failed log-ins are counted per client address, per (account, address) — past that limit the
    # client is refused for that account — and per account, where passing the ceiling only delays each attempt
    # by LOGIN_ACCOUNT_DELAY seconds (someone else's failures never lock the owner out).
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "20 per 15 minutes")
    LOGIN_ACCOUNT_CLIENT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_CLIENT_RATE_LIMIT", "10 per 15 minutes")
    LOGIN_ACCOUNT_RATE_LIMIT = os.environ.get("LOGIN_ACCOUNT_RATE_LIMIT", "50 per 15 minutes")
    LOGIN_ACCOUNT_DELAY = float(os.environ.get("LOGIN_ACCOUNT_DELAY", "1"))
    # Server-side sessions: a sign-in without "remember me" ends after this long even if the browser stays open.
    SESSION_LIFETIME = timedelta(days=env_int("SESSION_LIFETIME_DAYS", 7))
    ACCOUNTS_MAIL_RATE_LIMIT = os.environ.get("ACCOUNTS_MAIL_RATE_LIMIT", "10 per hour")  # resend / reset e-mails
    # Sign-ups per client address, pages and API alike. Looser than the mail limit: each sign-up mails a new,
    # unused address once (it cannot be repeated at one victim), and a class or an office behind one address
    # signs up together.
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "100 per hour")
    ACCOUNTS_CHECK_RATE_LIMIT = os.environ.get("ACCOUNTS_CHECK_RATE_LIMIT", "60 per minute")  # inline form checks
    ACCOUNTS_VERIFY_TOKEN_MAX_AGE = env_int("ACCOUNTS_VERIFY_TOKEN_MAX_AGE", 2 * 24 * 3600)
    ACCOUNTS_RESET_TOKEN_MAX_AGE = env_int("ACCOUNTS_RESET_TOKEN_MAX_AGE", 3600)
    ACCOUNTS_PURGE_UNVERIFIED_DAYS = env_int("ACCOUNTS_PURGE_UNVERIFIED_DAYS", 2)

    # Support chat: message cap and per-user send rate; websocket frames are capped a little above the body cap
    # (JSON escaping can grow a body), and pings keep idle sockets alive through proxies.
    SUPPORT_MAX_MESSAGE_LENGTH = env_int("SUPPORT_MAX_MESSAGE_LENGTH", 4000)
    SUPPORT_RATE_LIMIT = os.environ.get("SUPPORT_RATE_LIMIT", "30 per minute")
    SUPPORT_CHANNEL_PREFIX = os.environ.get("SUPPORT_CHANNEL_PREFIX", "storefront:support")
    SOCK_SERVER_OPTIONS = {"ping_interval": 25, "max_message_size": 32 * 1024}
    # How often an idle live socket (/ws/live) checks that its session is still live (log-out elsewhere).
    LIVE_SESSION_RECHECK = env_int("LIVE_SESSION_RECHECK", 60)

    SQLALCHEMY_RECORD_QUERIES = False
    REQUIRE_DATABASE_ON_START = False

    # Operations (storefront/observability): log lines as text or JSON (each with its request/job id), who may
    # read /metrics besides 127.0.0.1 and ::1 (addresses or networks), how many reverse proxies in front are
    # trusted for X-Forwarded-For/-Proto/-Host (0: none; more than there are lets clients forge addresses), and
    # where `flask worker` writes the heartbeat that `flask worker-health` checks.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO").upper()
    LOG_CONFIGURE = True
    METRICS_ALLOWLIST = env_list("METRICS_ALLOWLIST")
    TRUSTED_PROXY_HOPS = env_int("TRUSTED_PROXY_HOPS", 0)
    WORKER_HEARTBEAT_DIR = os.environ.get("WORKER_HEARTBEAT_DIR", str(INSTANCE_DIR / "heartbeats"))
    WORKER_HEARTBEAT_EVERY = env_int("WORKER_HEARTBEAT_EVERY", 10)


class DevelopmentConfig(Config):
    DEBUG = True


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("TEST_DATABASE_URL", "sqlite://"))
    REDIS_URL = None  # tests opt in to Redis explicitly
    RATELIMIT_STORAGE_URI = "memory://"
    WTF_CSRF_ENABLED = False  # CSRF tests switch it back on
    MAIL_SERVER = None
    SQLALCHEMY_RECORD_QUERIES = True
    JOB_THREADS = 0  # jobs run synchronously right after the commit: tests stay deterministic
    # The suite reads the English interface; the tests of the Russian one (the shop's default) ask for "ru".
    STOREFRONT_LOCALE = "en"
    LOG_CONFIGURE = False  # pytest captures records itself (the ids still ride on every record)


class ProductionConfig(Config):
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "https")
    HSTS_MAX_AGE = env_int("HSTS_MAX_AGE", 365 * 24 * 3600)
    REQUIRE_DATABASE_ON_START = True
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")  # one object per line, for the log collector


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
