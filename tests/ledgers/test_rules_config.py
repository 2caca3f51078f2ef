"""Rule files and city rule files: the law's threshold words, readings, local rules, bad input in Chinese."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from cityrenew.ledgers.rules import (
    LedgerFileError,
    RuleError,
    available_provinces,
    bound_of_words,
    calendar_age,
    evaluate,
    load_config,
    packaged_rulesets,
    parse_config,
    to_canonical,
)
from cityrenew.ledgers.rules.model import parse_ruleset

from .rules_support import ledger, verdict_of


@pytest.mark.parametrize("words,bound", [
    ("运行年限满20年", "inclusive"), ("35蒸吨/小时及以下", "inclusive"), ("年满15年以上", "inclusive"),
    ("2000年底前建成", "inclusive"), ("不超过10年", "inclusive"),
    ("超过标准约束值百分之八十", "exclusive"), ("未满20年", "exclusive"), ("不满5年", "exclusive"),
    ("使用超过10年以上", "ambiguous"), ("1980年以前建成", "ambiguous"), ("2005年前建成", "ambiguous"),
])
def test_threshold_words_read_as_civil_code_article_1259(words, bound):
    assert bound_of_words(words) == bound


def test_calendar_age_counts_full_years_by_date():
    s = pd.Series(pd.to_datetime(["2006-06-30", "2006-07-01", "2004-02-29", None, "2027-01-01"]))
    years, anniversary = calendar_age(s, date(2026, 6, 30))
    assert years[:3].tolist() == [20, 19, 22]
    assert pd.isna(years[3]) and pd.isna(years[4])  # unknown, and in the future
    assert anniversary[:3].tolist() == [True, False, False]


def test_every_packaged_rule_file_loads_with_citations():
    sets = packaged_rulesets()
    assert {rs.province for rs in sets if rs.kind == "equipment"} == {"河南省", "河北省", "山西省", "上海市", "广东省"}
    assert available_provinces("building") == ["北京市"]
    for rs in sets:
        for rule in rs.rules:
            assert rule.document and rule.article and rule.lines.startswith("L"), rule.id
            assert rule.source().startswith("《"), rule.id


def _ruleset(cond: dict, **extra) -> dict:
    return {"province": "测试省", "kind": "equipment", "version": "1", "title": "测试目录", **extra,
            "rule": [{"id": "T-1", "title": "测试", "category": ["燃气管道"], "verdict": "强制更新",
                      "document": "GF-2024-7", "article": "一、", "when": [cond]}]}


def test_a_rule_whose_comparison_contradicts_its_words_is_refused():
    with pytest.raises(RuleError, match="“超过10年”按民法典第一千二百五十九条应不含本数"):
        parse_ruleset(_ruleset({"field": "age", "op": ">=", "value": 10, "words": "超过10年"}), "规则文件 t.toml")
    with pytest.raises(RuleError, match="“满20年”按民法典第一千二百五十九条应含本数"):
        parse_ruleset(_ruleset({"field": "age", "op": ">", "value": 20, "words": "满20年"}), "规则文件 t.toml")


def test_ambiguous_words_need_a_stated_reading():
    with pytest.raises(RuleError, match="是否包含本数不明确"):
        parse_ruleset(_ruleset({"field": "age", "op": ">", "value": 10, "words": "超过10年以上"}), "规则文件 t.toml")
    reading = {"r1": {"question": "是否含10年", "choices": {"含": ">=", "不含": ">"}, "default": "不含"}}
    rs = parse_ruleset(_ruleset({"field": "age", "op": "@r1", "value": 10, "words": "超过10年以上"}, reading=reading), "t")
    assert rs.readings["r1"].default == "不含"


def test_rule_file_errors_name_the_problem_in_chinese():
    with pytest.raises(RuleError, match="字段“年龄”不是equipment台账的字段"):
        parse_ruleset(_ruleset({"field": "年龄", "op": ">=", "value": 1, "words": "满1年"}), "t")
    bad_doc = _ruleset({"field": "hazard", "op": "is", "value": True})
    bad_doc["rule"][0]["document"] = "NO-SUCH-DOC"
    with pytest.raises(RuleError, match="政策文件编码“NO-SUCH-DOC”未在政策文件目录中登记"):
        parse_ruleset(bad_doc, "t")


def test_a_province_without_a_catalogue_gets_a_specific_message():
    frame = ledger("equipment", [{"编号": "E1", "设备类别": "燃气管道"}])
    with pytest.raises(RuleError) as exc:
        evaluate(frame, "equipment", "江苏省", date(2026, 6, 30))
    msg = str(exc.value)
    assert msg.startswith("江苏省尚无设施设备更新规则目录")
    assert "广东省" in msg and "河南省" in msg


LOCAL = """
city = "郑州市"
province = "河南省"

[readings]
"HA-CM-age" = "含本数"

