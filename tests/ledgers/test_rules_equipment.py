"""Equipment renewal rules per province: each threshold tested on both sides, each verdict with its citation."""

from __future__ import annotations

from datetime import date

import pytest

from cityrenew.ledgers.rules import evaluate, parse_config

from .rules_support import ledger, verdict_of

D = date.fromisoformat
BOILER_OK = {"设备类别": "燃煤锅炉", "能效等级": "1级", "排放达标": "是", "超出使用寿命": "否"}
GAS = {"设备类别": "燃气管道", "检验结论": "允许使用"}

CASES = [
    # (id, province, as_of, row, verdict, fired rule)
    # 35蒸吨/小时及以下 (inclusive): 35 t/h is phased out, 36 t/h is not — Henan and Shanxi; Hebei has no such rule
    ("henan-35tph", "河南省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "35"}, "强制更新", "HA-A1-5b"),
    ("henan-36tph", "河南省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "36"}, "不需更新", None),
    ("shanxi-35tph", "山西省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "35"}, "强制更新", "SX-2-5b"),
    ("shanxi-36tph", "山西省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "36"}, "不需更新", None),
    ("hebei-35tph", "河北省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "35"}, "不需更新", None),
    # 能效等级不满足…2级标准: grade 3 fails, grade 2 passes; 烟气排放不达标
    ("henan-grade3", "河南省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "40", "能效等级": "3级"}, "强制更新", "HA-A1-5a"),
    ("henan-grade2", "河南省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "40", "能效等级": "2级"}, "不需更新", None),
    ("hebei-emission", "河北省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "40", "排放达标": "否"}, "强制更新", "HE-2-4b"),
    # 运行满20年经评估存在安全隐患 (Hebei): 20 full years on the anniversary, not the day before
    ("hebei-gas-20y", "河北省", "2026-06-30", {**GAS, "材质": "钢质", "投用日期": "2006-06-30", "安全隐患": "是"}, "强制更新", "HE-2-1c"),
    ("hebei-gas-19y364d", "河北省", "2026-06-29", {**GAS, "材质": "钢质", "投用日期": "2006-06-30", "安全隐患": "是"}, "不需更新", None),
    ("hebei-gas-20y-no-hazard", "河北省", "2026-06-30", {**GAS, "材质": "钢质", "投用日期": "2006-06-30", "安全隐患": "否"}, "不需更新", None),
    ("hebei-grey-iron", "河北省", "2026-06-30", {**GAS, "材质": "灰口铸铁", "投用日期": "2020-01-01", "安全隐患": "否"}, "强制更新", "HE-2-1a"),
    ("hebei-ductile-hazard", "河北省", "2026-06-30", {**GAS, "材质": "球墨铸铁", "投用日期": "2020-01-01", "安全隐患": "是"}, "强制更新", "HE-2-1b"),
    ("hebei-ductile-ok", "河北省", "2026-06-30", {**GAS, "材质": "球墨铸铁", "投用日期": "2020-01-01", "安全隐患": "否"}, "不需更新", None),
    # Guangdong gas: steel/PE 满20年且存在安全隐患; 未满20年 but 不允许使用
    ("gd-pe-20y-hazard", "广东省", "2026-06-30", {**GAS, "材质": "聚乙烯", "投用日期": "2006-06-30", "安全隐患": "是"}, "强制更新", "GD-2-7d"),
    ("gd-pe-19y364d-hazard", "广东省", "2026-06-29", {**GAS, "材质": "聚乙烯", "投用日期": "2006-06-30", "安全隐患": "是"}, "不需更新", None),
    ("gd-steel-19y364d-banned", "广东省", "2026-06-29", {"设备类别": "燃气管道", "材质": "钢质", "投用日期": "2006-06-30", "安全隐患": "否", "检验结论": "不允许使用"}, "强制更新", "GD-2-7e"),
    ("gd-steel-20y-banned", "广东省", "2026-06-30", {"设备类别": "燃气管道", "材质": "钢质", "投用日期": "2006-06-30", "安全隐患": "否", "检验结论": "不允许使用"}, "不需更新", None),
    ("gd-grey-iron", "广东省", "2026-06-30", {**GAS, "材质": "灰口铸铁", "投用日期": "2020-01-01", "安全隐患": "否"}, "强制更新", "GD-2-7a"),
    ("gd-converted", "广东省", "2026-06-30", {**GAS, "材质": "钢质", "投用日期": "2020-01-01", "安全隐患": "否", "原输送其他气体": "是"}, "强制更新", "GD-2-7c"),
    ("gd-drain-misconnection", "广东省", "2026-06-30", {"设备类别": "排水管道", "结构性缺陷": "否", "功能性缺陷": "否", "混错接": "是"}, "强制更新", "GD-2-7f"),
    ("gd-drain-ok", "广东省", "2026-06-30", {"设备类别": "排水管道", "结构性缺陷": "否", "功能性缺陷": "否", "混错接": "否"}, "不需更新", None),
    # 超过10年 (construction machinery): exactly 10 years is not 超过; the day after is
    ("henan-cm-exactly-10y", "河南省", "2026-06-30", {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}, "不需更新", None),
    ("henan-cm-10y-1d", "河南省", "2026-07-01", {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}, "强制更新", "HA-A1-9"),
    ("henan-cm-polluting", "河南省", "2026-06-30", {"设备类别": "建筑施工机械", "投用日期": "2024-01-01", "排放达标": "否", "安全隐患": "否"}, "强制更新", "HA-A1-9"),
    ("shanxi-cm-exactly-10y", "山西省", "2026-06-30", {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}, "不需更新", None),
    ("shanxi-cm-faults", "山西省", "2026-06-30", {"设备类别": "建筑施工机械", "投用日期": "2024-01-01", "排放达标": "是", "安全隐患": "否", "故障频繁": "是"}, "强制更新", "SX-2-9"),
    ("gd-cm-10y-1d", "广东省", "2026-07-01", {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}, "强制更新", "GD-2-10"),
    ("shanghai-cm-10y-1d", "上海市", "2026-07-01", {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}, "鼓励更新", "SH-2-4"),
    ("shanghai-cm-exactly-10y", "上海市", "2026-06-30", {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}, "不需更新", None),
    ("hebei-cm-10y-1d", "河北省", "2026-07-01", {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}, "鼓励更新", "HE-2-7a"),
    ("hebei-crane-scrap", "河北省", "2026-06-30", {"设备类别": "建筑施工机械", "投用日期": "2024-01-01", "排放达标": "是", "安全隐患": "否", "达到报废条件": "是"}, "强制更新", "HE-2-7b"),
    # 满30年 water mains with a hazard or a serious leak (Hebei)
    ("hebei-water-30y-leak", "河北省", "2026-06-30", {"设备类别": "供水管道", "投用日期": "1996-06-30", "安全隐患": "否", "漏损严重": "是"}, "强制更新", "HE-2-2"),
    ("hebei-water-29y364d-leak", "河北省", "2026-06-29", {"设备类别": "供水管道", "投用日期": "1996-06-30", "安全隐患": "否", "漏损严重": "是"}, "不需更新", None),
    ("hebei-water-30y-sound", "河北省", "2026-06-30", {"设备类别": "供水管道", "投用日期": "1996-06-30", "安全隐患": "否", "漏损严重": "否"}, "不需更新", None),
    # 运行年限满50年 drains/sewers (Hebei, Shanxi) and the structure types
    ("hebei-drain-50y", "河北省", "2026-06-30", {"设备类别": "排水管道", "投用日期": "1976-06-30", "管道结构形式": "钢筋混凝土", "混错接": "否"}, "强制更新", "HE-2-3"),
    ("hebei-drain-49y364d", "河北省", "2026-06-29", {"设备类别": "排水管道", "投用日期": "1976-06-30", "管道结构形式": "钢筋混凝土", "混错接": "否"}, "不需更新", None),
    ("shanxi-sewer-50y", "山西省", "2026-06-30", {"设备类别": "污水管道", "投用日期": "1976-06-30", "管道结构形式": "钢筋混凝土"}, "强制更新", "SX-2-4"),
    ("shanxi-sewer-49y364d", "山西省", "2026-06-29", {"设备类别": "污水管道", "投用日期": "1976-06-30", "管道结构形式": "钢筋混凝土"}, "不需更新", None),
    ("shanxi-sewer-box-culvert", "山西省", "2026-06-30", {"设备类别": "污水管道", "投用日期": "2010-01-01", "管道结构形式": "箱涵"}, "强制更新", "SX-2-4"),
    # 运行年限满20年 heating pipes (Hebei)
    ("hebei-heating-20y", "河北省", "2026-06-30", {"设备类别": "供热管道", "投用日期": "2006-06-30", "漏损严重": "否", "热损失大": "否"}, "强制更新", "HE-2-4a"),
    ("hebei-heating-19y364d", "河北省", "2026-06-29", {"设备类别": "供热管道", "投用日期": "2006-06-30", "漏损严重": "否", "热损失大": "否"}, "不需更新", None),
    # 年满15年以上 heat-exchange stations: assess; with a hazard: replace (Hebei)
    ("hebei-station-15y", "河北省", "2026-06-30", {"设备类别": "换热站", "投用日期": "2011-06-30", "安全隐患": "否", "能耗高": "否"}, "需评估", "HE-2-4c"),
    ("hebei-station-14y364d", "河北省", "2026-06-29", {"设备类别": "换热站", "投用日期": "2011-06-30", "安全隐患": "否", "能耗高": "否"}, "不需更新", None),
    ("hebei-station-15y-hazard", "河北省", "2026-06-30", {"设备类别": "换热站", "投用日期": "2011-06-30", "安全隐患": "是", "能耗高": "否"}, "强制更新", "HE-2-4d"),
    # 投入使用满15年 residential elevators: safety assessment (Shanghai)
    ("shanghai-elevator-15y", "上海市", "2026-06-30", {"设备类别": "住宅电梯", "投用日期": "2011-06-30"}, "需评估", "SH-2-1"),
    ("shanghai-elevator-14y364d", "上海市", "2026-06-29", {"设备类别": "住宅电梯", "投用日期": "2011-06-30"}, "不需更新", None),
    ("shanghai-gas-corroded", "上海市", "2026-06-30", {**GAS, "严重锈蚀": "是", "穿越密闭空间": "否", "安全间距不符合要求": "否"}, "强制更新", "SH-2-8"),
    # LPG: failed inspection; hazard *and* no repair value (hazard alone is not enough); cylinders GB 5842
    ("henan-lpg-failed", "河南省", "2026-06-30", {"设备类别": "液化石油气充装站", "检验结论": "不合格", "安全隐患": "否", "超出使用寿命": "否", "老化破损严重": "否"}, "强制更新", "HA-A1-6a"),
    ("henan-lpg-hazard-repairable", "河南省", "2026-06-30", {"设备类别": "液化石油气充装站", "检验结论": "合格", "安全隐患": "是", "无维修价值": "否", "超出使用寿命": "否", "老化破损严重": "否"}, "不需更新", None),
    ("henan-lpg-hazard-unrepairable", "河南省", "2026-06-30", {"设备类别": "液化石油气充装站", "检验结论": "合格", "安全隐患": "是", "无维修价值": "是", "超出使用寿命": "否", "老化破损严重": "否"}, "强制更新", "HA-A1-6a"),
    ("gd-cylinder", "广东省", "2026-06-30", {"设备类别": "液化石油气钢瓶", "钢瓶符合GB5842": "否"}, "强制更新", "GD-2-6b"),
    ("sh-cylinder-ok", "上海市", "2026-06-30", {"设备类别": "液化石油气钢瓶", "钢瓶符合GB5842": "是"}, "不需更新", None),
    # encouraged: elevators meeting the GB/T 31821 scrapping conditions (Henan annex row 1)
    ("henan-elevator-scrap", "河南省", "2026-06-30", {"设备类别": "住宅电梯", "达到报废条件": "是"}, "鼓励更新", "HA-A1-1"),
    ("henan-sanitation", "河南省", "2026-06-30", {"设备类别": "环卫车辆/设备", "安全隐患": "否", "故障频繁": "是"}, "强制更新", "HA-A1-8"),
    ("shanxi-energy-accident", "山西省", "2026-06-30", {"设备类别": "建筑节能设备", "安全隐患": "否", "发生过重大事故": "是"}, "强制更新", "SX-2-10"),
    ("henan-water-quality", "河南省", "2026-06-30", {"设备类别": "二次供水设施", "影响水质达标": "是"}, "强制更新", "HA-A1-3"),
    ("henan-water-sound", "河南省", "2026-06-30", {"设备类别": "二次供水设施", "影响水质达标": "否"}, "不需更新", None),
    ("henan-sewage-banned", "河南省", "2026-06-30", {"设备类别": "污水处理设备", "国家明令淘汰": "是"}, "强制更新", "HA-A1-4"),
    ("henan-sewage-ok", "河南省", "2026-06-30", {"设备类别": "污水处理设备", "国家明令淘汰": "否", "能效达标": "是"}, "不需更新", None),
    ("henan-pump-motor-inefficient", "河南省", "2026-06-30", {"设备类别": "水泵电机", "超出使用寿命": "否", "能效达标": "否"}, "强制更新", "HA-A1-5c"),
    ("henan-heat-exchanger-ok", "河南省", "2026-06-30", {"设备类别": "换热器", "超出使用寿命": "否", "能效达标": "是"}, "不需更新", None),
    ("henan-cylinder", "河南省", "2026-06-30", {"设备类别": "液化石油气钢瓶", "钢瓶符合GB5842": "否"}, "强制更新", "HA-A1-6b"),
    ("henan-energy-past-life", "河南省", "2026-06-30", {"设备类别": "建筑节能设备", "安全隐患": "否", "超出使用寿命": "是"}, "强制更新", "HA-A1-10"),
    ("henan-energy-ok", "河南省", "2026-06-30", {"设备类别": "建筑节能设备", "安全隐患": "是", "无维修价值": "否", "超出使用寿命": "否", "能耗高": "否"}, "不需更新", None),
    ("hebei-lpg-corroded", "河北省", "2026-06-30", {"设备类别": "液化石油气充装站", "检验结论": "合格", "安全隐患": "否", "老化破损严重": "是"}, "强制更新", "HE-2-1d"),
    ("hebei-cylinder", "河北省", "2026-06-30", {"设备类别": "液化石油气钢瓶", "钢瓶符合GB5842": "否"}, "强制更新", "HE-2-1e"),
    ("hebei-elevator-faults", "河北省", "2026-06-30", {"设备类别": "住宅电梯", "安全隐患": "否", "故障频繁": "是"}, "需评估", "HE-2-9"),
    ("hebei-elevator-ok", "河北省", "2026-06-30", {"设备类别": "住宅电梯", "安全隐患": "否", "故障频繁": "否"}, "不需更新", None),
    ("gd-lpg-past-life", "广东省", "2026-06-30", {"设备类别": "液化石油气充装站", "检验结论": "合格", "安全隐患": "否", "超出使用寿命": "是"}, "强制更新", "GD-2-6a"),
    ("gd-ductile-hazard", "广东省", "2026-06-30", {**GAS, "材质": "球墨铸铁", "投用日期": "2020-01-01", "安全隐患": "是"}, "强制更新", "GD-2-7b"),
    ("shanghai-lpg-failed", "上海市", "2026-06-30", {"设备类别": "液化石油气充装站", "检验结论": "检验不合格", "安全隐患": "否"}, "强制更新", "SH-2-9a"),
    ("shanghai-cylinder", "上海市", "2026-06-30", {"设备类别": "液化石油气钢瓶", "钢瓶符合GB5842": "否"}, "强制更新", "SH-2-9b"),
    ("shanxi-grade3", "山西省", "2026-06-30", {**BOILER_OK, "额定蒸发量（蒸吨/小时）": "40", "能效等级": "3级"}, "强制更新", "SX-2-5a"),
    ("shanxi-lpg-unrepairable", "山西省", "2026-06-30", {"设备类别": "液化石油气充装站", "检验结论": "合格", "安全隐患": "是", "无维修价值": "是"}, "强制更新", "SX-2-6a"),
    ("shanxi-cylinder", "山西省", "2026-06-30", {"设备类别": "液化石油气钢瓶", "钢瓶符合GB5842": "否"}, "强制更新", "SX-2-6b"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rule_boundaries(case):
    _, province, as_of, row, expected, rule = case
    verdict, fired = verdict_of("equipment", province, D(as_of), row)
    assert verdict == expected
    if rule:
        assert rule in fired
    else:
        assert fired == []


def test_each_fired_rule_lists_its_citation_and_reason():
    frame = ledger("equipment", [{"编号": "G1", **GAS, "材质": "钢质", "投用日期": "2006-06-30", "安全隐患": "是"}])
    result = evaluate(frame, "equipment", "河北省", D("2026-06-30"))
    [entry] = result.fired(0)
    assert entry["id"] == "HE-2-1c"
    assert entry["document"] == "HE-2024-EQUIPMENT" and entry["article"] == "二、（一）"
    assert entry["source"].startswith("《河北省推进建筑和市政基础设施设备更新工作实施方案》")
    assert entry["source"].endswith("二、（一）")
    assert "2006-06-30" in entry["reason"] and "已满 20 年" in entry["reason"] and "运行满20年" in entry["reason"]
    assert "安全隐患：是" in entry["reason"]


def test_strongest_verdict_wins_and_every_fired_rule_is_listed():
    # a 15-year station with a hazard fires both "assess" (HE-2-4c) and "replace" (HE-2-4d): 强制更新
    frame = ledger("equipment", [{"编号": "S1", "设备类别": "换热站", "投用日期": "2010-01-01", "安全隐患": "是", "能耗高": "否"}])
    result = evaluate(frame, "equipment", "河北省", D("2026-06-30"))
    assert result.verdicts["verdict"].iloc[0] == "强制更新"
    assert set(result.verdicts["rules"].iloc[0]) == {"HE-2-4c", "HE-2-4d"}
    assert [e["verdict"] for e in result.fired(0)] == ["需评估", "强制更新"]


def test_an_empty_cell_a_mandatory_rule_needs_makes_the_row_需评估():
    rows = [{"编号": "B1", **BOILER_OK, "额定蒸发量（蒸吨/小时）": "40", "排放达标": ""},
            {"编号": "B2", **BOILER_OK, "额定蒸发量（蒸吨/小时）": "40"}]
    result = evaluate(ledger("equipment", rows), "equipment", "河南省", D("2026-06-30"))
    assert list(result.verdicts["verdict"].astype(str)) == ["需评估", "不需更新"]
    [entry] = result.fired(0)
    assert entry["verdict"] == "需评估" and "排放达标" in entry["reason"] and "缺少数据" in entry["reason"]


def test_a_condition_column_the_ledger_lacks_is_not_met_and_reported():
    frame = ledger("equipment", [{"编号": "M1", "设备类别": "建筑施工机械", "投用日期": "2020-01-01", "排放达标": "是", "安全隐患": "否"}])
    result = evaluate(frame, "equipment", "河南省", D("2026-06-30"))
    assert result.verdicts["verdict"].iloc[0] == "不需更新"
    assert any("台账没有「能耗高」列" in p and "HA-A1-9" in p for p in result.problems)


def test_unknown_category_is_reported_not_不需更新():
    rows = [{"编号": "X1", "设备类别": "热气球"}, {"编号": "X2", "设备类别": "住宅电梯", "投用日期": "2020-01-01"}]
    result = evaluate(ledger("equipment", rows), "equipment", "上海市", D("2026-06-30"))
    assert list(result.verdicts["verdict"].astype(str)) == ["类别未知", "不需更新"]
    assert result.counts == {"不需更新": 1, "类别未知": 1}
    assert any("设备类别“热气球”不在规则目录的类别中" in p and "X1" in p for p in result.problems)


def test_category_the_province_does_not_cover_is_reported():
    frame = ledger("equipment", [{"编号": "G9", **GAS, "材质": "灰口铸铁", "投用日期": "1990-01-01", "安全隐患": "是"}])
    result = evaluate(frame, "equipment", "河南省", D("2026-06-30"))
    assert result.verdicts["verdict"].iloc[0] == "不需更新"
    assert any("未设更新条件" in p and "燃气管道" in p for p in result.problems)


def test_february_29_anniversary_falls_on_february_28_in_a_common_year():
    row = {**GAS, "材质": "钢质", "投用日期": "2004-02-29", "安全隐患": "是"}
    assert verdict_of("equipment", "河北省", D("2024-02-28"), row)[0] == "不需更新"  # 19 years 364 days
    assert verdict_of("equipment", "河北省", D("2024-02-29"), row)[0] == "强制更新"  # 满20年
    row21 = {**GAS, "材质": "钢质", "投用日期": "2005-02-28", "安全隐患": "是"}
    assert verdict_of("equipment", "河北省", D("2025-02-27"), row21)[0] == "不需更新"
    assert verdict_of("equipment", "河北省", D("2025-02-28"), row21)[0] == "强制更新"


def test_readings_switched_by_a_city():
    row = {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}
    inclusive = parse_config({"province": "河南省", "readings": {"HA-CM-age": "含本数"}})
    assert verdict_of("equipment", "河南省", D("2026-06-30"), row)[0] == "不需更新"
    assert verdict_of("equipment", "河南省", D("2026-06-30"), row, inclusive) == ("强制更新", ["HA-A1-9"])
    # "any" vs "age and one other": a polluting 2-year-old machine is out under "any" only
    young = {"设备类别": "建筑施工机械", "投用日期": "2024-01-01", "排放达标": "否", "安全隐患": "否"}
    both = parse_config({"province": "河南省", "readings": {"HA-CM-list": "超过10年且具其他情形之一"}})
    assert verdict_of("equipment", "河南省", D("2026-06-30"), young)[0] == "强制更新"
    assert verdict_of("equipment", "河南省", D("2026-06-30"), young, both)[0] == "不需更新"
    old_polluting = {**young, "投用日期": "2010-01-01"}
    assert verdict_of("equipment", "河南省", D("2026-06-30"), old_polluting, both)[0] == "强制更新"
    # Hebei water mains: age and (hazard or leak) by default; "any" makes a leak alone enough
    leak = {"设备类别": "供水管道", "投用日期": "2010-01-01", "安全隐患": "否", "漏损严重": "是"}
    anyc = parse_config({"province": "河北省", "readings": {"HE-WATER-list": "任一情形"}})
    assert verdict_of("equipment", "河北省", D("2026-06-30"), leak)[0] == "不需更新"
    assert verdict_of("equipment", "河北省", D("2026-06-30"), leak, anyc)[0] == "强制更新"


def test_verdicts_keep_the_input_index_and_counts_add_up():
    rows = [{"编号": f"E{i}", **BOILER_OK, "额定蒸发量（蒸吨/小时）": str(30 + i)} for i in range(10)]
    frame = ledger("equipment", rows)
    frame.index = [f"id-{i}" for i in range(100, 110)]  # e.g. primary keys
    result = evaluate(frame, "equipment", "山西省", D("2026-06-30"))
    assert list(result.verdicts.index) == [f"id-{i}" for i in range(100, 110)]
    assert result.fired(5)[0]["id"] == "SX-2-5b"  # positions: the 6th row, 35 t/h
    assert result.counts == {"强制更新": 6, "不需更新": 4}  # 30..35 t/h
    assert sum(result.counts.values()) == len(rows)


@pytest.mark.parametrize("province", ["河南省", "河北省", "山西省", "上海市", "广东省"])
def test_whole_ledger_at_once_equals_row_by_row(province):
    """The vectorised evaluation of 200 random rows gives each row the verdict and rules it gets alone."""
    import numpy as np
    import pandas as pd

    from cityrenew.ledgers.rules import CATEGORIES

    rng = np.random.default_rng(7)
    n = 200

    def flag():
        return pd.array(rng.choice(np.array([True, False, None], dtype=object), n, p=[0.3, 0.6, 0.1]), dtype="boolean")

    frame = pd.DataFrame({
        "code": [f"R{i}" for i in range(n)],
        "category": rng.choice(np.array(list(CATEGORIES) + ["未知设备"], dtype=object), n),
        "material": rng.choice(np.array(["灰口铸铁", "球墨铸铁", "钢质", "聚乙烯", None], dtype=object), n),
        "commissioned": pd.Timestamp("2026-06-30") - pd.to_timedelta(rng.integers(0, 60 * 365, n), unit="D"),
        "capacity_tph": rng.choice([10.0, 35.0, 36.0, np.nan], n),
        "efficiency_grade": rng.choice(np.array(["1级", "2级", "3级", None], dtype=object), n),
        "inspection": rng.choice(np.array(["不合格", "不允许使用", "合格", None], dtype=object), n),
        **{c: flag() for c in ("emission_ok", "hazard", "service_life_exceeded", "damaged", "no_repair_value",
                               "high_energy", "outdated", "leak", "misconnection", "gb5842_ok", "efficiency_ok")},
    })
    whole = evaluate(frame, "equipment", province, D("2026-06-30"))
    for i in range(n):
        alone = evaluate(frame.iloc[i : i + 1].reset_index(drop=True), "equipment", province, D("2026-06-30"))
        assert alone.verdicts["verdict"].iloc[0] == whole.verdicts["verdict"].iloc[i], frame.iloc[i].to_dict()
        assert alone.verdicts["rules"].iloc[0] == whole.verdicts["rules"].iloc[i]
        assert alone.fired(0) == whole.fired(i)
    assert len(set(whole.verdicts["verdict"].astype(str))) >= 4  # the sample exercises several verdicts


def test_frames_as_the_database_ledger_gives_them():
    """Booleans as objects (True/False/None), text as pandas strings with NA, dates with NaT — same verdicts."""
    import numpy as np
    import pandas as pd

    frame = pd.DataFrame({
        "id": [1, 2, 3],
        "code": pd.array(["A", "B", "C"], dtype="string"),
        "category": pd.array(["燃气管道", "燃气管道", "燃煤锅炉"], dtype="string"),
        "material": pd.array(["钢质", pd.NA, pd.NA], dtype="string"),
        "commissioned": pd.to_datetime(["2006-06-30", None, "2001-01-01"]),
        "capacity_tph": [np.nan, np.nan, 20.0],
        "efficiency_grade": pd.array([pd.NA, pd.NA, "1级"], dtype="string"),
        "emission_ok": np.array([None, None, True], dtype=object),
        "hazard": np.array([True, None, False], dtype=object),
        "inspection": pd.array([pd.NA, pd.NA, pd.NA], dtype="string"),
        "region": ["金水区", "金水区", "二七区"],
    })
    result = evaluate(frame, "equipment", "河北省", D("2026-06-30"))
    assert list(result.verdicts["verdict"].astype(str)) == ["强制更新", "需评估", "不需更新"]
    assert result.verdicts["rules"].iloc[0] == ("HE-2-1c",)
    assert {e["id"] for e in result.fired(1)} == {"HE-2-1a", "HE-2-1b", "HE-2-1c"}  # material and date unknown
    assert result.json_rows()[0] == {"code": "A", "verdict": "强制更新", "rules": [
        {"id": "HE-2-1c", "source": "《河北省推进建筑和市政基础设施设备更新工作实施方案》二、（一）"}]}
