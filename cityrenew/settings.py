"""Django settings for CityRenew.

Configuration comes from the environment:

- ``DATABASE_URL``: default ``sqlite:///cityrenew.sqlite3`` in the current directory;
  ``postgres://user:pass@host:port/name`` for PostgreSQL.
- ``CITYRENEW_DATA_DIR``: where uploads and generated files go (default ``./var``).
- ``CITYRENEW_SECRET_KEY`` (required in production), ``CITYRENEW_DEBUG`` (``1``: development only),
  ``CITYRENEW_ALLOWED_HOSTS``, ``CITYRENEW_HTTPS`` (``0``: served over plain HTTP, no secure cookies/HSTS).
- ``CITYRENEW_DEMO=1`` is set by ``cityrenew demo``: a local demo on loopback over plain HTTP whose secret
  key is generated once and kept in the data directory.
- Base map of the one map: ``CITYRENEW_BASEMAP`` (``offline``, ``tianditu`` with ``CITYRENEW_TIANDITU_KEY``, or
  an XYZ URL template), ``CITYRENEW_BASEMAP_ATTRIBUTION``.
- Limits: ``CITYRENEW_TOKEN_TTL_HOURS``, ``CITYRENEW_LOGIN_FAILURE_LIMIT``, ``CITYRENEW_LOGIN_COOLOFF_MINUTES``.

The README's Configuration table lists them all.
"""

from __future__ import annotations

import os
import secrets
import warnings
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent

DATA_DIR = Path(os.environ.get("CITYRENEW_DATA_DIR", Path.cwd() / "var")).resolve()

# Three modes: development (CITYRENEW_DEBUG=1), the local demo (CITYRENEW_DEMO=1, set by `cityrenew demo`)
# and production (neither): DEBUG is off unless asked for, and production needs its own secret key.
DEBUG = os.environ.get("CITYRENEW_DEBUG", "0") == "1"
DEMO = os.environ.get("CITYRENEW_DEMO", "0") == "1"
PRODUCTION = not (DEBUG or DEMO)


def _demo_secret_key(data_dir: Path) -> str:
    """The demo's own key: random, generated on the first run, kept in ``<data dir>/secret_key`` (0600)."""
    path = data_dir / "secret_key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of the demo wrote it first
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


if os.environ.get("CITYRENEW_SECRET_KEY"):
    SECRET_KEY = os.environ["CITYRENEW_SECRET_KEY"]
elif DEMO:
    SECRET_KEY = _demo_secret_key(DATA_DIR)
elif DEBUG:
    SECRET_KEY = "cityrenew-insecure-development-key-change-me"
else:
    raise ImproperlyConfigured(
        "未设置 CITYRENEW_SECRET_KEY：生产环境必须提供随机密钥（例如 "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'）；本地演示请运行 cityrenew demo，"
        "开发调试请设置 CITYRENEW_DEBUG=1。\n"
        "CITYRENEW_SECRET_KEY is not set: production needs its own random key; run `cityrenew demo` for the "
        "local demo or set CITYRENEW_DEBUG=1 for development."
    )
