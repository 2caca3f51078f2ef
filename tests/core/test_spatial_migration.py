"""The data migration from GeoJSON text to spatial columns: every geometry arrives, an invalid polygon is
repaired, and the way back restores GeoJSON (run on the suite's database, SpatiaLite or PostGIS)."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("core", "0002_row_version"), ("projects", "0004_row_version"), ("checkup", "0004_row_version")]
BOWTIE = {"type": "Polygon", "coordinates": [[[113.60, 34.70], [113.62, 34.72], [113.62, 34.70], [113.60, 34.72], [113.60, 34.70]]]}
SQUARE = {"type": "Polygon", "coordinates": [[[113.60, 34.70], [113.61, 34.70], [113.61, 34.71], [113.60, 34.71], [113.60, 34.70]]]}


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_geojson_moves_into_spatial_columns_and_back():
    latest = [key for key in MigrationExecutor(connection).loader.graph.leaf_nodes()]
    try:
        old = _migrate(BEFORE)
        Region = old.get_model("core", "Region")
        Region.objects.create(code="T1", name="方块区", level="district", kind="district", path="T1", boundary=SQUARE)
        Region.objects.create(code="T2", name="自交区", level="district", kind="district", path="T2", boundary=BOWTIE)
        Region.objects.create(code="T3", name="无边界区", level="district", kind="district", path="T3")

        new = _migrate(latest)
        Region = new.get_model("core", "Region")
        square = Region.objects.get(code="T1").boundary
        assert square.geom_type == "MultiPolygon" and square.srid == 4326
        assert square.num_coords == 5 and abs(square.area - 0.0001) < 1e-12
        bowtie = Region.objects.get(code="T2").boundary
        assert bowtie.valid and bowtie.geom_type == "MultiPolygon" and len(bowtie) == 2  # repaired into two triangles
        assert Region.objects.get(code="T3").boundary is None
        # spatial SQL on the migrated column
        assert list(Region.objects.filter(boundary__contains="POINT(113.605 34.705)").values_list("code", flat=True)) == ["T1"]

        back = _migrate(BEFORE)
        Region = back.get_model("core", "Region")
        restored = Region.objects.get(code="T1").boundary
        restored = json.loads(restored) if isinstance(restored, str) else restored
        assert restored["type"] == "MultiPolygon" and restored["coordinates"][0] == SQUARE["coordinates"]
    finally:
        _migrate(latest)
