"""SpatiaLite: switch the spatial index of ``RenewalProject.location`` back on and fill it.

0005 added the column and then removed ``location_json``; on SQLite that removal rebuilds the table, and
the rebuilt table's geometry column was left with ``spatial_index_enabled = 0`` (its R*Tree neither used
nor updated). PostGIS keeps its GiST index through the same migration: nothing to do there.
"""

from django.db import migrations


def enable_index(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT spatial_index_enabled FROM geometry_columns "
            "WHERE f_table_name = 'projects_renewalproject' AND f_geometry_column = 'location'"
        )
        row = cursor.fetchone()
        if row and row[0]:
            return
        # the old R*Tree is stale (not updated since the rebuild): drop it, create the index and fill it
        cursor.execute('DROP TABLE IF EXISTS "idx_projects_renewalproject_location"')
        cursor.execute("SELECT CreateSpatialIndex('projects_renewalproject', 'location')")
        cursor.execute("SELECT RecoverSpatialIndex('projects_renewalproject', 'location')")


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_project_location_geometry")]

    operations = [migrations.RunPython(enable_index, migrations.RunPython.noop)]
