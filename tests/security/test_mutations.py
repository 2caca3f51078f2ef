"""Tests that kill the deliberate bugs which survived the suite (issue 7): a funding moved to another
district's project through the API, ``import --update`` outside the user's districts (importer, CLI
and page), an import without its transaction (a real fault injected half-way), and 问题整治完成率
(指标60) ignoring remediation tasks marked 已整治, and its rounding."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection

from cityrenew.core.models import AuditLog
from cityrenew.projects.importer import import_projects
from cityrenew.projects.models import (
    AdjustmentBatch,
    ProjectChange,
    ProjectFunding,
    RenewalProject,
)
from cityrenew.projects.summary import compute_summary

from .conftest import api

pytestmark = pytest.mark.django_db

ProjectDistrict = RenewalProject.districts.through


def state() -> dict:
    """Everything an import writes: row counts and the library's totals."""
    s = compute_summary()
    return {
        "projects": RenewalProject.objects.count(),
        "links": ProjectDistrict.objects.count(),
        "batches": AdjustmentBatch.objects.count(),
        "changes": ProjectChange.objects.count(),
        "audit": AuditLog.objects.count(),
        "total": s["total"],
        "count": s["count"],
        "names": sorted(RenewalProject.objects.values_list("code", "name", "total_investment", "status")),
        "districts": sorted(ProjectDistrict.objects.values_list("renewalproject_id", "region_id")),
    }


# --- (a) a funding moved to another district's project ---------------------------------------------


def test_funding_cannot_be_moved_to_another_districts_project(role_users, small_library):
    own = small_library["zhongyuan_funding"]
    erqi, multi = small_library["erqi"], small_library["multi"]
    c = api(role_users["district_editor"])
    before = state()
    for target in (erqi, multi):  # another district's project; a project spanning other districts
        r = c.patch(f"/api/fundings/{own.pk}/", {"project": target.pk}, format="json")
        assert r.status_code == 403, r.content.decode()
        r = c.put(f"/api/fundings/{own.pk}/", {"project": target.pk, "source": "credit", "amount": "2"}, format="json")
        assert r.status_code == 403, r.content.decode()
    # and not created there either
    r = c.post("/api/fundings/", {"project": erqi.pk, "source": "special_bond", "amount": "1"}, format="json")
    assert r.status_code == 403
    own.refresh_from_db()
    assert own.project_id == small_library["zhongyuan"].pk and own.amount == Decimal(2)
    assert state() == before
    assert ProjectFunding.objects.filter(project=erqi).count() == 1
    # even the city admin does not move a funding between projects (delete and re-enter instead)
    r = api(role_users["city_admin"]).patch(f"/api/fundings/{own.pk}/", {"project": erqi.pk}, format="json")
    assert r.status_code == 403 and "不能移到其他项目" in r.json()["detail"]


# --- (b) import --update outside the user's districts ------------------------------------------------

HEADER = "序号,项目编号,项目名称,项目总投资（亿元）,区域\n"
# K202202001 is a 二七区 project: renaming it, or pulling it into 中原区, is outside the 中原区 editor's scope;
# K202201001 spans 中原区/二七区/金水区… here 中原区/二七区.
OUTSIDE_ROWS = [
    "2,K202202001,二七南部城区项目（被改）,248.79,二七区\n",
    "2,K202202001,二七南部城区项目,248.79,中原区\n",
    "3,K202201001,金水河“一河两岸”项目,400,中原区/二七区\n",
]


@pytest.mark.parametrize("row", OUTSIDE_ROWS)
def test_import_update_outside_the_users_districts_is_refused(row, role_users, small_library):
    before = state()
    report = import_projects(io.StringIO(HEADER + row), user=role_users["district_editor"], update=True)
    assert not report.ok
    assert any("超出您的编辑范围" in str(e) for e in report.errors), report.summary_text()
    assert state() == before


