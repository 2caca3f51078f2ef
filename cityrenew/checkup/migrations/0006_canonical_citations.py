"""Indicator sets and indicators cite articles by their canonical ref (cityrenew/policies/models.py).

The national sets and indicators (and local copies of them) stored the article as free text
(“附件一 基础指标一览表”, “指标13 + 附件一”); the policy library resolves ``指标13`` and
``第一章三、（二）`` (the manual's paragraph that sets up the 60 basic indicators and four dimensions), and
the 2024 list as the run ``指标1至指标61``.
"""

import re

from django.db import migrations

SET_ARTICLES = {
    ("MOHURD-CHECKUP-2025", "附件一 基础指标一览表"): "第一章三、（二）",
    ("MOHURD-CHECKUP-2024", "基础指标一览表（61项）"): "指标1至指标61",  # the whole list: a run of articles
}
OLD_INDICATOR = re.compile(r"^(指标\d+) \+ 附件一$")


def forwards(apps, schema_editor):
    IndicatorSet = apps.get_model("checkup", "IndicatorSet")
    Indicator = apps.get_model("checkup", "Indicator")
    for (doc, old), new in SET_ARTICLES.items():
        IndicatorSet.objects.filter(source_document=doc, source_article=old).update(source_article=new)
    for ind in Indicator.objects.filter(source_document="MOHURD-CHECKUP-2025", source_article__endswith=" + 附件一"):
        m = OLD_INDICATOR.match(ind.source_article)
        if m:
            Indicator.objects.filter(pk=ind.pk).update(source_article=m.group(1))


def backwards(apps, schema_editor):
    IndicatorSet = apps.get_model("checkup", "IndicatorSet")
    Indicator = apps.get_model("checkup", "Indicator")
    for (doc, old), new in SET_ARTICLES.items():
        IndicatorSet.objects.filter(source_document=doc, source_article=new).update(source_article=old)
    for ind in Indicator.objects.filter(source_document="MOHURD-CHECKUP-2025", source_article__regex=r"^指标\d+$"):
        Indicator.objects.filter(pk=ind.pk).update(source_article=f"{ind.source_article} + 附件一")


class Migration(migrations.Migration):
    dependencies = [("checkup", "0005_unit_problem_geometry")]
    operations = [migrations.RunPython(forwards, backwards)]
