"""One settings module, driven by environment variables.

DJANGO_ENV is `development` (default), `test` or `production`. Production refuses to start without SECRET_KEY and
turns on every `check --deploy` protection. DATABASE_URL and REDIS_URL are required; the README commands
(`mentorship.devservices`) provide them, starting embedded servers when none is configured.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    return default if value is None else [item.strip() for item in value.split(",") if item.strip()]


def required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(
            f"{name} is not set. Start the product with `make run` (or `python -m mentorship.devservices run`), "
            f"which provides it, or set it in the environment."
        )
    return value


ENVIRONMENT = os.environ.get("DJANGO_ENV", "development")
PRODUCTION = ENVIRONMENT == "production"
TESTING = ENVIRONMENT == "test"

if PRODUCTION:
    SECRET_KEY = required("SECRET_KEY")
else:
    SECRET_KEY = os.environ.get("SECRET_KEY", "development-only-secret-key-never-used-in-production-0123456789")
DEBUG = env_bool("DEBUG", default=ENVIRONMENT == "development")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served from our static files (no CDN)
    "csp",
    "django_filters",
    "django_htmx",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",  # single sign-on per organization (mentorship/accounts/sso.py)
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "mentorship.accounts",
    "mentorship.tenancy",
    "mentorship.audit",  # after tenancy: its post_migrate receiver narrows tenancy's grants (audit/apps.py)
    "programs",
    "matching",
    "analytics",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),  # runserver serves static in dev
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "mentorship.audit.context.AuditRequestMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "mentorship.accounts.sso_errors.IdentityProviderErrorMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "mentorship.accounts.session_timeouts.SessionTimeoutMiddleware",
    "mentorship.tenancy.middleware.OrganizationMiddleware",
]

ROOT_URLCONF = "mentorship.urls"
WSGI_APPLICATION = "mentorship.wsgi.application"
ASGI_APPLICATION = "mentorship.asgi.application"

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
                "mentorship.tenancy.context_processors.organization",
                "programs.context_processors.notifications",
            ],
        },
    },
]

# --- Database: the app role connects; migrations run as the owner role (see mentorship/devservices.py). ---
_database = dj_database_url.parse(required("DATABASE_URL"), conn_max_age=60, conn_health_checks=True)
if "host" in _database.get("OPTIONS", {}):  # socket folder given as ?host=/path (pgserver's URL form)
    _database["HOST"] = _database["OPTIONS"].pop("host")
# Our backend keeps PostgreSQL's app.current_org_id in step with the tenant scope (row-level security).
_database["ENGINE"] = "mentorship.tenancy.postgres"
DATABASES = {"default": _database}
# The role the web app and workers connect as; migrations grant it DML on every table.
DATABASE_APP_ROLE = os.environ.get("DATABASE_APP_ROLE", "mentorship_app")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache (rate limits, sessions stay in the DB), Celery broker and results. ---
REDIS_URL = required("REDIS_URL")
_cache_location = REDIS_URL.replace("redis+socket://", "unix://", 1)
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _cache_location}}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_ACKS_LATE = True  # a killed worker's task is redelivered; tenant tasks are written to be idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# When Redis restarts, a running task carries on (Celery 6 would cancel it): its message, kept by Redis's append-only
# file, comes back after the visibility timeout and finds its run finished or still locked (analytics/compute.py).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Database connections a metrics computation reads the programs tables on at once (analytics/compute.py): one per
# core the database can give it.
METRICS_CONNECTIONS = int(os.environ.get("METRICS_CONNECTIONS", "2"))
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE = {
    "invitations-expire-nightly": {
        "task": "tenancy.invitations_expire",
        "schedule": 24 * 60 * 60,
    },
    "mentor-requests-expire-hourly": {
        "task": "matching.mentor_requests_expire",
        "schedule": 60 * 60,
    },
    "recognition-award-nightly": {
        "task": "programs.recognition_award",
        "schedule": 24 * 60 * 60,
    },
    "private-notes-expire-nightly": {  # data rights: each organization's retention period for private notes
        "task": "programs.private_notes_expire",
        "schedule": 24 * 60 * 60,
    },
    "workspace-reminders-nightly": {
        "task": "programs.reminders_send",
        "schedule": 24 * 60 * 60,
    },
    "metrics-nightly": {  # analytics: one computation per organization (incremental, full once a week)
        "task": "analytics.metrics_nightly",
        "schedule": 24 * 60 * 60,
    },
    "metrics-reconcile": {  # analytics: re-enqueue runs whose worker died or whose message was lost
        "task": "analytics.metrics_reconcile",
        "schedule": 5 * 60,
    },
}

# --- Accounts (django-allauth): email login, verification, MFA, invitation-only sign-up. ---
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    # Tests create many users; full-strength PBKDF2 would dominate their run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOUNT_ADAPTER = "mentorship.accounts.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "login": "30/m/ip",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
# Single sign-on: each organization's OpenID Connect / SAML app is a SocialApp row its org admin configures
# (mentorship/accounts/sso.py). An identity provider's word never logs anyone into an existing local account by email:
# that person logs in with their password and connects the SSO from their account's connections page.
SOCIALACCOUNT_ADAPTER = "mentorship.accounts.sso_adapter.OrganizationSSOAdapter"
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_REQUESTS_TIMEOUT = 10
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Mentorship"
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Mentorship <no-reply@mentorship.example>")
# Links in emails sent without a request (the nightly reminders) start with this.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

INVITATION_TTL_DAYS = int(os.environ.get("INVITATION_TTL_DAYS", "14"))
MENTOR_REQUEST_TTL_DAYS = int(os.environ.get("MENTOR_REQUEST_TTL_DAYS", "7"))  # mentee choice: unanswered expire
PEOPLE_IMPORT_MAX_BYTES = int(os.environ.get("PEOPLE_IMPORT_MAX_BYTES", str(5 * 1024 * 1024)))  # HR export upload

# --- API ---
REST_FRAMEWORK = {
    # Session first: an anonymous call stays 403; a bad bearer token is 401 (mentorship/accounts/token_auth.py).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "mentorship.accounts.token_auth.ApiTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "mentorship.tenancy.api.exception_handler",
    # Rates are read per request from API_THROTTLE_RATES (mentorship/throttling.py), so they follow the settings.
    "DEFAULT_THROTTLE_CLASSES": [
        "mentorship.throttling.AnonRateThrottle",
        "mentorship.throttling.UserRateThrottle",
        "mentorship.accounts.token_auth.ApiTokenRateThrottle",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Mentorship API",
    "DESCRIPTION": "Tenant-scoped API: every path names its organization, /api/orgs/<org_slug>/...",
    "VERSION": "1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "mentorship.openapi_errors.add_error_responses",
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ProgramStatusEnum": "programs.models.Program.Status",
        "CohortStatusEnum": "programs.models.Cohort.Status",
        "ApplicationStatusEnum": "programs.models.Application.Status",
        "MentorshipStatusEnum": "programs.models.Mentorship.Status",
        "SessionStatusEnum": "programs.models.MentoringSession.Status",
        "GoalStatusEnum": "programs.models.Goal.Status",
        "AssessmentPhaseEnum": "programs.models.CapabilityAssessment.Phase",
        "PulsePhaseEnum": "programs.models.PulseSurvey.Phase",
    },
}

# --- Internationalisation, static files ---
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = (
    BASE_DIR / ".devdata" / "staticfiles" if not PRODUCTION else Path(os.environ.get("STATIC_ROOT", "/app/staticfiles"))
)
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "analytics.staticfiles.PlotlyFinder",  # vendor/plotly.min.js from the installed plotly wheel (dashboard charts)
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security: production passes `manage.py check --deploy` with no warnings. ---
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# htmx sends the CSRF token from the hx-headers attribute of base.html, so no script needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
# A session ends after SESSION_IDLE_TIMEOUT seconds without a request, and SESSION_ABSOLUTE_TIMEOUT seconds after
# login whatever the activity (mentorship/accounts/session_timeouts.py). The cookie lives no longer than that.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("SESSION_ABSOLUTE_TIMEOUT", str(12 * 60 * 60)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT


def env_rate(name: str, default: str) -> str | None:
    """A throttle rate such as "100/minute"; "off" disables it. Tests run without limits unless a test sets one."""
    value = os.environ.get(name, "off" if TESTING else default).strip().lower()
    return None if value in {"", "off", "none"} else value


# Login, sign-up and password reset are limited by allauth (ACCOUNT_RATE_LIMITS above); these cover the rest.
API_THROTTLE_RATES = {
    "anon": env_rate("API_THROTTLE_ANON", "60/minute"),
    "user": env_rate("API_THROTTLE_USER", "1200/minute"),
    "token": env_rate("API_THROTTLE_TOKEN", "600/minute"),  # per personal API token
}
INVITATION_ACCEPT_RATE = env_rate("INVITATION_ACCEPT_RATE", "20/minute")  # per client IP, /invite/<token>/

# Content-Security-Policy (django-csp): scripts only from our own static files, no inline script, no eval; htmx is
# configured in base.html not to need either. Styles allow 'unsafe-inline': plotly.js styles its SVG charts through
# style attributes and a <style> element, and the match score bars set their width with style="".
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