def test_import_update_inside_the_district_passes(role_users, small_library):
    assert small_library["zhongyuan"].seq == 2  # 序号 unchanged: it is the city's (see below)
    report = import_projects(io.StringIO(HEADER + "2,K202201005,芝麻街1958双创园（二期）,50.5,中原区\n"),
                             user=role_users["district_editor"], update=True)
    assert report.ok and report.updated == 1, report.summary_text()
    # …but its workflow fields stay with the city: 片区分组 and 状态 through an import are refused too
    report = import_projects(io.StringIO("项目编号,项目名称,项目总投资（亿元）,区域,项目状态\n"
                                         "K202201005,芝麻街1958双创园（二期）,50.5,中原区,调出\n"),
                             user=role_users["district_editor"], update=True)
    assert not report.ok and "调出" in report.summary_text()
    report = import_projects(io.StringIO(HEADER + "7,K202201005,芝麻街1958双创园（二期）,50.5,中原区\n"),
                             user=role_users["district_editor"], update=True)
    assert not report.ok and "「序号」只能通过调整批次由市级管理员变更" in report.summary_text()
    report = import_projects(io.StringIO(HEADER + "1,K202201005,芝麻街1958双创园（二期）,50.5,中原区\n"),
                             user=role_users["district_editor"], batch_no="区级自拟〔2026〕1号")
    assert not report.ok and "只能由市级管理员登记" in report.summary_text()


def test_cli_import_update_outside_the_users_districts_is_refused(role_users, small_library, tmp_path):
    path = tmp_path / "outside.csv"
    path.write_text(HEADER + OUTSIDE_ROWS[1], encoding="utf-8")
    before = state()
    out = io.StringIO()
    with pytest.raises(CommandError, match="导入失败"):
        call_command("projects", "import", str(path), "--update", "--user", "sec-zhongyuan", stdout=out)
    assert "无权修改项目 K202202001：其所在区域超出您的编辑范围" in out.getvalue()
    assert state() == before


def test_page_import_update_outside_the_users_districts_is_refused(client, role_users, small_library):
    client.force_login(role_users["district_editor"])
    before = state()
    upload = SimpleUploadedFile("outside.csv", (HEADER + OUTSIDE_ROWS[0]).encode("utf-8"), content_type="text/csv")
    r = client.post("/projects/import/", {"file": upload, "batch_no": "", "batch_type": "add", "update": "on"})
    html = r.content.decode()
    assert r.status_code == 400 and "超出您的编辑范围" in html
    assert 'data-testid="confirm-import"' not in html
    # a forged confirm of a dry run that passed for another file cannot commit it either
    ok = SimpleUploadedFile("ok.csv", (HEADER + "1,K202201005,芝麻街1958双创园,50,中原区\n").encode(), content_type="text/csv")
    r = client.post("/projects/import/", {"file": ok, "batch_no": "", "batch_type": "add", "update": "on"})
    token = re.search(r'name="token" value="([^"]+)"', r.content.decode())
    if token:
        client.post("/projects/import/", {"confirm": "1", "token": token.group(1), "update": "on"})
    assert state() == before


# --- (c) an import without its transaction: a real fault half-way ---------------------------------


