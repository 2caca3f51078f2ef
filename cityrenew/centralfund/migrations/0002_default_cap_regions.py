"""Load the default province → region table for the subsidy caps (data/cap_regions.csv; see rules.py)."""

from django.db import migrations


def load(apps, schema_editor):
    from cityrenew.centralfund.rules import default_regions

    model = apps.get_model("centralfund", "ProvinceCapRegion")
    have = set(model.objects.values_list("province", flat=True))
    model.objects.bulk_create([model(province=r.province, region=r.region, basis=r.basis)
                               for r in default_regions() if r.province not in have])


class Migration(migrations.Migration):
    dependencies = [("centralfund", "0001_central_fund")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