ALLOWED_HOSTS = os.environ.get("CITYRENEW_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.gis",
    "rest_framework",
    "rest_framework.authtoken",
    "axes",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "cityrenew.core",
    "cityrenew.projects",
    "cityrenew.checkup",
    "cityrenew.map",
    "cityrenew.policies",
    "cityrenew.workdays",
    "cityrenew.consent",
    "cityrenew.ledgers",
    "cityrenew.ledgertasks",
    "cityrenew.plans",
    "cityrenew.ballots",
    "cityrenew.notices",
    "cityrenew.review",
    "cityrenew.funding",
    "cityrenew.performance",
    "cityrenew.centralfund",
    "cityrenew.reports",
    "django_tasks",
    "django_tasks_db",
    "cityrenew.jobs",
    "cityrenew.lifeline",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cityrenew.core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "cityrenew.core.middleware.AuditActorMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "cityrenew.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "cityrenew.core.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "cityrenew.wsgi.application"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite:///" + str(Path.cwd() / "cityrenew.sqlite3")),
        conn_max_age=60,
    )
}
# GeoDjango: the embedded default is SpatiaLite, production PostGIS; plain sqlite:// and postgres:// URLs
# get the spatial backend of the same database (docs/spatial.md).
_SPATIAL_ENGINES = {
    "django.db.backends.sqlite3": "django.contrib.gis.db.backends.spatialite",
    "django.db.backends.postgresql": "django.contrib.gis.db.backends.postgis",
}
DATABASES["default"]["ENGINE"] = _SPATIAL_ENGINES.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
if DATABASES["default"]["ENGINE"] == "django.contrib.gis.db.backends.spatialite":
    from cityrenew.sqlite import ensure_extension_loading

    ensure_extension_loading()
    SPATIALITE_LIBRARY_PATH = os.environ.get("CITYRENEW_SPATIALITE", "mod_spatialite")
    # WAL: readers never wait for the writer. IMMEDIATE: every transaction takes the write lock when it
    # begins, so concurrent writers queue on the busy timeout instead of failing with `database is locked`
    # when a read transaction tries to upgrade to a write (which SQLite refuses without waiting).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": int(os.environ.get("CITYRENEW_SQLITE_TIMEOUT", "60")),  # seconds a writer waits its turn
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# gis.W001 warns that GDAL before 3.9 (Debian 12 has 3.6) cannot block file and network access from a
# spatial reference's text. Django's GDAL here only ever sees EPSG codes the code names (4326, 3857 …);
# user files are read by pyogrio with its own GDAL (cityrenew/core/geofiles.py), never by Django's.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "cityrenew.core.auth.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},  # Django's, Chinese message
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Login throttling (django-axes): after CITYRENEW_LOGIN_FAILURE_LIMIT wrong passwords in a row for one user name
# from one address, that pair is locked out for the cool-off time, even with the right password.
# The count resets on a successful login. Applies to the login page, the admin and POST /api/token/.
AUTHENTICATION_BACKENDS = [
    "cityrenew.core.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("CITYRENEW_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("CITYRENEW_LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "cityrenew.core.auth.lockout_response"
AXES_VERBOSE = False

# API tokens (DRF's Token, see cityrenew.core.auth.ExpiringTokenAuthentication): valid this long after
# they are issued; revoked on logout and on a password change.
API_TOKEN_TTL = timedelta(hours=float(os.environ.get("CITYRENEW_TOKEN_TTL_HOURS", "8")))

LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "core:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

MEDIA_ROOT = DATA_DIR / "uploads"
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# npm-installed front-end libraries (echarts, maplibre-gl, htmx.org) are served from node_modules;
# nothing third-party is copied into the repository.
NODE_MODULES_DIR = Path(os.environ.get("CITYRENEW_NODE_MODULES", REPO_DIR / "node_modules"))
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
if NODE_MODULES_DIR.is_dir():
    STATICFILES_DIRS.append(("vendor", NODE_MODULES_DIR))
# WhiteNoise serves static files straight from the finders (see `cityrenew serve` for the measurement);
# STATIC_ROOT is only filled by an operator's `cityrenew collectstatic`, so its absence is not a problem.
WHITENOISE_USE_FINDERS = True
warnings.filterwarnings("ignore", message="No directory at: ", category=UserWarning)
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a refused or missing token answers 401 with `WWW-Authenticate: Token`.
        "cityrenew.core.auth.ExpiringTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "CityRenew 城市更新一体化平台 API",
    "DESCRIPTION": "项目库、城市体检、台账等接口；权限与页面一致。",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from npm (swagger-ui-dist in node_modules, served as static vendor/), never a CDN:
    # /api/docs/ works offline and on an intranet.
    "SWAGGER_UI_DIST": f"{STATIC_URL}vendor/swagger-ui-dist",
    "SWAGGER_UI_FAVICON_HREF": f"{STATIC_URL}vendor/swagger-ui-dist/favicon-32x32.png",
}

# One OpenAPI enum per choice set shared by several fields (keeps `check --deploy` free of W001).
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {
    "RegionKindEnum": "cityrenew.core.choices.RegionKind",
    "OrganisationKindEnum": "cityrenew.core.choices.OrganisationKind",
    "UnitKindEnum": "cityrenew.checkup.choices.UnitKind",
    "SetKindEnum": "cityrenew.checkup.choices.SetKind",
    "LedgerStatusEnum": "cityrenew.ledgers.choices.LedgerStatus",
    "PolicyStatusEnum": "cityrenew.policies.models.Status",
    "PolicyLevelEnum": "cityrenew.policies.models.Level",
    "FundingSourceEnum": "cityrenew.projects.choices.FundingSource",
    "PlanStateEnum": "cityrenew.plans.choices.PlanState",
    "TrancheStateEnum": "cityrenew.funding.choices.TrancheState",
    "ReportStateEnum": "cityrenew.reports.choices.ReportState",
    "ApplicationStateEnum": "cityrenew.centralfund.choices.ApplicationState",
    "TargetTableStateEnum": "cityrenew.performance.choices.TableState",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CITYRENEW_LOG_LEVEL", "WARNING")},
}

# Background jobs (后台任务): django-tasks with its database backend; `cityrenew worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# seconds between a running job's progress writes (the job page polls every second)
# Lifeline MQTT: the files of the broker `serve` runs (password, ACL, pid; lifeline/broker.py) and the topic
# prefix on a broker shared with other systems
CITYRENEW_MQTT_DIR = Path(os.environ.get("CITYRENEW_MQTT_DIR", DATA_DIR / "mosquitto"))
CITYRENEW_MQTT_PREFIX = os.environ.get("CITYRENEW_MQTT_PREFIX", "")
CITYRENEW_JOBS_PROGRESS_EVERY = float(os.environ.get("CITYRENEW_JOBS_PROGRESS_EVERY", "0.5"))
CITYRENEW_JOBS_STALE_AFTER = int(os.environ.get("CITYRENEW_JOBS_STALE_AFTER", 1800))  # s without heartbeat
CITYRENEW_IMPORT_JOB_ROWS = int(os.environ.get("CITYRENEW_IMPORT_JOB_ROWS", 2000))  # larger page imports run as jobs
CITYRENEW_EXPORT_JOB_ROWS = int(os.environ.get("CITYRENEW_EXPORT_JOB_ROWS", 5000))  # larger page exports run as jobs
# The date working-day periods count from (notices, review due dates, land deadlines): unset = today in
# Beijing time; an ISO date pins it (tests, training sites). See cityrenew/workdays/clock.py.
CITYRENEW_TODAY = os.environ.get("CITYRENEW_TODAY") or None
# Public notices (公示): comments and reports one client address may send per hour (spam limit, not policy),
# and how long a rendered public notice page is kept (it is also re-rendered whenever its content changes).
CITYRENEW_NOTICE_COMMENTS_PER_HOUR = int(os.environ.get("CITYRENEW_NOTICE_COMMENTS_PER_HOUR", "5"))
CITYRENEW_NOTICE_REPORTS_PER_HOUR = int(os.environ.get("CITYRENEW_NOTICE_REPORTS_PER_HOUR", "10"))
CITYRENEW_NOTICE_PAGE_CACHE_SECONDS = int(os.environ.get("CITYRENEW_NOTICE_PAGE_CACHE_SECONDS", "300"))
# Caches: "default" is per process (rendered public pages); "shared" is seen by every process on this host
# (the version of each public notice page, bumped on every change, so no process serves an old page).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {"BACKEND": "cityrenew.core.cache.LazyFileBasedCache", "LOCATION": str(DATA_DIR / "cache"),
               "TIMEOUT": None},
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 50 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Upload limits (safe files, cityrenew/core/uploads.py): checked before any parser opens a file.
# Sizes in MB and the row limit can be raised per installation through the environment.
_MB = 1024 * 1024
CITYRENEW_UPLOAD_LIMITS = {
    "max_bytes": {
        "table": int(os.environ.get("CITYRENEW_UPLOAD_MAX_TABLE_MB", "50")) * _MB,  # project CSV/xlsx, templates, unit Excel
        "geodata": int(os.environ.get("CITYRENEW_UPLOAD_MAX_GEODATA_MB", "200")) * _MB,  # GeoPackage, GeoJSON, Shapefile zip
        "attachment": int(os.environ.get("CITYRENEW_UPLOAD_MAX_ATTACHMENT_MB", "20")) * _MB,  # 佐证材料、问题照片
        "json": 20 * _MB,  # the engine's summary.json
    },
    "max_rows": int(os.environ.get("CITYRENEW_UPLOAD_MAX_ROWS", "200000")),  # data rows of one table
    "max_unzipped_bytes": int(os.environ.get("CITYRENEW_UPLOAD_MAX_UNZIPPED_MB", "256")) * _MB,  # xlsx / zip unpacked
    "max_zip_ratio": 100,  # unpacked ÷ packed; a zip bomb reaches ~1000
    "max_zip_members": 1000,
}
# Files past the largest limit are counted, not stored, while they arrive (then refused by size).
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler", "cityrenew.core.uploads.CappedUploadHandler"]
# Security headers. The CSP allows only our own origin: scripts and <style> elements need the
# request's nonce (templates use {{ request.csp_nonce }}), style attributes are allowed; MapLibre
# runs its workers from blob: URLs and draws images from data:/blob:.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "worker-src": [SELF, "blob:"],
        "child-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# The one map's base map (cityrenew/map/basemap.py): "offline" (default: reference layers drawn from the
