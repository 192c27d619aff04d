"""One settings module, read from the environment (django-environ).

Every outside service is a URL with an embedded default, so `make run` needs nothing:
SQLite, eager Celery, and localforge for both forges. `.env.example` lists every variable.
"""

from pathlib import Path

import environ
from cryptography.fernet import Fernet
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from federation.schedule import BEAT_SCHEDULE as FEDERATION_BEAT_SCHEDULE
from review.schedule import BEAT_SCHEDULE as REVIEW_BEAT_SCHEDULE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("OSP_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEV_SECRET_KEY = "dev-insecure-osp-federation-key-do-not-use-in-production"  # noqa: S105
DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
PRODUCTION = env.bool("OSP_PRODUCTION", default=False)
if PRODUCTION and (SECRET_KEY == DEV_SECRET_KEY or DEBUG):
    raise ImproperlyConfigured(
        "OSP_PRODUCTION=true needs DJANGO_SECRET_KEY set to a real secret and DJANGO_DEBUG=false."
    )
# Credentials kept in the database (webhook secrets) are encrypted with these Fernet keys
# (config.crypto): the first encrypts, all decrypt. Rotate: put a new key first, run
# `manage.py rotate_encryption_key`, then drop the old one.
DEV_FIELD_ENCRYPTION_KEY = "ZGV2LWluc2VjdXJlLW9zcC1maWVsZC1rZXktMDAwMDA="  # noqa: S105
FIELD_ENCRYPTION_KEYS = [k for k in env.list("FIELD_ENCRYPTION_KEYS", default=[]) if k] or (
    [] if PRODUCTION else [DEV_FIELD_ENCRYPTION_KEY]
)
if PRODUCTION and (not FIELD_ENCRYPTION_KEYS or DEV_FIELD_ENCRYPTION_KEY in FIELD_ENCRYPTION_KEYS):
    raise ImproperlyConfigured(
        "OSP_PRODUCTION=true needs FIELD_ENCRYPTION_KEYS set to real Fernet keys "
        "(not the development key)."
    )
for _i, _key in enumerate(FIELD_ENCRYPTION_KEYS):
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS[{_i}] is not a Fernet key.") from None
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.gitlab",
    "allauth.socialaccount.providers.github",
    "bootstrap",
    "csp",
    "config",
    "people",
    "projects",
    "review",
    "federation",
    "incentives",
    "guides",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "config.context_processors.roles",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env.str("ACCOUNT_EMAIL_VERIFICATION", default="none")
ACCOUNT_ALLOW_REGISTRATION = env.bool("ACCOUNT_ALLOW_REGISTRATION", default=False)
ACCOUNT_ADAPTER = "config.auth.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "config.auth.SocialAccountAdapter"
# Failed sign-ins: 10 a minute per address, 5 in 5 minutes per account (then refused, even with
# the right password, until the window passes). Counters live in the cache (CACHE_URL).
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
# Behind N reverse proxies, the client address is the N-th from the right of X-Forwarded-For
# (both allauth's and DRF's rate limits read it so); 0 means REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT

# Where forges reach this service (webhook URLs are built from it).
SERVICE_URL = env.str("SERVICE_URL", default="http://127.0.0.1:8000").rstrip("/")

# Forges. Unset URLs mean the embedded localforge (started by `make run` and by the tests).
GITLAB_URL = env.str("GITLAB_URL", default="http://127.0.0.1:8929")
GITLAB_TOKEN = env.str("GITLAB_TOKEN", default="localforge-admin-token")
GITHUB_API_URL = env.str("GITHUB_API_URL", default="http://127.0.0.1:8930")
GITHUB_TOKEN = env.str("GITHUB_TOKEN", default="localforge-admin-token")
GITHUB_ORG = env.str("GITHUB_ORG", default="institute-oss")
# Forge API calls: timeout, retries of rate limits and 5xx, and the longest wait worth sleeping
# (a longer Retry-After raises RateLimited, and the Celery task retries later).
FORGE_TIMEOUT = env.float("FORGE_TIMEOUT", default=30.0)
FORGE_MAX_RETRIES = env.int("FORGE_MAX_RETRIES", default=3)
FORGE_MAX_RETRY_WAIT = env.float("FORGE_MAX_RETRY_WAIT", default=60.0)

# Git: the bare-repository cache of each worker, and limits on every git call.
GIT_CACHE_DIR = env.str("GIT_CACHE_DIR", default=str(VAR_DIR / "git-cache"))
GIT_TIMEOUT = env.float("GIT_TIMEOUT", default=300.0)
GIT_LOCK_TIMEOUT = env.float("GIT_LOCK_TIMEOUT", default=30.0)
GIT_EXTRA_HOSTS = env.list("GIT_EXTRA_HOSTS", default=[])

# Publishing: who authors snapshot commits, where unknown authors' addresses point, what never
# leaves, and when a sync counts as stuck.
RELEASE_IDENTITY = env.str(
    "RELEASE_IDENTITY", default="Open Source Program Office <ospo@users.noreply.invalid>"
)
NOREPLY_DOMAIN = env.str("NOREPLY_DOMAIN", default="users.noreply.invalid")
FEDERATION_DEFAULT_EXCLUDED_PATHS = env.list(
    "FEDERATION_DEFAULT_EXCLUDED_PATHS", default=["internal/", ".gitlab-ci.yml"]
)
STUCK_RUN_MINUTES = env.int("STUCK_RUN_MINUTES", default=30)
FEDERATION_FAILING_RUNS = env.int("FEDERATION_FAILING_RUNS", default=3)
SYNC_LEASE_SECONDS = env.int("SYNC_LEASE_SECONDS", default=900)

# Secret of the organisation webhook on GitHub; without one, GitHub deliveries are refused.
GITHUB_WEBHOOK_SECRET = env.str("GITHUB_WEBHOOK_SECRET", default="")

# Sign-in only: the OAuth tokens of GitLab / GitHub sign-ins are not kept in the database.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_PROVIDERS = {
    "gitlab": {
        "GITLAB_URL": env.str("GITLAB_OAUTH_URL", default=GITLAB_URL),
        "SCOPE": ["read_user"],
        "APPS": [
            {
                "client_id": env.str("GITLAB_OAUTH_CLIENT_ID", default=""),
                "secret": env.str("GITLAB_OAUTH_SECRET", default=""),
            }
        ]
        if env.str("GITLAB_OAUTH_CLIENT_ID", default="")
        else [],
    },
    "github": {
        "SCOPE": ["read:user", "user:email"],
        "APPS": [
            {
                "client_id": env.str("GITHUB_OAUTH_CLIENT_ID", default=""),
                "secret": env.str("GITHUB_OAUTH_SECRET", default=""),
            }
        ]
        if env.str("GITHUB_OAUTH_CLIENT_ID", default="")
        else [],
    },
}
if env.str("GITHUB_OAUTH_URL", default=""):
    SOCIALACCOUNT_PROVIDERS["github"]["GITHUB_URL"] = env.str("GITHUB_OAUTH_URL")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first, so an anonymous API call gets 401 with WWW-Authenticate.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("TOKEN_THROTTLE_RATE", default="20/min")},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT or None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "OSP Federation API",
    "DESCRIPTION": "Inner-source registry, disclosure review, federation and incentives.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# Celery: eager (in-process) when no broker is configured.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_ACKS_LATE = True