def _inject_fault_on_batch_journal() -> None:
    """A database trigger that makes the last write of an import (the batch journal) fail."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(
                "CREATE TRIGGER inject_fault BEFORE INSERT ON projects_projectchange "
                "BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
            )
        elif connection.vendor == "postgresql":
            cur.execute(
                "CREATE FUNCTION inject_fault() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END; "
                "$$ LANGUAGE plpgsql"
            )
            cur.execute(
                "CREATE TRIGGER inject_fault BEFORE INSERT ON projects_projectchange "
                "FOR EACH ROW EXECUTE FUNCTION inject_fault()"
            )
        else:  # pragma: no cover
            pytest.fail(f"no fault injection for {connection.vendor}")


def test_fault_half_way_through_an_import_leaves_the_database_unchanged(role_users, small_library):
    rows = (HEADER + "1,K202601001,中原区新项目甲,1.25,中原区\n2,K202601002,二七区新项目乙,2.5,二七区\n"
            "3,K202201005,芝麻街1958双创园（二期）,50.5,中原区\n")
    before = state()
    _inject_fault_on_batch_journal()
    report = import_projects(io.StringIO(rows), user=role_users["city_admin"], batch_no="故障测试〔2026〕1号", update=True)
    # the projects, their districts, their audit rows and the batch were written before the fault…
    assert not report.ok and not report.written
    assert "已全部撤销" in report.summary_text() and "injected fault" in report.summary_text()
    # …and every one of them was rolled back
    assert state() == before
    assert not RenewalProject.objects.filter(code__startswith="K2026").exists()


def test_fault_half_way_through_a_cli_import_leaves_the_database_unchanged(role_users, small_library, tmp_path):
    path = tmp_path / "batch.csv"
    path.write_text(HEADER + "1,K202601001,中原区新项目甲,1.25,中原区\n", encoding="utf-8")
    before = state()
    _inject_fault_on_batch_journal()
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("projects", "import", str(path), "--batch-no", "故障测试〔2026〕2号", "--user", "sec-city", stdout=out)
    assert "已全部撤销" in out.getvalue()
    assert state() == before


# --- (d) and (e) 问题整治完成率 (指标60) ----------------------------------------------------------------
# 《城市体检工作手册（试行）》2025 指标60: 城市体检已完成整治的问题数量 / 城市体检应整治的问题总数 × 100%
# (checkup_indicators_zh.csv); percentages are given to 0.01 %, rounded half up.


@pytest.fixture
def two_years(sets, regions, role_users, units):
    from cityrenew.checkup import services as svc
    from cityrenew.checkup.catalogue import SET_2025

    admin = role_users["city_admin"]
    run25 = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], admin)
    run26 = svc.create_run(regions["郑州市"], 2026, sets[SET_2025], admin)
    return run25, run26


def _record(run, n: int, user, units) -> list:
    from cityrenew.checkup import services as svc

    gas = run.indicator_set.indicators.get(number=2)
    return [svc.record_problem(run, gas, units["T-B01" if i % 2 else "T-B02"], user, description=f"隐患{i}")
            for i in range(n)]


def _indicator60(run26, admin):
    from cityrenew.checkup import services as svc
    from cityrenew.checkup.models import IndicatorValue

    ev = next(e for e in svc.evaluate_run(run26, admin) if e.indicator.number == 60)
    iv = IndicatorValue.objects.get(run=run26, indicator=ev.indicator, unit__isnull=True)
    return ev.value, iv.note


def test_completion_rate_counts_remediation_tasks_marked_fixed(two_years, role_users, units):
    from cityrenew.checkup import services as svc
    from cityrenew.checkup.choices import ProblemStatus

    run25, run26 = two_years
    admin = role_users["city_admin"]
    problems = _record(run25, 4, role_users["surveyor"], units)
    task = svc.problems_to_task(problems[:3], admin)
    assert {p.status for p in task.problems.all()} == {ProblemStatus.IN_PROGRESS}
    assert svc.completion_rate(run26) == (Decimal("0.00"), 0, 4)
    # the remediation task is marked 已整治: its 3 problems are fixed, though each still says 整治中
    svc.set_remediation_status(task, ProblemStatus.FIXED, admin)
    assert {p.status for p in task.problems.all()} == {ProblemStatus.IN_PROGRESS}
    assert svc.completion_rate(run26) == (Decimal("75.00"), 3, 4)
    assert _indicator60(run26, admin) == (Decimal("75.00"), "上年问题4个，已整治3个")
    # back to 整治中: no longer counted
    svc.set_remediation_status(task, ProblemStatus.IN_PROGRESS, admin)
    assert svc.completion_rate(run26) == (Decimal("0.00"), 0, 4)


def test_completion_rate_rounds_half_up_to_a_hundredth_of_a_percent(two_years, role_users, units):
    from cityrenew.checkup import services as svc
    from cityrenew.checkup.choices import ProblemStatus

    run25, run26 = two_years
    admin, surveyor = role_users["city_admin"], role_users["surveyor"]
    problems = _record(run25, 32, surveyor, units)
    task = svc.problems_to_task(problems[:1], admin)
    svc.set_remediation_status(task, ProblemStatus.FIXED, admin)
    # 1/32 = 3.125 % exactly, on the boundary: half up gives 3.13 (half-even and truncation give 3.12)
    assert svc.completion_rate(run26) == (Decimal("3.13"), 1, 32)
    assert _indicator60(run26, admin)[0] == Decimal("3.13")
    svc.set_problem_status(problems[1], ProblemStatus.FIXED, admin)
    svc.set_problem_status(problems[2], ProblemStatus.FIXED, admin)
    # 3/32 = 9.375 % → 9.38
    assert svc.completion_rate(run26) == (Decimal("9.38"), 3, 32)
    # one more problem: 3/33 = 9.0909… % → 9.09, just below a boundary (rounding up would give 9.10)
    _record(run25, 1, surveyor, units)
    assert svc.completion_rate(run26) == (Decimal("9.09"), 3, 33)
    # 17/33 = 51.5151… % → 51.52 (truncation would give 51.51)
    for p in problems[3:17]:
        svc.set_problem_status(p, ProblemStatus.FIXED, admin)
    assert svc.completion_rate(run26) == (Decimal("51.52"), 17, 33)
    assert _indicator60(run26, admin)[0] == Decimal("51.52")


# --- (c) the check-up imports: the same all-or-nothing under a fault -------------------------------


def _fail_on_insert(table: str, column: str, value: str) -> None:
    """A trigger that fails the insert of one row (``column = value``): a fault in the middle of a file."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute(f"CREATE TRIGGER inject_fault_{table} BEFORE INSERT ON {table} WHEN CAST(NEW.{column} AS TEXT) = '{value}' "
                        "BEGIN SELECT RAISE(ABORT, 'injected fault'); END")
        elif connection.vendor == "postgresql":
            cur.execute(f"CREATE FUNCTION inject_fault_{table}() RETURNS trigger AS $$ BEGIN "
                        f"IF NEW.{column}::text = '{value}' THEN RAISE EXCEPTION 'injected fault'; END IF; RETURN NEW; END; "
                        "$$ LANGUAGE plpgsql")
            cur.execute(f"CREATE TRIGGER inject_fault_{table} BEFORE INSERT ON {table} FOR EACH ROW "
                        f"EXECUTE FUNCTION inject_fault_{table}()")
        else:  # pragma: no cover
            pytest.fail(f"no fault injection for {connection.vendor}")


