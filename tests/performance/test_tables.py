"""Target tables: targets per year, filing (盖章备案) and the seal, actual values, achievement by direction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cityrenew.core.models import AuditLog
from cityrenew.performance import services
from cityrenew.performance.choices import TableKind, TableState
from cityrenew.performance.models import Indicator, Period, Result, SealedTableError

from .support import filed_table, make_table, pdf, second_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def zz(regions):
    return regions["郑州市"]


def test_overall_table_covers_three_years_and_annual_one(zz):
    overall = make_table(zz, kind=TableKind.OVERALL, year=2025)
    annual = make_table(zz, kind=TableKind.ANNUAL, year=2026)
    assert overall.years() == [2025, 2026, 2027]
    assert annual.years() == [2026]
    assert sorted(Period.objects.filter(indicator__result__table=overall).values_list("year", flat=True)) == [2025, 2026, 2027]
    assert "2025—2027年三年行动总体绩效目标表" in str(overall)


def test_filing_needs_every_target_and_the_scan(zz):
    table = make_table(zz)
    ind = table.indicators().get()
    Period.objects.filter(indicator=ind).update(target=None)
    with pytest.raises(ValidationError) as exc:
        services.file_table(table, None, None)
    messages = exc.value.messages
    assert "指标“改造老旧小区”缺少 2025 年度的目标值" in messages
    assert "请上传加盖城市人民政府公章的目标表扫描件" in messages
    table.refresh_from_db()
    assert table.state == TableState.DRAFT and not table.sealed_scan


def test_filing_refuses_a_scan_that_is_not_what_it_says(zz):
    table = make_table(zz)
    fake = SimpleUploadedFile("盖章.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError) as exc:
        services.file_table(table, None, fake)
    assert "内容是HTML 网页" in "".join(exc.value.messages)
    table.refresh_from_db()
    assert table.state == TableState.DRAFT


def test_empty_table_cannot_be_filed(zz):
    from cityrenew.performance.models import TargetTable

    table = TargetTable(city=zz, kind=TableKind.ANNUAL, year=2025)
    table.save()
    with pytest.raises(ValidationError, match="还没有任何绩效指标"):
        services.file_table(table, None, pdf())


def test_a_filed_table_is_sealed(zz):
    table = filed_table(zz)
    assert table.state == TableState.FILED and table.filed_at is not None
    assert table.sealed_scan.name.startswith("performance/sealed/")
    period = Period.objects.get(indicator__result__table=table)
    period.target = Decimal("5")
    with pytest.raises(SealedTableError, match="已于 .* 盖章备案，目标内容不能再修改"):
        period.save()
    ind = Indicator.objects.get(pk=period.indicator_id)
    ind.name = "改名"
    with pytest.raises(SealedTableError):
        ind.save()
    with pytest.raises(SealedTableError):
        Result(table=table, title="新目标").save()
    with pytest.raises(SealedTableError):
        ind.delete()
    table.title = "改名"
    with pytest.raises(SealedTableError):
        table.save()
    with pytest.raises(SealedTableError):
        table.delete()
    with pytest.raises(ValidationError, match="不能重复备案"):
        services.file_table(table, None, pdf())
    assert Period.objects.get(pk=period.pk).target == Decimal("10")
    assert Indicator.objects.get(pk=ind.pk).name == "改造老旧小区"


def test_actuals_only_on_a_filed_table_never_negative_and_audited(zz, city_admin):
    draft = make_table(zz, year=2026)
    p = Period.objects.get(indicator__result__table=draft)
    with pytest.raises(ValidationError, match="尚未盖章备案"):
        services.record_actual(p, Decimal("3"), "", city_admin)
    table = filed_table(zz)
    period = Period.objects.get(indicator__result__table=table)
    with pytest.raises(ValidationError, match="不能为负数"):
        services.record_actual(period, Decimal("-1"), "", city_admin)
    assert Period.objects.get(pk=period.pk).actual is None
    services.record_actual(period, Decimal("12"), "统计年报", city_admin, evidence=pdf("统计年报.pdf"), evidence_note="年报")
    period.refresh_from_db()
    assert period.actual == Decimal("12") and period.actual_by == city_admin
    assert period.evidence.get().description == "年报"
    entry = AuditLog.for_object(period).filter(action="update").latest("pk")
    assert entry.changes["actual"][1] in ("12", "12.0000", 12)


@pytest.mark.parametrize("direction,actual,achieved", [
    ("increase", "10", True), ("increase", "9.9999", False),
    ("decrease", "10", True), ("decrease", "10.0001", False),
])
def test_achieved_on_both_sides_of_the_target(zz, direction, actual, achieved):
    table = filed_table(zz, indicators=(("指标", "个", direction, "10"),))
    period = Period.objects.get(indicator__result__table=table)
    assert period.achieved is None
    services.record_actual(period, Decimal(actual), "", None)
    assert Period.objects.get(pk=period.pk).achieved is achieved


def test_project_must_belong_to_the_city(zz, regions):
    from cityrenew.performance.models import TargetTable
    from cityrenew.projects.models import RenewalProject

    kf = second_city(regions)
    project = RenewalProject(code="P-KF-1", name="开封项目", city=kf, total_investment=1)
    project.save()
    table = TargetTable(city=zz, kind=TableKind.ANNUAL, year=2025, project=project)
    with pytest.raises(ValidationError, match="不属于郑州市"):
        table.full_clean()


def test_one_city_table_per_kind_and_year(zz):
    from django.db import IntegrityError, transaction

    from cityrenew.performance.models import TargetTable

    make_table(zz)
    with pytest.raises(IntegrityError), transaction.atomic():
        TargetTable(city=zz, kind=TableKind.ANNUAL, year=2025).save()
    assert Result.objects.count() == 1
