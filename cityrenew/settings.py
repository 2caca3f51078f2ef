"""Django settings for CityRenew.

Configuration comes from the environment:

- ``DATABASE_URL``: default ``sqlite:///cityrenew.sqlite3`` in the current directory;
  ``postgres://user:pass@host:port/name`` for PostgreSQL.
- ``CITYRENEW_DATA_DIR``: where uploads and generated files go (default ``./var``).
- ``CITYRENEW_SECRET_KEY``, ``CITYRENEW_DEBUG``, ``CITYRENEW_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent

SECRET_KEY = os.environ.get("CITYRENEW_SECRET_KEY", "cityrenew-insecure-development-key-change-me")
DEBUG = os.environ.get("CITYRENEW_DEBUG", "1") == "1"
ALLOWED_HOSTS = os.environ.get("CITYRENEW_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

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
    "django_htmx",
    "cityrenew.core",
    "cityrenew.projects",
    "cityrenew.checkup",
    "django_tasks",
    "django_tasks_db",
    "cityrenew.jobs",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the dev server read while an import writes.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", "timeout": 20}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
]

LOGIN_URL = "core:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "core:login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

DATA_DIR = Path(os.environ.get("CITYRENEW_DATA_DIR", Path.cwd() / "var")).resolve()
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
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CITYRENEW_LOG_LEVEL", "WARNING")},
}

# Background jobs (后台任务): django-tasks with its database backend; `cityrenew worker` runs them.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CITYRENEW_JOBS_STALE_AFTER = int(os.environ.get("CITYRENEW_JOBS_STALE_AFTER", 1800))  # s without heartbeat
CITYRENEW_IMPORT_JOB_ROWS = int(os.environ.get("CITYRENEW_IMPORT_JOB_ROWS", 2000))  # larger page imports run as jobs
CITYRENEW_EXPORT_JOB_ROWS = int(os.environ.get("CITYRENEW_EXPORT_JOB_ROWS", 5000))  # larger page exports run as jobs

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
