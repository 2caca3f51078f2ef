"""Ledger imports: each template, all-or-nothing, each bad input with its Chinese message, the frame."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest

from cityrenew.core.models import AuditLog
from cityrenew.ledgers.frame import ledger_frame
from cityrenew.ledgers.importer import import_ledger
from cityrenew.ledgers.models import DangerousHousing, Equipment, LedgerImport, OfficeBuilding, OldCommunity
from cityrenew.ledgers.templates import template_workbook

pytestmark = pytest.mark.django_db

EQUIPMENT_HEADER = "编号,设备类别,材质,投用日期,额定蒸发量（蒸吨/小时）,能效等级,排放达标,安全隐患,检验结论,所在区域,长度（公里）\n"
EQUIPMENT_ROWS = (
    "GAS-001,燃气管道,灰口铸铁,2003-05-01,,,,是,,中原区,1.25\n"
    "BLR-001,燃煤锅炉,,2008-10-01,35,3级,否,否,,二七区,\n"
    "ELV-001,住宅电梯,,2004-01-15,,,,是,不允许使用,410105,\n"
)
BUILDING = ("编号,名称,主要功能,建成年份,已抗震鉴定加固,其他安全隐患已鉴定加固,已节能改造,用能占约束值比例（前年）,用能占约束值比例（上年）,所在区域\n"
            "BJ-001,演示大厦,办公,1979,否,是,否,85%,81,中原区\n"
            "BJ-002,商业楼,商业服务业,2004,是,是,否,80,80.5,金水区\n")


def state():
    return (Equipment.objects.count(), OfficeBuilding.objects.count(), OldCommunity.objects.count(),
            DangerousHousing.objects.count(), LedgerImport.objects.count(), AuditLog.objects.count())


def csv_bytes(text: str, encoding: str = "utf-8") -> io.BytesIO:
    buf = io.BytesIO(text.encode(encoding))
    buf.name = "台账.csv"
    return buf


def refused(text: str, kind: str = "equipment", **kw) -> list[str]:
    before = state()
    report = import_ledger(csv_bytes(text), kind, **kw)
    assert not report.ok
    assert state() == before, "the database changed although the import failed"
    return [str(e) for e in report.errors]


def test_equipment_csv_import_and_frame(regions, city_admin):
    report = import_ledger(csv_bytes(EQUIPMENT_HEADER + EQUIPMENT_ROWS, "gbk"), "equipment", user=city_admin)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    gas = Equipment.objects.get(code="GAS-001")
    assert gas.category == "燃气管道" and gas.material == "灰口铸铁" and gas.commissioned == date(2003, 5, 1)
    assert str(gas.length_km) == "1.250" and gas.hazard is True and gas.emission_ok is None
    assert gas.region.display_name == "中原区" and gas.import_batch_id == report.batch_id
    assert Equipment.objects.get(code="ELV-001").region.display_name == "金水区"  # by 区划代码
    # one audit entry for the import batch (who, file, counts), not one per created row
    entry = AuditLog.objects.get(content_type__model="ledgerimport")
    assert entry.changes["created_rows"] == [None, 3] and entry.user == city_admin
    frame = ledger_frame("equipment")
    assert list(frame["code"]) == ["BLR-001", "ELV-001", "GAS-001"]
    boiler = frame.set_index("code").loc["BLR-001"]
    assert boiler["capacity_tph"] == 35.0 and boiler["emission_ok"] is False and boiler["region"] == "二七区"
    assert str(frame["commissioned"].dtype).startswith("datetime64")
    assert {"code", "category", "material", "commissioned", "capacity_tph", "efficiency_grade", "emission_ok", "hazard",
            "inspection", "region", "length_km"} <= set(frame.columns)
    some = ledger_frame("equipment", Equipment.objects.filter(category="燃煤锅炉"), columns=["capacity_tph", "commissioned"])
    assert list(some.columns) == ["id", "code", "commissioned", "capacity_tph", "region", "region_id"]
    assert some["capacity_tph"].tolist() == [35.0]


def test_reimport_changes_nothing_and_update_is_audited(regions, city_admin):
    assert import_ledger(csv_bytes(EQUIPMENT_HEADER + EQUIPMENT_ROWS), "equipment", user=city_admin).ok
    before = state()
    again = import_ledger(csv_bytes(EQUIPMENT_HEADER + EQUIPMENT_ROWS), "equipment", user=city_admin)
    assert again.ok and (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert state()[:4] == before[:4] and AuditLog.objects.count() == before[5] + 1  # the second batch only
    changed = import_ledger(csv_bytes(EQUIPMENT_HEADER + EQUIPMENT_ROWS.replace("灰口铸铁", "球墨铸铁")), "equipment",
                            user=city_admin)
    assert (changed.created, changed.updated) == (0, 1)
    gas = Equipment.objects.get(code="GAS-001")
    assert gas.material == "球墨铸铁"
    assert gas.get_history().first().changes == {"material": ["灰口铸铁", "球墨铸铁"]}


def test_building_import_percentages(regions):
    report = import_ledger(csv_bytes(BUILDING), "building")
    assert report.ok, report.errors
    b = OfficeBuilding.objects.get(code="BJ-001")
    assert (b.function, b.built_year, b.seismic_retrofitted, b.energy_retrofitted) == ("office", 1979, False, False)
    assert str(b.energy_ratio_prev2) == "85.00" and str(b.energy_ratio_prev1) == "81.00"
    frame = ledger_frame("building").set_index("code")
    assert frame.loc["BJ-002", "energy_ratio_prev1"] == 80.5 and frame.loc["BJ-002", "function"] == "commerce"
    assert frame.loc["BJ-001", "seismic_retrofitted"] is False and frame.loc["BJ-002", "seismic_retrofitted"] is True
    assert frame.loc["BJ-001", "built_year"] == 1979 and frame.loc["BJ-001", "region"] == "中原区"


@pytest.mark.parametrize("kind", ["equipment", "building", "community", "dangerous_housing"])
def test_each_template_round_trip(regions, kind):
    """The downloadable template, filled in with openpyxl as a clerk would, imports."""
    wb = template_workbook(kind)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    sample = {"编号": f"{kind}-1", "名称": "测试", "所在区域": "管城区", "设备类别": "供水管道", "投用日期": date(2010, 3, 1),
              "主要功能": "办公", "建成年份": 1998, "危险性等级": "D级", "土地性质": "国有土地", "改造方式": "拆除",
              "基础类改造内容": "供水、排水、外墙维修", "提升类改造内容": "养老", "居民改造意愿（同意率，%）": 92.5,
              "户数": 120, "经度": 113.68, "纬度": 34.75}
    ws.append([sample.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "模板.xlsx"
    assert "说明" in wb.sheetnames
    report = import_ledger(buf, kind)
    assert report.ok, report.errors
    from cityrenew.ledgers.models import LEDGER_MODELS

    obj = LEDGER_MODELS[kind].objects.get(code=f"{kind}-1")
    assert obj.region.display_name == "管城区" and obj.location.x == pytest.approx(113.68)
    if kind == "community":
        assert obj.items_basic == ["供水", "排水", "外墙维修"] and obj.items_upgrade == ["养老"]
        assert str(obj.willingness_pct) == "92.50"
        row = ledger_frame("community").iloc[0]
        assert row["items_basic"] == ["供水", "排水", "外墙维修"] and row["built_year"] == 1998 and row["households"] == 120
    if kind == "dangerous_housing":
        row = ledger_frame(kind).iloc[0]
        assert row["grade"] == "D" and row["heritage"] is False and row["region"] == "管城区"


def test_unknown_category(regions):
    errors = refused(EQUIPMENT_HEADER + "X-1,燃气管线,钢质,2010-01-01,,,,否,,中原区,\n")
    assert errors[0].startswith("第 2 行「设备类别」：未知的设备类别“燃气管线”，应为：燃气管道、")


def test_date_in_future(regions):
    tomorrow = date.today() + timedelta(days=2)
    errors = refused(EQUIPMENT_HEADER + EQUIPMENT_ROWS + f"X-1,燃气管道,钢质,{tomorrow:%Y/%m/%d},,,,否,,中原区,\n")
    assert errors == [f"第 5 行「投用日期」：{tomorrow.isoformat()} 晚于今天（{date.today().isoformat()}），请核对"]


def test_today_is_not_in_future(regions):
    report = import_ledger(csv_bytes(EQUIPMENT_HEADER + f"X-1,燃气管道,钢质,{date.today():%Y-%m-%d},,,,否,,中原区,\n"),
                           "equipment")
    assert report.ok, report.errors


def test_negative_capacity(regions):
    errors = refused(EQUIPMENT_HEADER + "X-1,燃煤锅炉,,2010-01-01,-4,2级,是,否,,中原区,\n")
    assert errors == ["第 2 行「额定蒸发量（蒸吨/小时）」：不能为负数（实际为 -4）"]


def test_zero_capacity_is_accepted(regions):
    assert import_ledger(csv_bytes(EQUIPMENT_HEADER + "X-1,燃煤锅炉,,2010-01-01,0,2级,是,否,,中原区,\n"), "equipment").ok


def test_template_of_another_ledger_type(regions):
    errors = refused(BUILDING, kind="equipment")
    assert errors == ["第 1 行「表头」：这是“老旧低效楼宇”台账的文件（含“主要功能、已节能改造”列），不能作为“设施设备”台账导入；"
                      "请下载“设施设备”台账模板填写，或改选台账类型"]
    wb = template_workbook("community")
    buf = io.BytesIO()
    wb.save(buf)
    buf.seek(0)
    buf.name = "小区.xlsx"
    before = state()
    report = import_ledger(buf, "dangerous_housing")
    assert not report.ok and "这是“城镇老旧小区”台账的文件" in str(report.errors[0]) and state() == before


def test_all_or_nothing_and_other_messages(regions):
    errors = refused(EQUIPMENT_HEADER + EQUIPMENT_ROWS
                     + "X-1,燃气管道,钢质,2010-13-01,,,,也许,,火星区,abc\n"
                     + "GAS-001,燃气管道,钢质,2010-01-01,,,,否,,中原区,\n")
    assert "第 5 行「投用日期」：不是有效日期（实际为“2010-13-01”），应为 YYYY-MM-DD" in errors
    assert "第 5 行「安全隐患」：应填“是”或“否”（实际为“也许”）" in errors
    assert "第 5 行「所在区域」：未知的区域“火星区”：应为本市区县（市）名称或行政区划代码" in errors
    assert "第 5 行「长度（公里）」：应为数字（实际为“abc”）" in errors
    assert "第 6 行「编号」：编号“GAS-001”在文件中重复（首次出现在第 2 行）" in errors
    assert refused("编号,设备类别\nX,燃气管道\n") == ["第 1 行「表头」：缺少必需的列：所在区域（“设施设备”台账）"]
    assert refused(EQUIPMENT_HEADER) == ["「文件」：文件中没有数据行（第 1 行为表头，从第 2 行起每行一条记录）"]
    assert refused("") == ["「文件」：文件为空"]


def test_district_editor_cannot_import_into_another_district(regions, zhongyuan_editor, city_admin):
    errors = refused(EQUIPMENT_HEADER + EQUIPMENT_ROWS, user=zhongyuan_editor)
    assert errors == ["第 3 行「所在区域」：无权导入“二七区”的台账：超出您的授权区划范围",
                      "第 4 行「所在区域」：无权导入“金水区”的台账：超出您的授权区划范围"]
    assert import_ledger(csv_bytes(EQUIPMENT_HEADER + EQUIPMENT_ROWS.splitlines()[0] + "\n"), "equipment",
                         user=zhongyuan_editor).ok
