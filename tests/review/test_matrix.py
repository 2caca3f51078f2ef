"""The review matrix file: the packaged transcription of 第十二条 and the validation of a city's own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cityrenew.review.matrix import (
    PACKAGED_TEXT,
    MatrixError,
    packaged_matrix,
    parse_matrix,
)

SEEDS = Path(__file__).resolve().parents[2] / "cityrenew" / "policies" / "data" / "seeds"


def test_packaged_matrix_transcribes_article_12():
    m = packaged_matrix()
    assert m.version == "BJ-2024-12" and m.source == "packaged"
    assert len(m.departments) == 15 and len(m.items) == 17 and len(m.always) == 9
    clauses = {i.clause for i in m.items}
    assert clauses == {"（一）", "（二）", "（三）", "（四）", "（五）", "（六）", "（七）", "（八）"}
    for item in m.items:
        assert item.citation.document == "BJ-2024-JOINT-REVIEW" and item.citation.article == "第十二条"
        assert item.quote and item.points
    planning = m.item("planning_land")
    assert planning.points == ("主体结构", "外立面改造", "城市设计", "风貌管控", "用途调整", "用地保障", "土地利用方式",
                               "过渡期政策", "产权办理路径", "建设工程消防设计")
    assert m.item("fiscal_funds").condition == "涉及财政资金支持的"
    assert m.item("consultation_vote").department.name == "区城市更新主管部门"
    assert planning.basis == "《北京市城市更新实施方案联合审查管理办法（试行）》第十二条（三）"


def test_quotes_are_the_articles_own_words():
    """Every quote is in the seed text of 第十二条 (L2138–L2189) once line breaks and spaces are removed."""
    seed = next(SEEDS.glob("003_*.txt"))
    lines = seed.read_text(encoding="utf-8").splitlines()[2137:2189]
    text = re.sub(r"\s+", "", "".join(lines))
    for item in packaged_matrix().items:
        assert re.sub(r"\s+", "", item.quote) in text, item.key


BASE = '''version = "v1"
title = "本市矩阵"
[[department]]
key = "planning"
name = "区规划和自然资源局"
[[item]]
key = "planning_land"
department = "planning"
title = "规划与用地"
points = ["用途调整"]
document = "BJ-2024-JOINT-REVIEW"
article = "第十二条"
clause = "（三）"
quote = "规划自然资源部门组织审查"
'''


def test_a_city_matrix_in_the_same_format_is_read():
    m = parse_matrix(BASE)
    assert m.source == "city" and m.item("planning_land").department.name == "区规划和自然资源局"
    assert [(i.key, i.quote) for i in parse_matrix(PACKAGED_TEXT).items] == [(i.key, i.quote) for i in packaged_matrix().items]


@pytest.mark.parametrize("change, message", [
    (("version = \"v1\"\n", ""), "审查矩阵缺少「version」"),
    (("[[item]]", "[[item]"), "不是有效的 TOML"),
    (('document = "BJ-2024-JOINT-REVIEW"', 'document = "XX"'), "引用的政策文件“XX”未登记"),
    (('article = "第十二条"', 'article = "12"'), "审查事项“planning_land”的依据不正确"),
    (('department = "planning"', 'department = "finance"'), "审查事项“planning_land”的部门“finance”未在 [[department]] 中列出"),
    (('points = ["用途调整"]', "points = []"), "「points」应为非空的审查内容列表"),
    (('quote = "规划自然资源部门组织审查"\n', ""), "审查事项“planning_land”缺少「quote」"),
    (('clause = "（三）"', 'clause = "3"'), "「clause」“3”应为（一）这样的款项编号"),
    (('key = "planning"\n', 'key = "Planning!"\n'), "只能用小写字母、数字和下划线"),
])
def test_bad_matrices_are_refused_in_chinese(change, message):
    old, new = change
    assert old in BASE
    with pytest.raises(MatrixError, match=re.escape(message)):
        parse_matrix(BASE.replace(old, new, 1))


def test_duplicates_and_idle_departments_are_refused():
    with pytest.raises(MatrixError, match="审查事项「key」“planning_land”重复|第 2 个审查事项「key」“planning_land”重复"):
        parse_matrix(BASE + BASE[BASE.index("[[item]]"):])
    with pytest.raises(MatrixError, match="部门区财政局没有任何审查事项"):
        parse_matrix(BASE + '[[department]]\nkey = "finance"\nname = "区财政局"\n')
