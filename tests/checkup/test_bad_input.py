"""Bad department uploads are rejected with a specific Chinese message naming row and column, and
nothing of the file is saved."""

from __future__ import annotations

import io

import pytest

from cityrenew.checkup import services as svc
from cityrenew.checkup.catalogue import SET_2025
from cityrenew.checkup.models import AssessmentUnit, IndicatorValue
from cityrenew.core.models import Region

from .conftest import fill_template, plausible, reopen, to_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(sets, regions, city_admin, units):
    return svc.create_run(regions["郑州市"], 2025, sets[SET_2025], city_admin)


def _sheet_rows(ws):
    header = [c.value for c in ws[3]]
    return header, {ws.cell(row=r, column=2).value: r for r in range(4, ws.max_row + 1) if ws.cell(row=r, column=2).value}


def _upload(task, wb, user):
    return svc.upload_department_values(task, io.BytesIO(to_bytes(wb)), user)


def _filled(task):
    return fill_template(reopen(svc.department_template(task)), plausible, list(task.indicators.all()))


def test_wrong_unit_is_rejected(run, dept_user):
    water = run.tasks.get(department="water")
    clerk = dept_user("w1", water.organisation)
    wb = _filled(water)
    ws = wb["填报表"]
    header, rows = _sheet_rows(ws)
    ws.cell(row=rows[30], column=header.index("计量单位") + 1).value = "个"
    rep = _upload(water, wb, clerk)
    assert not rep.ok
    assert rep.messages == [f"第 {rows[30]} 行「计量单位」：指标30“城市生活污水集中收集率”的计量单位应为“%”，实际为“个”"]
    assert IndicatorValue.objects.filter(run=run).count() == 0


def test_percentage_of_140_is_rejected(run, dept_user):
    water = run.tasks.get(department="water")
    clerk = dept_user("w2", water.organisation)
    wb = _filled(water)
    ws = wb["填报表"]
    header, rows = _sheet_rows(ws)
    ws.cell(row=rows[49], column=header.index("数值") + 1).value = 140
    rep = _upload(water, wb, clerk)
    assert rep.messages == [f"第 {rows[49]} 行「数值」：指标49“应急供水保障率”为百分比，数值应在0～100之间，实际为140"]
    assert IndicatorValue.objects.filter(run=run).count() == 0
    # a negative count and text are refused too
    ws.cell(row=rows[49], column=header.index("数值") + 1).value = 60
    ws.cell(row=rows[47], column=header.index("数值") + 1).value = -3
    ws.cell(row=rows[48], column=header.index("数值") + 1).value = "约100"
    rep = _upload(water, wb, clerk)
    assert [e.field for e in rep.errors] == ["数值", "数值"]
    assert "不能为负数，实际为-3" in rep.messages[0] and "“约100”不是数字" in rep.messages[1]
    assert IndicatorValue.objects.filter(run=run).count() == 0


def test_indicator_not_in_the_set_is_rejected(run, dept_user):
    water = run.tasks.get(department="water")
    clerk = dept_user("w3", water.organisation)
    wb = _filled(water)
    ws = wb["填报表"]
    ws.append([None, 61, "城区（城市）", "智慧高效", "城市运行管理服务平台覆盖率", "%", "", "全市", "", 90, ""])
    rep = _upload(water, wb, clerk)
    assert rep.messages == [f"第 {ws.max_row} 行「序号」：指标61“城市运行管理服务平台覆盖率”不在本次体检的指标体系“MOHURD-2025”中"]
    assert IndicatorValue.objects.filter(run=run).count() == 0


def test_unit_not_in_the_city_is_rejected(run, dept_user, regions):
    kaifeng = Region(code="410200", name="开封市", level="city", kind="prefecture_city", parent=regions["河南省"])
    kaifeng.save()
    AssessmentUnit(kind="compound", name="开封某小区", code="KF-X01", city=kaifeng, region=kaifeng).save()
    edu = run.tasks.get(department="education")
    clerk = dept_user("e1", edu.organisation)
    wb = _filled(edu)
    ws = wb["填报表"]
    header = [c.value for c in ws[3]]
    ws.cell(row=5, column=header.index("单元编码") + 1).value = "KF-X01"
    ws.cell(row=4, column=header.index("单元编码") + 1).value = "NO-SUCH"
    rep = _upload(edu, wb, clerk)
    assert rep.messages == [
        "第 4 行「单元编码」：体检单元“NO-SUCH”不存在",
        "第 5 行「单元编码」：体检单元“开封某小区”（KF-X01）属于开封市，不在郑州市范围内",
    ]
    assert IndicatorValue.objects.filter(run=run).count() == 0


def test_upload_for_another_department_is_rejected(run, dept_user):
    edu = run.tasks.get(department="education")
    water = run.tasks.get(department="water")
    clerk = dept_user("w4", water.organisation)
    # the education template uploaded to the water task
    rep = _upload(water, _filled(edu), clerk)
    assert rep.messages == ["「文件」：该文件是“市教育局”（郑州市2025年城市体检）的填报模板，不能上传到“市水务部门”的任务"]
    # a row for an education indicator typed into the water template
    wb = _filled(water)
    ws = wb["填报表"]
    ws.append([None, 22, "街区", "功能完善", "中学服务半径覆盖率", "%", "", "全市", "", 95, ""])
    rep = _upload(water, wb, clerk)
    assert rep.messages == [f"第 {ws.max_row} 行「序号」：指标22“中学服务半径覆盖率”由“市教育局”负责填报，不属于“市水务部门”的任务"]
    # a value typed for an indicator the system computes from field problems
    gas = run.tasks.get(department="gas")
    gas_clerk = dept_user("g1", gas.organisation)
    wb = _filled(gas)
    wb["填报表"].append([None, 2, "住房", "安全耐久", "存在燃气安全隐患的住宅数量", "栋", "", "全市", "", 12, ""])
    rep = _upload(gas, wb, gas_clerk)
    assert "由系统根据现场问题记录计算，不接受填报" in rep.messages[0]
    assert IndicatorValue.objects.filter(run=run).count() == 0


def test_several_errors_are_all_reported_and_good_rows_are_not_saved(run, dept_user):
    water = run.tasks.get(department="water")
    clerk = dept_user("w5", water.organisation)
    wb = _filled(water)
    ws = wb["填报表"]
    header, rows = _sheet_rows(ws)
    ws.cell(row=rows[30], column=header.index("计量单位") + 1).value = "‰"
    ws.cell(row=rows[49], column=header.index("数值") + 1).value = 140
    rep = _upload(water, wb, clerk)
    assert len(rep.errors) == 2 and "未保存任何数据" in rep.summary_text()
    assert IndicatorValue.objects.filter(run=run).count() == 0
