"""A full check-up run: tasks per department, templates filled in Excel and uploaded, field problems,
evaluation against the standard and last year, problem list export, problem → project → 竣工 →
next year's 问题整治完成率."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2024, SET_2025
from cityrenew.checkup.choices import ProblemStatus, TaskStatus, Trend, ValueSource, Verdict
from cityrenew.checkup.models import FieldProblem, IndicatorValue, TaskReview
from cityrenew.checkup.services.exports import PROBLEM_HEADERS, TABLE_START_ROW
from cityrenew.core.models import AuditLog
from cityrenew.projects.choices import ProjectStatus
from cityrenew.projects.models import RenewalProject

from .conftest import fill_template, plausible, reopen, to_bytes

pytestmark = pytest.mark.django_db


def fill_and_upload_all(run, dept_user, value_for=plausible):
    """Every department downloads its template, types values and uploads it as its own user."""
    reports = {}
    for task in run.tasks.select_related("organisation"):
        user = dept_user(f"dept{task.pk}", task.organisation)
        wb = fill_template(reopen(svc.department_template(task)), value_for, list(task.indicators.all()))
        report = svc.upload_department_values(task, io.BytesIO(to_bytes(wb)), user)
        assert report.ok, report.summary_text()
        reports[task.department] = (report, user)
    return reports


def test_create_run_makes_one_task_per_department(sets, regions, city_admin):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    tasks = list(run.tasks.select_related("organisation"))
    assert sum(t.indicators.count() for t in tasks) == 60
    names = {t.organisation.name for t in tasks}
    assert {"郑州市教育局", "郑州市住房和城乡建设局", "郑州市燃气主管部门", "郑州市民政局"} <= names
    edu = run.tasks.get(organisation__name="郑州市教育局")
    assert sorted(edu.indicators.values_list("number", flat=True)) == [12, 13, 22]
    assert all(t.status == TaskStatus.PENDING for t in tasks)
    with pytest.raises(svc.CheckupError, match="已存在"):
        svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)


def test_template_lists_the_departments_indicators_per_unit(sets, regions, city_admin, units):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    edu = run.tasks.get(organisation__name="郑州市教育局")
    wb = reopen(svc.department_template(edu))
    ws = wb["填报表"]
    header = [c.value for c in ws[3]]
    rows = [dict(zip(header, [c.value for c in r])) for r in ws.iter_rows(min_row=4) if r[1].value is not None]
    # 12 is computed from problems (no row); 13 per 小区 (2 units); 22 city-wide
    assert [(r["序号"], r["单元编码"] or "") for r in rows] == [(13, "T-X01"), (13, "T-X02"), (22, "")]
    assert rows[2]["计量单位"] == "%" and rows[2]["指标名称"] == "中学服务半径覆盖率"
    assert ws.column_dimensions["A"].hidden and ws.protection.sheet
    assert "说明" in wb.sheetnames and "体检单元" in wb.sheetnames
    info = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    assert "系统根据现场问题记录自动计算" in info  # indicator 12


def test_full_run(sets, regions, city_admin, units, dept_user, make_user):
    zz = regions["郑州市"]
    run = svc.create_run(zz, 2025, sets[SET_2025], city_admin)
    reports = fill_and_upload_all(run, dept_user)
    # every reported row got exactly one value
    expected = sum(len(svc.expected_rows(t)) for t in run.tasks.all())
    assert IndicatorValue.objects.filter(run=run, source=ValueSource.REPORTED).count() == expected
    assert svc.completeness(run)["percent"] == 100.0
    # uploading the same file again changes nothing
    water = run.tasks.get(department="water")
    wb = fill_template(reopen(svc.department_template(water)), plausible, list(water.indicators.all()))
    again = svc.upload_department_values(water, io.BytesIO(to_bytes(wb)), reports["water"][1])
    assert again.ok and again.created == again.updated == 0 and again.unchanged == 4

    # surveyors record field problems
    surveyor = make_user("surveyor1", "surveyor", "410100")
    s25 = sets[SET_2025]
    gas, structure, elderly, site = (s25.indicators.get(number=n) for n in (2, 1, 10, 17))
    b1, b2, b3, x1 = units["T-B01"], units["T-B02"], units["T-B03"], units["T-X01"]
    p_gas1 = svc.record_problem(run, gas, b1, surveyor, sub_problem="2.2.1", description="燃气立管锈蚀严重")
    p_gas2 = svc.record_problem(run, gas, b2, surveyor, sub_problem="2.2.1", description="引入管破损")
    svc.record_problem(run, structure, b1, surveyor, sub_problem="2.1.1", description="楼梯间墙体贯穿裂缝")
    svc.record_problem(run, structure, b1, surveyor, sub_problem="2.1.3", description="砂浆粉化")
    svc.record_problem(run, elderly, b3, surveyor, sub_problem="10.1", description="社区无日间照料中心")
    svc.record_problem(run, site, x1, surveyor, sub_problem="17.3", severity="serious", description="健身器材破损")
    assert p_gas1.severity == "severe" and p_gas1.lon == pytest.approx(113.6201)

    evals = {e.indicator.number: e for e in svc.evaluate_run(run, city_admin)}
    assert len(evals) == 60
    # counts computed from the records: buildings with gas / structure problems, 小区 with problems
    assert evals[2].value == 2 and evals[1].value == 1 and evals[10].value == 1 and evals[17].value == 1
    assert IndicatorValue.objects.get(run=run, indicator=gas, unit=None).source == ValueSource.COMPUTED
    # 指标30 污水集中收集率 was typed as 80+30%15 = 80 ≥ 70 → 达标
    assert evals[30].value == 80 and evals[30].verdict == Verdict.PASS
    assert evals[55].verdict == Verdict.NO_STANDARD  # threshold depends on the city class
    assert evals[60].verdict == Verdict.MISSING and evals[60].value is None  # no 2024 run yet
    assert all(e.trend == Trend.NOT_COMPARABLE for e in evals.values())

    # the problem list (xlsx) has one row per record
    wb = load_workbook(io.BytesIO(to_bytes(svc.problem_list_workbook(run))))
    ws = wb.active
    assert [c.value for c in ws[TABLE_START_ROW]] == PROBLEM_HEADERS
    body = [[c.value for c in r] for r in ws.iter_rows(min_row=TABLE_START_ROW + 1) if r[0].value is not None]
    assert len(body) == FieldProblem.objects.filter(run=run).count() == 6
    gas_row = next(r for r in body if r[11] == pytest.approx(113.6201) and "燃气" in r[2])
    assert gas_row[4] == "中原区" and gas_row[6] == "绿东村街区" and gas_row[7] == "伏牛路小区" and gas_row[8] == "伏牛路小区1号楼"
    assert gas_row[9] == "严重"
    rem = load_workbook(io.BytesIO(to_bytes(svc.remediation_list_workbook(run)))).active
    rem_header = [c.value for c in rem[TABLE_START_ROW]]
    assert rem_header[:10] == ["序号", "问题类型", "指标", "所在街区", "小区", "楼栋", "严重程度", "问题描述", "整治建议", "责任单位"]
    first = [c.value for c in rem[TABLE_START_ROW + 1]]
    assert "燃气" in first[1] or "结构" in first[2]

    # two gas problems become a draft project in the library; each keeps the link back
    project = svc.problems_to_project(FieldProblem.objects.filter(pk__in=[p_gas1.pk, p_gas2.pk]), city_admin)
    assert project.code == "K202599001" and project.status == ProjectStatus.PLANNING
    assert list(project.districts.values_list("name", flat=True)) == ["中原区"]
    assert RenewalProject.objects.filter(code="K202599001").exists()
    assert set(project.checkup_problems.values_list("pk", flat=True)) == {p_gas1.pk, p_gas2.pk}
    p_gas1.refresh_from_db()
    assert p_gas1.project == project and p_gas1.status == ProblemStatus.IN_PROGRESS
    with pytest.raises(svc.CheckupError, match="已关联项目"):
        svc.problems_to_project([p_gas1], city_admin)
    # a remediation task for the structural problems
    task = svc.problems_to_task(FieldProblem.objects.filter(run=run, indicator=structure), city_admin)
    assert task.organisation.name == "郑州市住房和城乡建设局" and task.problems.count() == 2
    assert AuditLog.for_object(project).filter(action="create").exists()

    # next year: nothing fixed yet → 0 %; the project is completed (竣工) → its 2 problems count
    run26 = svc.create_run(zz, 2026, sets[SET_2025], city_admin)
    ev60 = next(e for e in svc.evaluate_run(run26, city_admin) if e.indicator.number == 60)
    assert ev60.value == Decimal("0")
    project.status = ProjectStatus.COMPLETED
    project.save()
    ev60 = next(e for e in svc.evaluate_run(run26, city_admin) if e.indicator.number == 60)
    assert ev60.value == Decimal("33.33")  # 2 of the 6 problems of 2025
    assert svc.completion_rate(run26) == (Decimal("33.33"), 2, 6)
    # marking a problem 已整治 directly counts too
    svc.set_problem_status(FieldProblem.objects.get(run=run, indicator=site), ProblemStatus.FIXED)
    assert svc.completion_rate(run26)[0] == Decimal("50.00")


def test_trend_against_last_year_through_the_mapping(sets, regions, city_admin, units, dept_user):
    zz = regions["郑州市"]
    run24 = svc.create_run(zz, 2024, sets[SET_2024], city_admin)
    fill_and_upload_all(run24, dept_user, lambda i: 70 if i.unit == "%" else 5)
    svc.evaluate_run(run24, city_admin)
    run25 = svc.create_run(zz, 2025, sets[SET_2025], city_admin)
    for task in run25.tasks.select_related("organisation"):
        user = dept_user(f"d25-{task.pk}", task.organisation)
        wb = fill_template(reopen(svc.department_template(task)), lambda i: 75 if i.unit == "%" else 5, list(task.indicators.all()))
        assert svc.upload_department_values(task, io.BytesIO(to_bytes(wb)), user).ok
    evals = {e.indicator.number: e for e in svc.evaluate_run(run25, city_admin)}
    # 2025 #30 污水集中收集率 ← 2024 #31, same name: 70 → 75 is better
    assert evals[30].previous_value == 70 and evals[30].trend == Trend.BETTER
    # renamed 2024 #53 老旧燃气管网改造完成率 → 2025 #52: comparable
    assert evals[52].trend == Trend.BETTER
    # 2025 #33 replaced 2024 #34 (人均体育场地面积): not comparable
    assert evals[33].trend == Trend.NOT_COMPARABLE and evals[33].previous_value is None
    # 2025 #48 drainage capacity changed its unit: not comparable
    assert evals[48].trend == Trend.NOT_COMPARABLE
    # count of 个 stayed 5 → 持平 (指标31 黑臭水体 ← 2024 #32)
    assert evals[31].trend == Trend.SAME
    # a worse value gets a warning
    v = IndicatorValue.objects.get(run=run25, indicator__number=30)
    v.value = Decimal("65")
    v.save()
    ev = next(e for e in svc.evaluate_run(run25, city_admin) if e.indicator.number == 30)
    assert ev.verdict == Verdict.FAIL and ev.trend == Trend.WORSE
    assert "未达标：65%，标准≥70%" in ev.warning and "较上年恶化（上年70%）" in ev.warning


def test_engine_results_become_spatial_values(sets, regions, city_admin):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    summary = {"checkup_values": [
        {"indicator_number": 22, "code": "I22_MIDDLE_1000", "value": 91.25, "unit": "%", "basis": "小区个数"},
        {"indicator_number": 13, "code": "I13_PRIMARY_500", "value": 88.0, "unit": "%", "basis": "小区个数"},
        {"indicator_number": 35, "code": "I35_ROAD_DENSITY", "value": 7.4, "unit": "千米/平方千米", "basis": "建成区"},
    ]}
    out = svc.attach_engine_results(run, summary, city_admin)
    assert [a["number"] for a in out["attached"]] == [22, 35]
    assert out["skipped"][0]["code"] == "I13_PRIMARY_500"
    v = IndicatorValue.objects.get(run=run, indicator__number=22)
    assert v.value == Decimal("91.25") and v.source == ValueSource.SPATIAL
    ev = {e.indicator.number: e for e in svc.evaluate_run(run)}
    assert ev[35].value == Decimal("7.4") and ev[35].verdict == Verdict.FAIL  # < 8 km/km²


def test_review_workflow_keeps_every_return_reason(sets, regions, city_admin, units, dept_user):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    water = run.tasks.get(department="water")
    clerk = dept_user("water-clerk", water.organisation)
    reviewer = dept_user("reviewer1", None, role="dept_reviewer")
    with pytest.raises(svc.CheckupError, match="还有4项未填报"):
        svc.submit_task(water, clerk)
    wb = fill_template(reopen(svc.department_template(water)), plausible, list(water.indicators.all()))
    assert svc.upload_department_values(water, io.BytesIO(to_bytes(wb)), clerk).ok
    svc.submit_task(water, clerk)
    # a submitted task cannot be changed
    rep = svc.upload_department_values(water, io.BytesIO(to_bytes(wb)), clerk)
    assert not rep.ok and "已提交" in rep.messages[0]
    with pytest.raises(svc.CheckupError, match="退回原因"):
        svc.return_task(water, reviewer, "  ")
    with pytest.raises(svc.CheckupError, match="审核"):
        svc.return_task(water, clerk, "自己退回")
    svc.return_task(water, reviewer, "污水集中收集率与统计年鉴不一致，请核实")
    svc.set_value(water, water.indicators.get(number=30), None, "72.5", clerk)
    svc.submit_task(water, clerk)
    svc.return_task(water, reviewer, "缺少应急供水保障率的佐证材料")
    svc.submit_task(water, clerk)
    svc.accept_task(water, reviewer, "同意")
    water.refresh_from_db()
    assert water.status == TaskStatus.ACCEPTED
    history = list(TaskReview.objects.filter(task=water).values_list("action", "reason"))
    assert history == [
        ("submit", ""), ("return", "污水集中收集率与统计年鉴不一致，请核实"), ("submit", ""),
        ("return", "缺少应急供水保障率的佐证材料"), ("submit", ""), ("accept", "同意"),
    ]
    # the reason changes are in the audit log as well
    logged = [log.changes.get("return_reason") for log in AuditLog.for_object(water) if "return_reason" in log.changes]
    assert [c[1] for c in logged][::-1] == ["污水集中收集率与统计年鉴不一致，请核实", "缺少应急供水保障率的佐证材料"]


def test_department_user_sees_and_fills_only_its_own_indicators(sets, regions, city_admin, units, dept_user, viewer):
    run = svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)
    edu = run.tasks.get(department="education")
    water = run.tasks.get(department="water")
    teacher = dept_user("edu-clerk", edu.organisation)
    assert list(svc.visible_tasks(teacher, run)) == [edu]
    assert sorted(svc.visible_indicators(teacher, run).values_list("number", flat=True)) == [12, 13, 22]
    assert sorted(svc.fillable_indicators(teacher, run).values_list("number", flat=True)) == [12, 13, 22]
    assert svc.can_fill_task(teacher, edu) and not svc.can_fill_task(teacher, water)
    assert svc.visible_tasks(city_admin, run).count() == run.tasks.count()
    assert not svc.can_fill_task(viewer, edu)
    with pytest.raises(svc.CheckupError, match="不是“市水务部门”的填报人员"):
        svc.set_value(water, water.indicators.get(number=30), None, 80, teacher)
    with pytest.raises(svc.CheckupError, match="不属于"):
        svc.set_value(edu, water.indicators.get(number=30), None, 80, teacher)
    with pytest.raises(svc.CheckupError, match="现场问题记录计算"):
        svc.set_value(edu, edu.indicators.get(number=12), None, 3, teacher)
    v = svc.set_value(edu, edu.indicators.get(number=22), None, "96.5", teacher)
    assert v.value == Decimal("96.5") and v.entered_by == teacher
    # uploading the water template as the education clerk is refused
    wb = fill_template(reopen(svc.department_template(water)), plausible, list(water.indicators.all()))
    rep = svc.upload_department_values(water, io.BytesIO(to_bytes(wb)), teacher)
    assert not rep.ok and "不是“市水务部门”的填报人员" in rep.messages[0]