# A task whose worker process died (OOM killer, SIGKILL) goes back to the queue instead of being
# acknowledged as done (acks_late alone acks it when a prefork child is lost).
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis: a message taken by a worker that dies unacknowledged is delivered again after this many
# seconds. It must exceed the longest countdown a task retries with (rate limits: up to 3600 s)
# plus its run time, or a waiting retry would be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=7200)
}
CELERY_TASK_ROUTES = {
    "federation.tasks.*": {"queue": "git"},
    "incentives.tasks.ingest_project": {"queue": "git"},
}
CELERY_TASK_DEFAULT_QUEUE = "default"
# Periodic work (run `celery -A config beat`): each app keeps its own entries in schedule.py.
CELERY_BEAT_SCHEDULE = {**REVIEW_BEAT_SCHEDULE, **FEDERATION_BEAT_SCHEDULE}

LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("INSTITUTE_TIME_ZONE", default="Asia/Seoul")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ospo@localhost")

ORG_CSV_MAX_BYTES = env.int("ORG_CSV_MAX_BYTES", default=5 * 1024 * 1024)
# The org CSV is the only upload: every uploaded file is cut off at that size while it streams
# in (config.uploads), before it reaches a temporary file or a view.
FILE_UPLOAD_HANDLERS = [
    "config.uploads.SizeLimitedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# The cache holds the login and token rate-limit counters (allauth, DRF throttling): in
# production it must be shared by every process (Redis), or each worker counts on its own.
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://osp")}

# Content-Security-Policy (django-csp), the same in development and production, so the tests
# and the browser tests see what production serves: nothing inline, nothing from elsewhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],  # Bootstrap draws its icons as data: SVGs
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 3600)
    # Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
    if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"
