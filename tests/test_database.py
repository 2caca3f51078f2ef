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


@pytest.mark.django_db
def test_the_database_is_spatial_and_answers_spatial_sql():
    """SpatiaLite is loaded into SQLite, PostGIS is installed in PostgreSQL: the server computes the area."""
    from cityrenew.core.models import Region

    assert connection.ops.spatial_version  # GeoDjango read the extension's version from the server
    square = "POLYGON((113.60 34.70, 113.61 34.70, 113.61 34.71, 113.60 34.71, 113.60 34.70))"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT postgis_lib_version(), ST_Area(ST_GeomFromText(%s, 4326)::geography)", [square])
        else:
            cursor.execute("SELECT spatialite_version(), ST_Area(ST_GeomFromText(%s, 4326), 1)", [square])
        version, area = cursor.fetchone()
    assert version
    # 0.01° × 0.01° at 34.7°N on the WGS84 ellipsoid: ≈ 1,109 m × 915 m
    assert 1.00e6 < area < 1.03e6
    # the boundary column has a spatial index the query planner can use
    table = Region._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = %s AND indexdef ILIKE '%%gist%%boundary%%'", [table])
        else:
            cursor.execute("SELECT count(*) FROM geometry_columns WHERE f_table_name = %s AND f_geometry_column = 'boundary' AND spatial_index_enabled = 1", [table])
        assert cursor.fetchone()[0] == 1
