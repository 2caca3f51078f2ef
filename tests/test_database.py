"""Which database the suite really runs on. CI's second run sets ``CITYRENEW_EXPECT_DB=postgresql``:
if that run silently fell back to SQLite, this test fails instead of passing the suite twice on SQLite."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from conftest import ON_POSTGRES


@pytest.mark.django_db
def test_the_suite_runs_on_the_expected_database(scratch_db):
    expected = os.environ.get("CITYRENEW_EXPECT_DB") or ("postgresql" if ON_POSTGRES else "sqlite")
    assert connection.vendor == expected
    with connection.cursor() as cursor:  # a query the server itself answers
        cursor.execute("SELECT version()" if expected == "postgresql" else "SELECT sqlite_version()")
        assert cursor.fetchone()[0]
    # the scratch databases of the console-script tests are of the same kind
    assert scratch_db().vendor == expected