# database), "tianditu" (天地图 WMTS, with the city's key) or an XYZ tile URL template. A remote base map's
# origin is added to the CSP, so the page may load its tiles.
CITYRENEW_BASEMAP = os.environ.get("CITYRENEW_BASEMAP", "offline").strip() or "offline"
CITYRENEW_TIANDITU_KEY = os.environ.get("CITYRENEW_TIANDITU_KEY", "").strip()
CITYRENEW_BASEMAP_ATTRIBUTION = os.environ.get("CITYRENEW_BASEMAP_ATTRIBUTION", "").strip()


def _basemap_origins() -> list[str]:
    from urllib.parse import urlsplit

    if CITYRENEW_BASEMAP == "tianditu" and CITYRENEW_TIANDITU_KEY:
        return ["https://*.tianditu.gov.cn"]
    if CITYRENEW_BASEMAP.startswith(("http://", "https://")):
        parts = urlsplit(CITYRENEW_BASEMAP)
        return [f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"]  # {s}: the server's subdomains
    return []


for _origin in _basemap_origins():
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["img-src"].append(_origin)
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["connect-src"].append(_origin)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 3600  # one working day
# In production the platform is reached over HTTPS only (directly, or through a reverse proxy on the
# same host: gunicorn trusts its X-Forwarded-Proto). CITYRENEW_HTTPS=0 serves plain HTTP on a closed
# network; `check --deploy` then warns, rightly.
HTTPS = PRODUCTION and os.environ.get("CITYRENEW_HTTPS", "1") == "1"
if HTTPS:
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("CITYRENEW_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
CSRF_FAILURE_VIEW = "cityrenew.core.auth.csrf_failure"
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CITYRENEW_CSRF_TRUSTED_ORIGINS", "").split(",") if o]
