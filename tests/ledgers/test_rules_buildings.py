"""Beijing old-building types (京建法〔2024〕14号 第二条), old communities and dangerous housing."""

from __future__ import annotations

from datetime import date

import pytest

from cityrenew.ledgers.rules import RuleError, evaluate, parse_config

from .rules_support import ledger, verdict_of

AS_OF = date(2026, 6, 30)
SOUND = {"名称": "某大厦", "主要功能": "办公", "已抗震鉴定加固": "是", "其他安全隐患已鉴定加固": "是", "已节能改造": "是",
         "用能占约束值比例（前年）": "60", "用能占约束值比例（上年）": "60"}

BUILDING_CASES = [
    ("built-1980-no-seismic", {**SOUND, "建成年份": "1980", "已抗震鉴定加固": "否"}, "第一类老旧楼宇", "BJ-2-1a"),
    ("built-1981-no-seismic", {**SOUND, "建成年份": "1981", "已抗震鉴定加固": "否"}, "否", None),
    ("built-1975-seismic-done", {**SOUND, "建成年份": "1975"}, "否", None),
    ("other-hazard-not-reinforced", {**SOUND, "建成年份": "2010", "其他安全隐患已鉴定加固": "否"}, "第一类老旧楼宇", "BJ-2-1b"),
    ("built-2004-no-energy-retrofit", {**SOUND, "建成年份": "2004", "已节能改造": "否"}, "第二类老旧楼宇", "BJ-2-2a"),
    ("built-2005-no-energy-retrofit", {**SOUND, "建成年份": "2005", "已节能改造": "否"}, "否", None),
    ("energy-81-81", {**SOUND, "建成年份": "2010", "用能占约束值比例（前年）": "81", "用能占约束值比例（上年）": "81"}, "第二类老旧楼宇", "BJ-2-2b"),
    ("energy-exactly-80", {**SOUND, "建成年份": "2010", "用能占约束值比例（前年）": "80", "用能占约束值比例（上年）": "80%"}, "否", None),
    ("energy-80.1-both", {**SOUND, "建成年份": "2010", "用能占约束值比例（前年）": "80.1", "用能占约束值比例（上年）": "80.1"}, "第二类老旧楼宇", "BJ-2-2b"),
    ("energy-one-year-only", {**SOUND, "建成年份": "2010", "用能占约束值比例（前年）": "95", "用能占约束值比例（上年）": "80"}, "否", None),
]


@pytest.mark.parametrize("case", BUILDING_CASES, ids=[c[0] for c in BUILDING_CASES])
def test_beijing_building_types(case):
    _, row, expected, rule = case
    verdict, fired = verdict_of("building", "北京市", AS_OF, row)
    assert verdict == expected
    assert (rule in fired) if rule else fired == []


def test_type_one_wins_over_type_two_and_both_are_listed():
    row = {**SOUND, "建成年份": "1978", "已抗震鉴定加固": "否", "已节能改造": "否"}
    verdict, fired = verdict_of("building", "北京市", AS_OF, row)
    assert verdict == "第一类老旧楼宇" and fired == ["BJ-2-1a", "BJ-2-2a"]


def test_the_1980_and_2005_readings_can_be_switched():
    y1980 = {**SOUND, "建成年份": "1980", "已抗震鉴定加固": "否"}
    exclusive = parse_config({"province": "北京市", "readings": {"BJ-1980": "不含1980年"}})
    assert verdict_of("building", "北京市", AS_OF, y1980, exclusive)[0] == "否"
    y2005 = {**SOUND, "建成年份": "2005", "已节能改造": "否"}
    inclusive = parse_config({"province": "北京市", "readings": {"BJ-2005": "包含2005年"}})
    assert verdict_of("building", "北京市", AS_OF, y2005, inclusive) == ("第二类老旧楼宇", ["BJ-2-2a"])


def test_building_citation_is_article_2_of_the_beijing_measures():
    frame = ledger("building", [{"编号": "B1", **SOUND, "建成年份": "1970", "已抗震鉴定加固": "否"}])
    [entry] = evaluate(frame, "building", "北京市", AS_OF).fired(0)
    assert entry["source"] == "《老旧低效楼宇更新实施办法（试行）》（京建法〔2024〕14号）第二条"
    assert "建成年份：1970" in entry["reason"] and "1980年以前建成" in entry["reason"]


def test_buildings_outside_beijing_have_no_catalogue():
    frame = ledger("building", [{"编号": "B1", **SOUND, "建成年份": "1970"}])
    with pytest.raises(RuleError, match="广东省尚无老旧楼宇认定规则目录.*北京市"):
        evaluate(frame, "building", "广东省", AS_OF)


