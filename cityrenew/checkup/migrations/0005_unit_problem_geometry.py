"""Check-up units and field problems: geometry from GeoJSON text to spatial columns (WGS84, spatial index)."""

import django.contrib.gis.db.models.fields
from django.db import migrations


def _convert(model, old: str, new: str, label: str) -> None:
    from cityrenew.core.geo import GeometryError, check

    for obj in model.objects.exclude(**{old: None}).iterator():
        try:
            checked = check(getattr(obj, old))
        except GeometryError as exc:
            print(f"  {label} {obj.pk}：几何无法转换（{exc}），已清空")
            checked = None
        model.objects.filter(pk=obj.pk).update(**{new: checked.geometry if checked else None})


def forwards(apps, schema_editor):
    _convert(apps.get_model("checkup", "AssessmentUnit"), "geometry_json", "geometry", "体检单元")
    _convert(apps.get_model("checkup", "FieldProblem"), "location_json", "location", "现场问题")


def backwards(apps, schema_editor):
    import json

    for name, old, new in (("AssessmentUnit", "geometry", "geometry_json"), ("FieldProblem", "location", "location_json")):
        model = apps.get_model("checkup", name)
        for obj in model.objects.exclude(**{old: None}).iterator():
            model.objects.filter(pk=obj.pk).update(**{new: json.loads(getattr(obj, old).json)})


class Migration(migrations.Migration):
    dependencies = [("checkup", "0004_row_version")]

    operations = [
        migrations.RenameField("assessmentunit", "geometry", "geometry_json"),
        migrations.RenameField("fieldproblem", "location", "location_json"),
        migrations.AddField(
            model_name="assessmentunit",
            name="geometry",
            field=django.contrib.gis.db.models.fields.GeometryField(blank=True, null=True, srid=4326, verbose_name="几何（WGS84）"),
        ),
        migrations.AddField(
            model_name="fieldproblem",
            name="location",
            field=django.contrib.gis.db.models.fields.GeometryField(blank=True, null=True, srid=4326, verbose_name="位置（WGS84）"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField("assessmentunit", "geometry_json"),
        migrations.RemoveField("fieldproblem", "location_json"),
    ]
