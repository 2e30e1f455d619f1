"""Settings for hipwatch, read from the environment.

With nothing set, the portal runs on a local SQLite file and Celery runs tasks
eagerly in-process, so `make run` and `make test` need no services. Production sets
DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

import warnings
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-change-me")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

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
    "django_filters",
    "django_tables2",
    "django_celery_beat",
    "apps.core",
    "apps.regions",
    "apps.institutions",
    "apps.platforms",
    "apps.uploads",
    "apps.metrics",
    "apps.bulletins",
    "apps.ingestion",
    "apps.alerts",
    "apps.rectification",
    "apps.onboarding",
    "apps.accounts",
    "apps.web",
    "apps.api",
    "apps.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

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

# Pulling the platforms' statistics interface (apps/ingestion).
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
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "apps.api.pagination.StandardPagination",
    "PAGE_SIZE": 100,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "hipwatch API",
    "DESCRIPTION": gettext_lazy(
        "Health information platform interconnection supervision portal API"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "ENUM_NAME_OVERRIDES": {"ConnectionStatusEnum": "apps.platforms.models.ConnectionStatus"},
}

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools narrate every step at INFO.
    "loggers": {
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    X_FRAME_OPTIONS = "DENY"