@pytest.mark.parametrize("year,expected", [(2000, "重点改造对象"), (2001, "非重点对象"), (1995, "重点改造对象")])
def test_old_communities_built_by_end_of_2000(year, expected):
    verdict, fired = verdict_of("community", "河南省", AS_OF, {"名称": "某小区", "建成年份": str(year)})
    assert verdict == expected
    assert fired == (["GBF-2-1"] if expected == "重点改造对象" else [])


def test_community_citation():
    frame = ledger("community", [{"编号": "C1", "名称": "某小区", "建成年份": "1999"}])
    [entry] = evaluate(frame, "community", "广东省", AS_OF).fired(0)
    assert entry["source"] == "《关于全面推进城镇老旧小区改造工作的指导意见》（国办发〔2020〕23号）二、（一）"


DANGER_CASES = [
    ("D-grade", {"危险性等级": "D级", "土地性质": "集体土地", "保护对象": "否"}, "拆除改造", "CPC-2-1b"),
    ("C-grade-state-land", {"危险性等级": "C级", "土地性质": "国有土地", "保护对象": "否"}, "加固改建重建", "CPC-2-1c"),
    ("C-grade-collective", {"危险性等级": "C级", "土地性质": "集体土地", "保护对象": "否"}, "不适用", None),
    ("D-grade-heritage", {"危险性等级": "D级", "土地性质": "国有土地", "保护对象": "是"}, "一屋一策", "CPC-2-1a"),
    ("non-self-contained", {"危险性等级": "B级", "土地性质": "国有土地", "保护对象": "否", "非成套住房": "是"}, "加固改建重建", "CPC-2-1d"),
]


@pytest.mark.parametrize("case", DANGER_CASES, ids=[c[0] for c in DANGER_CASES])
def test_dangerous_housing(case):
    _, row, expected, rule = case
    verdict, fired = verdict_of("dangerous_housing", "山西省", AS_OF, row)
    assert verdict == expected
    assert (rule in fired) if rule else fired == []


def test_a_building_that_cannot_be_decided_is_reported_and_listed():
    rows = [{"编号": "B1", **SOUND, "建成年份": "1975", "已抗震鉴定加固": ""},
            {"编号": "B2", **SOUND, "建成年份": "1975", "已抗震鉴定加固": "", "其他安全隐患已鉴定加固": "否"}]
    result = evaluate(ledger("building", rows), "building", "北京市", AS_OF)
    assert list(result.verdicts["verdict"].astype(str)) == ["否", "第一类老旧楼宇"]
    assert any(p.startswith("1 行因缺少数据无法判断是否属于“第一类：1980年以前建成且未进行抗震鉴定与加固”") and "B1" in p
               for p in result.problems)
    [entry] = result.fired(0)
    assert entry["id"] == "BJ-2-1a" and "已抗震鉴定加固" in entry["reason"] and "缺少数据" in entry["reason"]
    assert [e["id"] for e in result.fired(1)] == ["BJ-2-1b"]  # type 1 holds anyway: nothing undecided to report


def test_the_scope_of_article_2_can_be_limited_to_offices_and_commerce():
    hotel = {**SOUND, "主要功能": "酒店", "建成年份": "1978", "已抗震鉴定加固": "否"}
    office = {**SOUND, "主要功能": "办公", "建成年份": "1978", "已抗震鉴定加固": "否"}
    strict = parse_config({"province": "北京市", "readings": {"BJ-scope": "仅办公、商业服务业"}})
    assert verdict_of("building", "北京市", AS_OF, hotel)[0] == "第一类老旧楼宇"  # default: 等 = list not closed
    assert verdict_of("building", "北京市", AS_OF, hotel, strict) == ("否", [])
    assert verdict_of("building", "北京市", AS_OF, office, strict) == ("第一类老旧楼宇", ["BJ-2-1a"])


def test_stored_choice_codes_read_as_their_labels():
    """A frame from the database holds choice codes (state, office, D); the rules read them as labels."""
    import pandas as pd

    housing = pd.DataFrame({"code": ["H1", "H2"], "grade": ["C", "D"], "land_type": ["state", "collective"],
                            "heritage": [False, None], "region": ["东城区", "西城区"]})
    result = evaluate(housing, "dangerous_housing", "北京市", AS_OF)
    assert list(result.verdicts["verdict"].astype(str)) == ["加固改建重建", "拆除改造"]
    buildings = pd.DataFrame({"code": ["B1"], "function": ["office"], "built_year": [1978], "seismic_retrofitted": [False],
                              "other_safety_retrofitted": [True], "energy_retrofitted": [True],
                              "energy_ratio_prev2": [50.0], "energy_ratio_prev1": [50.0]})
    strict = parse_config({"province": "北京市", "readings": {"BJ-scope": "仅办公、商业服务业"}})
    assert evaluate(buildings, "building", "北京市", AS_OF, strict).verdicts["verdict"].iloc[0] == "第一类老旧楼宇"