[[rule]]
kind = "equipment"
id = "ZZ-GAS-01"
title = "运行满25年的钢质燃气管道"
category = ["燃气管道"]
verdict = "强制更新"
source = "《郑州市城镇燃气管道老化更新改造实施方案》第五条"
when = [
  { field = "material", op = "in", value = ["钢质"], words = "钢质燃气管道" },
  { field = "age", op = ">=", value = 25, words = "运行满25年" },
]
"""


def test_a_city_adds_a_local_rule_with_its_own_citation(tmp_path):
    path = tmp_path / "zhengzhou.toml"
    path.write_text(LOCAL, encoding="utf-8")
    config = load_config(path)
    assert config.city == "郑州市" and config.province == "河南省"
    rows = [{"编号": "G1", "设备类别": "燃气管道", "材质": "钢质", "投用日期": "2001-06-30"},
            {"编号": "G2", "设备类别": "燃气管道", "材质": "钢质", "投用日期": "2001-07-01"}]
    result = evaluate(ledger("equipment", rows), "equipment", None, date(2026, 6, 30), config)
    assert list(result.verdicts["verdict"].astype(str)) == ["强制更新", "不需更新"]
    [entry] = result.fired(0)
    assert entry["id"] == "ZZ-GAS-01" and entry["local"]
    assert entry["source"] == "《郑州市城镇燃气管道老化更新改造实施方案》第五条"
    # the reading the city switched applies to the province's rules too
    machine = {"设备类别": "建筑施工机械", "投用日期": "2016-06-30", "排放达标": "是", "安全隐患": "否"}
    assert verdict_of("equipment", "河南省", date(2026, 6, 30), machine, config)[0] == "强制更新"


@pytest.mark.parametrize("data,message", [
    ({"province": "河南省", "readings": {"NO-SUCH": "含本数"}}, "解读“NO-SUCH”不存在"),
    ({"province": "河南省", "readings": {"HA-CM-age": "大概"}}, "没有选项“大概”（可选：不含本数、含本数）"),
    ({"province": "河南省", "rule": [{"kind": "equipment", "id": "L1", "title": "x", "category": ["燃气管道"],
                                      "verdict": "强制更新", "when": [{"field": "hazard", "op": "is", "value": True}]}]},
     "本地规则须写明依据"),
    ({"province": "河南省", "rule": [{"kind": "equipment", "id": "HA-A1-9", "title": "x", "source": "《x》",
                                      "verdict": "强制更新", "category": ["燃气管道"],
                                      "when": [{"field": "hazard", "op": "is", "value": True}]}]},
     "编号“HA-A1-9”与已有规则重复"),
    ({"province": "河南省", "rule": [{"kind": "equipment", "id": "L2", "title": "x", "source": "《x》",
                                      "verdict": "立即拆除", "category": ["燃气管道"],
                                      "when": [{"field": "hazard", "op": "is", "value": True}]}]},
     "结论“立即拆除”不是equipment台账可用的结论"),
])
def test_bad_city_rule_files_are_refused_in_chinese(data, message):
    with pytest.raises(RuleError, match=message):
        parse_config(data, "城市规则文件 city.toml")


def test_bad_ledger_cells_are_all_reported_and_nothing_is_returned():
    raw = pd.DataFrame({"编号": ["A", "B", "A"], "设备类别": ["燃煤锅炉"] * 3, "材质": ["", "", ""],
                        "投用日期": ["2030-01-01", "2006-13-01", "2006-01-01"], "额定蒸发量（蒸吨/小时）": ["-5", "10", "x"],
                        "能效等级": ["", "", ""], "排放达标": ["也许", "是", "否"], "安全隐患": ["", "", ""],
                        "检验结论": ["", "", ""], "所在区域": ["", "", ""]})
    with pytest.raises(LedgerFileError) as exc:
        to_canonical(raw, "equipment", today=date(2026, 6, 30))
    messages = exc.value.messages
    assert "第 2 行「投用日期」：日期 2030-01-01 在今天（2026-06-30）之后" in messages
    assert "第 3 行「投用日期」：日期“2006-13-01”不存在" in messages
    assert "第 2 行「额定蒸发量（蒸吨/小时）」：不能为负数（-5）" in messages
    assert "第 4 行「额定蒸发量（蒸吨/小时）」：应为数字" in messages
    assert "第 2 行「排放达标」：应为“是”或“否”，而不是“也许”" in messages
    assert "第 4 行「编号」：编号“A”重复" in messages


def test_a_template_of_another_ledger_type_is_named():
    raw = pd.DataFrame({h: ["x"] for h in ["编号", "名称", "主要功能", "建成年份", "已抗震鉴定加固", "其他安全隐患已鉴定加固",
                                           "已节能改造", "用能占约束值比例（前年）", "用能占约束值比例（上年）", "所在区域"]})
    with pytest.raises(LedgerFileError, match="这是老旧楼宇台账的表格，不是设施设备台账"):
        to_canonical(raw, "equipment")
