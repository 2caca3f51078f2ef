"""Project location: from GeoJSON text to a spatial column (point or area, WGS84, spatial index)."""

import django.contrib.gis.db.models.fields
from django.db import migrations, models


def forwards(apps, schema_editor):
    from cityrenew.core.geo import GeometryError, check

    Project = apps.get_model("projects", "RenewalProject")
    for project in Project.objects.exclude(location_json=None).iterator():
        try:
            checked = check(project.location_json)
        except GeometryError as exc:
            print(f"  项目 {project.code}：位置无法转换（{exc}），已清空")
            checked = None
        Project.objects.filter(pk=project.pk).update(location=checked.geometry if checked else None)


def backwards(apps, schema_editor):
    import json

    Project = apps.get_model("projects", "RenewalProject")
    for project in Project.objects.exclude(location=None).iterator():
        Project.objects.filter(pk=project.pk).update(location_json=json.loads(project.location.json))


class Migration(migrations.Migration):
    dependencies = [("projects", "0004_row_version")]

    operations = [
        migrations.RenameField("renewalproject", "location", "location_json"),
        migrations.AddField(
            model_name="renewalproject",
            name="location",
            field=django.contrib.gis.db.models.fields.GeometryField(
                blank=True, help_text="点（项目位置）或面（项目范围）", null=True, srid=4326, verbose_name="位置或范围（WGS84）"
            ),
        ),
        migrations.AddField(
            model_name="renewalproject",
            name="location_source",
            field=models.CharField(blank=True, max_length=200, verbose_name="位置来源"),
        ),
        migrations.RunPython(forwards, backwards),
        migrations.RemoveField("renewalproject", "location_json"),
    ]