def test_fault_half_way_through_a_unit_import_leaves_the_database_unchanged(regions, role_users):
    from cityrenew.checkup.models import AssessmentUnit
    from cityrenew.checkup.services import import_units_excel
    from tests.checkup.conftest import UNIT_HEADERS, UNITS, xlsx_bytes

    logs = AuditLog.objects.count()
    _fail_on_insert("checkup_assessmentunit", "code", UNITS[-1][0])  # the last of 7 rows
    report = import_units_excel(io.BytesIO(xlsx_bytes(UNIT_HEADERS, UNITS)), regions["郑州市"], role_users["city_admin"])
    assert not report.ok and "已全部撤销" in report.summary_text(), report.summary_text()
    assert (report.created, AssessmentUnit.objects.count(), AuditLog.objects.count()) == (0, 0, logs)


def test_fault_half_way_through_a_department_upload_leaves_the_database_unchanged(sets, regions, role_users, units, dept_user):
    from openpyxl import load_workbook

    from cityrenew.checkup import services as svc
    from cityrenew.checkup.catalogue import SET_2025
    from cityrenew.checkup.models import IndicatorValue
    from tests.checkup.conftest import fill_template, to_bytes

    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], role_users["city_admin"])
    housing = run.tasks.get(department="housing")
    clerk = dept_user("fault-housing", housing.organisation)
    wb = load_workbook(io.BytesIO(to_bytes(svc.department_template(housing))))
    indicators = sorted(housing.indicators.all(), key=lambda i: i.number)
    fill_template(wb, value_for=lambda ind: 7, indicators=indicators)
    ws = wb["填报表"]
    c_num = [c.value for c in ws[3]].index("序号") + 1
    numbers = [ws.cell(row=r, column=c_num).value for r in range(4, ws.max_row + 1)]
    last = next(i for i in indicators if i.number == [n for n in numbers if n is not None][-1])
    logs = AuditLog.objects.count()
    _fail_on_insert("checkup_indicatorvalue", "indicator_id", str(last.pk))  # the file's last indicator
    report = svc.upload_department_values(housing, io.BytesIO(to_bytes(wb)), clerk)
    assert not report.ok and "已全部撤销" in str(report.errors[-1]), [str(e) for e in report.errors]
    assert IndicatorValue.objects.filter(run=run).count() == 0 and AuditLog.objects.count() == logs
