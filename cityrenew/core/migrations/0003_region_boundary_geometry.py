"""Region boundaries move from GeoJSON text to a spatial column (MultiPolygon, WGS84, spatial index).

Existing GeoJSON is converted in place; an invalid polygon is repaired (MakeValid), a boundary that cannot
be read is dropped with its name printed, so the migration never stops half-way.
"""

import django.contrib.gis.db.models.fields
from django.db import migrations


def forwards(apps, schema_editor):
    from cityrenew.core.geo import GeometryError, as_multipolygon, check

    Region = apps.get_model("core", "Region")
    for region in Region.objects.exclude(boundary_json=None).iterator():
        try:
            checked = check(region.boundary_json, polygonal=True)
            geom = as_multipolygon(checked.geometry) if checked else None
        except GeometryError as exc:
            print(f"  行政区划 {region.code} {region.name}：边界无法转换（{exc}），已清空")
            geom = None
        Region.objects.filter(pk=region.pk).update(boundary=geom)


def backwards(apps, schema_editor):
    import json

    Region = apps.get_model("core", "Region")
    for region in Region.objects.exclude(boundary=None).iterator():
        Region.objects.filter(pk=region.pk).update(boundary_json=json.loads(region.boundary.json))


class Migration(migrations.Migration):
    dependencies = [("core", "0002_row_version")]

    operations = [
        migrations.RenameField("region", "boundary", "boundary_json"),
        migrations.AddField(
            model_name="region",
            name="boundary",
            field=django.contrib.gis.db.models.fields.MultiPolygonField(blank=True, null=True, srid=4326, verbose_name="边界（WGS84）"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField("region", "boundary_json"),
    ]
