"""Builders for the performance tests: real rows in the real test database, real PDF/PNG bytes."""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

PDF = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\n"
       b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")


def pdf(name: str = "盖章扫描件.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def make_table(city, kind: str = "annual", year: int = 2025, indicators=(("改造老旧小区", "个", "increase", "10"),),
               project=None):
    """A draft table with one result and the given indicators, each with ``target`` in every year of the table."""
    from cityrenew.performance import services
    from cityrenew.performance.models import Indicator, Result, TargetTable

    table = TargetTable(city=city, kind=kind, year=year, project=project)
    table.save()
    result = Result(table=table, title="老旧片区宜居环境建设取得明显成效")
    result.save()
    for n, (name, unit, direction, target) in enumerate(indicators):
        ind = Indicator(result=result, name=name, unit=unit, direction=direction, order=n)
        ind.save()
        services.set_targets(ind, Decimal("0"), {y: Decimal(target) for y in table.years()})
    return table


def filed_table(city, **kwargs):
    from cityrenew.performance import services

    table = make_table(city, **kwargs)
    services.file_table(table, None, pdf())
    table.refresh_from_db()
    return table


def second_city(regions):
    """开封市 (410200) beside 郑州市 under 河南省, with one district: the region tree ships Zhengzhou only."""
    from cityrenew.core.models import Region

    zz = regions["郑州市"]
    kf, _ = Region.objects.get_or_create(code="410200", defaults={"name": "开封市", "level": "city", "kind": zz.kind,
                                                                  "parent": zz.parent})
    Region.objects.get_or_create(code="410202", defaults={"name": "龙亭区", "level": "district", "kind": "urban_district",
                                                          "parent": kf})
    return kf
