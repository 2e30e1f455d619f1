"""Settings for hipwatch, read from the environment.

With nothing set, the portal runs on a local SQLite file and Celery runs tasks
eagerly in-process, so `make run` and `make test` need no services. Production sets
DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

import os
import warnings
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Production behind TLS (HIPWATCH_HTTPS=true, as docker-compose.yml sets): see the end.
HIPWATCH_HTTPS = env.bool("HIPWATCH_HTTPS", default=False)
_DEVELOPMENT_KEY = "dev-only-insecure-key-change-me"
SECRET_KEY = env("SECRET_KEY", default=_DEVELOPMENT_KEY)
# A known or guessable key lets anyone forge sessions and signed links: only a DEBUG run
# over plain http may use one. `make install` writes a random key to .env (read above),
# so `make run` and `make test` start with nothing set.
if (HIPWATCH_HTTPS or not DEBUG) and (
    SECRET_KEY == _DEVELOPMENT_KEY or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5
):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"{'HIPWATCH_HTTPS is on' if HIPWATCH_HTTPS else 'DEBUG is off'} and SECRET_KEY is "
        "the development key or too weak: set SECRET_KEY to 50 or more random characters "
        "(in the environment or in .env), or run `make install`, which writes one to .env."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "apps.web.errors.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc from our static files (no CDN)
    "django_filters",
    "django_tables2",
    "django_celery_beat",
    "csp",
    "apps.accounts.throttling.SignInProtectionConfig",
    "apps.core",
    "apps.regions",
    "apps.audit",
    "apps.institutions",
    "apps.platforms",
    "apps.uploads",
    "apps.indicators",
    "apps.quality",
    "apps.maturity",
    "apps.campaigns",
    "apps.metrics",
    "apps.bulletins",
    "apps.ingestion",
    "apps.alerts",
    "apps.rectification",
    "apps.onboarding",
    "apps.imports",
    "apps.reports",
    "apps.accounts",
    "apps.web",
    "apps.api",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.core.csp.PolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A view answers GET and HEAD unless it declares more (apps/core/methods.py).
    "apps.web.methods.MethodsMiddleware",
    # With a replica: where the request reads (before the data version is read).
    "apps.core.routing.ReplicaMiddleware",
    "apps.core.versioning.DataVersionMiddleware",
    "apps.audit.services.CurrentRequestMiddleware",
    "apps.accounts.views.PasswordChangeRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "apps.alerts.context_processors.unread_notifications",
                "apps.core.context_processors.data_version",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# Persistent connections, checked before a request reuses one: after PostgreSQL
# restarts or drops the connection, the next request opens a new one instead of failing.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
# A streaming replica for the pages' reads (docs/scaling.md); off unless set.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = {
        **env.db("DATABASE_REPLICA_URL"),
        "CONN_MAX_AGE": DATABASES["default"]["CONN_MAX_AGE"],
        "CONN_HEALTH_CHECKS": True,
        # In tests the replica's connection keeps its host (a real standby of the
        # test server, .ci/run) and reads the test database's name.
        "TEST": {"MIRROR": "default"},
    }
    # A page reads one state of the data: its reads on the replica in one snapshot.
    from django.db.backends.postgresql.psycopg_any import IsolationLevel

    DATABASES["replica"].setdefault("OPTIONS", {})["isolation_level"] = (
        IsolationLevel.REPEATABLE_READ
    )
    DATABASE_ROUTERS = ["apps.core.routing.ReplicaRouter"]
# After a user's write, that user's pages read the primary until the replica has
# replayed it (apps/core/routing.py); a replica further behind than this many seconds
# is not read at all.
HIPWATCH_REPLICA_PINNING = env.bool("HIPWATCH_REPLICA_PINNING", default=True)
HIPWATCH_REPLICA_MAX_LAG = env.float("REPLICA_MAX_LAG", default=30.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sign-in throttling (django-axes): its backend first, so a locked-out user is refused
# before the password is even checked. 5 failures per user name and address lock
# that pair for 30 minutes; a successful sign-in resets the count.
AUTHENTICATION_BACKENDS = [
    "apps.accounts.backends.ThrottledSignInBackend",
    "apps.accounts.backends.PortalBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_MINUTES", default=30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False

# Chinese whatever the browser asks for: no LocaleMiddleware. The code carries
# English msgids; locale/zh_Hans holds the Chinese every user sees.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# WhiteNoise serves static files itself (gunicorn in production, runserver in the
# demo) and finds them without collectstatic, so `make run` needs no extra step.
WHITENOISE_USE_FINDERS = True
# …and so warns that STATIC_ROOT does not exist until someone runs collectstatic.
warnings.filterwarnings("ignore", message="No directory at", module="whitenoise.base")

# Uploaded files (rectification attachments). Never served from MEDIA_URL: no URL
# pattern serves this folder; views that check the user's scope stream the files.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

# Celery: with no REDIS_URL, tasks run eagerly in the calling process.
REDIS_URL = env("REDIS_URL", default="")
_TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
if REDIS_URL and _TEST_WORKER.startswith("gw") and not os.environ.get("HIPWATCH_REDIS_SPLIT"):
    # The suite run in parallel (pytest -n): each worker takes a Redis database of
    # its own below the one given (…/15: gw0 15, gw1 14), as it has its own test
    # database, because every test flushes the cache it starts with. The processes
    # a test starts (Celery workers) inherit the worker's URL as it is.
    _base, _sep, _db = REDIS_URL.rpartition("/")
    if _sep and _db.isdigit() and _base.count("/") >= 2:
        REDIS_URL = f"{_base}/{max(int(_db) - int(_TEST_WORKER[2:]), 0)}"
        os.environ["REDIS_URL"] = REDIS_URL
        os.environ["HIPWATCH_REDIS_SPLIT"] = "1"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
# The schedule lives in the database (django-celery-beat), editable in the admin;
# migration ingestion/0002 puts the nightly pull at 02:00 Asia/Shanghai.
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# One queue per platform for the pulls (docs/scaling.md), off by default.
HIPWATCH_QUEUE_PER_PLATFORM = env.bool("HIPWATCH_QUEUE_PER_PLATFORM", default=False)
CELERY_TASK_ROUTES = ("apps.core.routing.route_task",)
# With the broker down, a page that hands work to a worker must answer within seconds
# (the work stays queued and is sent again later), not wait on Celery's default retries.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_BROKER_CONNECTION_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}
# The pulls are acknowledged late: if their worker dies, Redis hands the task out again
# after this many seconds (longer than any pull takes).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600),
}

# The monthly roll-up's covering index (INCLUDE) is for PostgreSQL; SQLite builds it
# without the included columns, which is all it needs.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# Computed figures are cached under the data version (apps/core/versioning.py):
# in Redis when there is one (shared by every process), else in each process. A
# Redis that is down makes every read a miss, never an error (apps/core/cache.py).
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "apps.core.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="hipwatch"),
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each process's own: the page shell's fragments (the menu, per scope and page) and
# the platforms' data spans, keyed on the data version like everything cached, and
# too cheap to compute to be worth a trip to Redis. A menu is about 5 KB: at most
# about 5 MB a process.
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "hipwatch-local",
    "OPTIONS": {"MAX_ENTRIES": 1000},
}
HIPWATCH_FIGURES_CACHE_SECONDS = env.int("FIGURES_CACHE_SECONDS", default=900)

# Pulling the platforms' statistics interface (apps/ingestion).
# A platform's folder (apps.ingestion.file_source): a day's file without its
# companion <name>.ok is taken once it has not changed for this many seconds.
HIPWATCH_FILES_SETTLE_SECONDS = env.int("FILES_SETTLE_SECONDS", default=60)
# Where `load_demo --with-sources` publishes the demo platform's data as a vendor's
# SQLite database and a folder of daily files: the only place a SQLite URL may name
# (never the portal's own database).
HIPWATCH_DEMO_SOURCES_DIR = env.path("DEMO_SOURCES_DIR", default=BASE_DIR / "var" / "demo-sources")

HIPWATCH_PULL = {
    "connect_timeout": env.float("PULL_CONNECT_TIMEOUT", default=10.0),
    "read_timeout": env.float("PULL_READ_TIMEOUT", default=60.0),
    "retries": env.int("PULL_RETRIES", default=6),
    "backoff": env.float("PULL_BACKOFF", default=2.0),  # 2, 4, 8 … seconds
    "backoff_max": env.float("PULL_BACKOFF_MAX", default=120.0),
    "retry_after_max": env.float("PULL_RETRY_AFTER_MAX", default=300.0),
    "revisit_days": 7,  # a day may be revised for 7 days after it
    # The home page expects last night's pull to be done by this hour (local time).
    "night_over_hour": env.int("PULL_NIGHT_OVER_HOUR", default=6),
    # A day's pull takes seconds to minutes: one still "running" after this many seconds
    # lost its worker, and the next pull of the same day marks it failed.
    "run_stale_after": env.int("PULL_RUN_STALE_AFTER", default=3600),
    # A backfill still queued after this many seconds was not handed to a worker (the
    # broker was down): requeue_stalled_backfills sends it again.
    "requeue_after": env.int("PULL_REQUEUE_AFTER", default=300),
    # A running backfill that recorded no day's progress for this many seconds lost its
    # worker (killed, redeployed): it is marked interrupted and can be restarted.
    "backfill_stalled_after": env.int("PULL_BACKFILL_STALLED_AFTER", default=1800),
}

# Email (alerts and digests). EMAIL_HOST unset: messages are printed to the console.
EMAIL_HOST = env("EMAIL_HOST", default="")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="hipwatch@localhost")

# Alerts on silent institutions (apps/alerts).
HIPWATCH_ALERTS = {
    "site_url": env("SITE_URL", default="http://127.0.0.1:8000"),  # links in emails
    "timeout": env.float("ALERT_WEBHOOK_TIMEOUT", default=10.0),  # robot webhooks, seconds
    "max_attempts": env.int("ALERT_MAX_ATTEMPTS", default=5),
    "backoff": env.float("ALERT_BACKOFF", default=60.0),  # 1, 2, 4 … minutes between attempts
    "backoff_max": env.float("ALERT_BACKOFF_MAX", default=3600.0),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "apps.api.renderers.PortalBrowsableAPIRenderer",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.StandardPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "apps.api.exceptions.api_exception_handler",
    "VIEW_NAME_FUNCTION": "apps.api.docs.view_name",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "hipwatch API",
    "DESCRIPTION": gettext_lazy(
        "Health information platform interconnection supervision portal API"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The description of the API is for its users, as the API is.
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"ConnectionStatusEnum": "apps.platforms.models.ConnectionStatus"},
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/hipwatch.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"one_line_bad_requests": {"()": "apps.core.logs.OneLineBadRequests"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["one_line_bad_requests"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools narrate every step at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
        "axes": {"level": "WARNING"},  # one INFO line per sign-in otherwise
    },
}

# Uploads: the largest web upload is a rectification attachment (10 MB, checked by
# content in apps/rectification/attachments.py); bigger request bodies are refused
# before any view runs. Files above FILE_UPLOAD_MAX_MEMORY_SIZE go to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024  # form fields, files excluded
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 20
# The largest file an officer may import from the browser (a province's day of
# statistics is ~10 MB as CSV).
HIPWATCH_IMPORT_MAX_BYTES = env.int("HIPWATCH_IMPORT_MAX_BYTES", default=100 * 1024 * 1024)
# An XLSX is a zip, refused before it is unpacked (a zip bomb held a worker for minutes)
# when its parts would unpack to more than this in all, or when a part unpacks to more
# than this many times its packed size. A province's day of statistics is ~55 MB of
# sheet XML; spreadsheets pack 5 to 20 times, a bomb hundreds of times.
HIPWATCH_IMPORT_MAX_UNZIPPED_BYTES = env.int(
    "HIPWATCH_IMPORT_MAX_UNZIPPED_BYTES", default=200 * 1024 * 1024
)
HIPWATCH_IMPORT_MAX_ZIP_RATIO = env.int("HIPWATCH_IMPORT_MAX_ZIP_RATIO", default=100)
# Every import is checked and carried out by a Celery worker; one still running after
# this many seconds is stopped (the task's soft time limit), its job failed and
# nothing written. A province's day of statistics takes well under a minute.
HIPWATCH_IMPORT_TIME_LIMIT = env.int("HIPWATCH_IMPORT_TIME_LIMIT", default=600)

SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (apps/core/csp.py): scripts, styles and fonts from our own
# static files only (no CDN); no inline script, no style attribute (the templates use
# classes of static/css and scripts of static/js); no framing. Bootstrap draws its select
# arrows, close buttons and menu icon as data: images. DRF's browsable API alone also
# allows inline styles (apps/api/renderers.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Production behind TLS (HIPWATCH_HTTPS=true, as docker-compose.yml sets): secure
# cookies, redirect to https, HSTS (and a real secret key, checked at the top). Off by
# default so `make run` keeps working on http://127.0.0.1:8000.
if HIPWATCH_HTTPS:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = True
    # e.g. "HTTP_X_FORWARDED_PROTO=https" when a TLS proxy sets that header (only then).
    _proxy_header = env("SECURE_PROXY_SSL_HEADER", default="")
    if _proxy_header:
        _name, _, _value = _proxy_header.partition("=")
        SECURE_PROXY_SSL_HEADER = (_name.strip(), _value.strip() or "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        # Joining browsers' preload list is the operator's decision, not a default.
        SILENCED_SYSTEM_CHECKS += ["security.W021"]

# Secrets stored in the database (platforms' interface tokens; database passwords
# next) are encrypted (apps/core/secrets.py): HIPWATCH_SECRET_KEYS is a comma-separated
# list of Fernet keys, the first encrypts and all decrypt. To rotate: put a new key
# first, run `manage.py rotate_secret_keys`, then drop the old key. Unset, one key is
# derived from SECRET_KEY (nothing to set for development); production sets it, since
# changing SECRET_KEY without it makes the stored secrets unreadable.
HIPWATCH_SECRET_KEYS = env.list("HIPWATCH_SECRET_KEYS", default=[])
