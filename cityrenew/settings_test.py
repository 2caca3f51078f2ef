"""Settings for the test suite and `make bench`: production settings, except served over plain HTTP with a throwaway key.

DEBUG stays off (pytest-django forces it off too), so tests see the pages, headers and errors a city
sees; only the HTTPS redirect and secure cookies are left out, since the test client and the live
server speak plain HTTP. The environment is set here, so the ``cityrenew`` subprocesses that tests
start inherit it. ``tests/core/test_production.py`` checks the real production settings.
"""

import os

os.environ.setdefault("CITYRENEW_SECRET_KEY", "cityrenew-test-suite-only-" + "k" * 40)
os.environ.setdefault("CITYRENEW_HTTPS", "0")

from cityrenew.settings import *  # noqa: E402,F403

if DATABASES["default"]["ENGINE"] == "django.contrib.gis.db.backends.spatialite":  # noqa: F405
    # In-memory test databases, as for plain SQLite (pytest-django recognises only the sqlite3 engine name).
    DATABASES["default"].setdefault("TEST", {})["NAME"] = ":memory:"  # noqa: F405
