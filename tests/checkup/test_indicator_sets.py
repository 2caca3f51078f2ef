"""Indicator sets: the MOHURD 2025 (60) and earlier (61) lists load from the catalogue, the system
lists their differences, and a city can copy a set, add its own indicators and retire others."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from cityrenew.checkup.catalogue import SET_2024, SET_2025, add_local_indicator, copy_set, diff_sets, load_indicator_sets, parse_threshold, retire_indicator
from cityrenew.checkup.choices import Computation, Dimension
from cityrenew.checkup.models import Indicator, IndicatorMapping, SubProblemType
from cityrenew.core.models import AuditLog

pytestmark = pytest.mark.django_db


def test_2025_set_has_60_indicators_in_four_dimensions():
    sets = load_indicator_sets()
    s = sets[SET_2025]
    assert s.indicators.count() == 60
    counts = Counter(s.indicators.values_list("dimension", flat=True))
    assert counts == {Dimension.HOUSING: 9, Dimension.COMMUNITY: 12, Dimension.BLOCK: 8, Dimension.CITY: 31}
    last = s.indicators.get(number=60)
    assert last.name == "问题整治完成率" and last.group == "问题整治" and last.dimension == Dimension.CITY
    assert last.computation == Computation.COMPLETION
    groups = Counter(s.indicators.filter(dimension=Dimension.CITY).values_list("group", flat=True))
    assert groups == {"生态宜居": 7, "历史文化保护利用": 5, "产城融合职住平衡": 4, "安全韧性": 9, "智慧高效": 5, "问题整治": 1}
    # every indicator cites the manual and names a responsible department
    assert not s.indicators.filter(department="").exists()
    assert str(s.indicators.get(number=22).citation) == "《城市体检工作手册（试行）》指标22"


def test_2024_set_has_61_indicators():
    s = load_indicator_sets()[SET_2024]
    assert s.indicators.count() == 61
    counts = Counter(s.indicators.values_list("dimension", flat=True))
    assert counts == {Dimension.HOUSING: 10, Dimension.COMMUNITY: 12, Dimension.BLOCK: 8, Dimension.CITY: 31}


def test_loading_twice_changes_nothing():
    load_indicator_sets()
    n_logs = AuditLog.objects.count()
    n_maps = IndicatorMapping.objects.count()
    load_indicator_sets()
    assert AuditLog.objects.count() == n_logs
    assert IndicatorMapping.objects.count() == n_maps
    assert Indicator.objects.count() == 121


def test_the_system_lists_the_differences_between_2024_and_2025():
    sets = load_indicator_sets()
    d = diff_sets(sets[SET_2024], sets[SET_2025])
    assert [(i.number, i.name) for i in d.dropped] == [(8, "入户水质不达标的住宅数量"), (36, "未达标配建的妇幼保健机构数量")]
    assert [(i.number, i.name) for i in d.added] == [(60, "问题整治完成率")]
    assert {(a.name, b.name) for a, b, _ in d.replaced} == {
        ("人均体育场地面积", "足球场地服务半径覆盖率"),
        ("房屋市政工程安全生产事故数", "房屋市政工程生产安全事故死亡率"),
        ("安全距离不达标的加油加气加氢站数量", "城市危旧桥梁数量"),
        ("城市运行管理服务平台覆盖率", "城市运行管理智慧化水平"),
    }
    assert {(a.number, b.number) for a, b, _ in d.renamed} == {(30, 29), (53, 52), (59, 57)}
    assert len(d.same) == 61 - 2 - 4 - 3
    # drainage capacity changed unit → not comparable; road density only changed its writing
    changed = {a.name: note for a, b, note in d.unit_changed}
    assert "数值不可比" in changed["城市排水防涝应急抢险能力"]
    assert "含义相同" in changed["城市道路网密度"]
    m = IndicatorMapping.objects.get(from_indicator__indicator_set__code=SET_2024, from_indicator__number=50)
    assert m.comparable is False
    text = "\n".join(d.lines())
    assert "删除：MOHURD-2024 指标8 入户水质不达标的住宅数量" in text
    assert "新增：MOHURD-2025 指标60 问题整治完成率" in text


def test_sub_problems_from_the_manual():
    load_indicator_sets()
    sp = SubProblemType.objects.get(indicator__indicator_set__code=SET_2025, code="2.1.1")
    assert sp.name == "混凝土结构构件裂缝" and sp.indicator.number == 1 and sp.default_severity == "severe"
    assert SubProblemType.objects.filter(indicator__indicator_set__code=SET_2025, indicator__number=3).count() == 8


@pytest.mark.parametrize(
    "text,direction,expected",
    [
        (">=70% by 2025 (建城〔2022〕29号)", "higher_better", (Decimal("70"), ">=")),
        ("100%", "higher_better", (Decimal("100"), ">=")),
        ("0", "count_of_problems", (Decimal("0"), "<=")),
        (">=2 m2/person (GB50413-2007 fixed shelters)", "higher_better", (Decimal("2"), ">=")),
        (">=30% for municipalities, provincial capitals; >=15% for prefecture-level cities", "higher_better", (None, "")),
        ("Set by each province", "higher_better", (None, "")),
        ("Manual cites a provincial example (Zhejiang): >=100 m3/h per km2", "higher_better", (None, "")),
        ("", "higher_better", (None, "")),
    ],
)
def test_thresholds_are_parsed_conservatively(text, direction, expected):
    value, comp, _note = parse_threshold(text, direction, "%")
    assert (value, comp) == expected


def test_catalogue_thresholds_in_the_2025_set():
    s = load_indicator_sets()[SET_2025]
    t = {i.number: (i.threshold, i.comparator) for i in s.indicators.all()}
    assert t[30] == (Decimal("70"), ">=")
    assert t[35] == (Decimal("8"), ">=")
    assert t[37] == (Decimal("100"), ">=")
    assert t[39] == (Decimal("0"), "<=")
    assert t[54] == (Decimal("2"), ">=")
    assert t[55] == (None, "")  # depends on the city class
    assert t[58] == (None, "")
    pct = s.indicators.get(number=30)
    assert (pct.min_value, pct.max_value) == (Decimal("0"), Decimal("100"))


def test_city_copies_a_set_adds_and_retires(regions):
    sets = load_indicator_sets()
    zz = regions["郑州市"]
    local = copy_set(sets[SET_2025], zz, "ZZ-2025", "郑州市城市体检指标体系（2025年）")
    assert local.indicators.count() == 60 and local.copied_from == sets[SET_2025]
    add_local_indicator(local, dimension=Dimension.CITY, group="城市特色", name="黄河流域生态保护示范岸线长度",
                        unit="千米", direction="higher_better", method_text="reported", department="water")
    retire_indicator(local.indicators.get(number=28))
    assert local.indicators.count() == 61
    assert local.active_indicators().count() == 60
    d = diff_sets(sets[SET_2025], local)
    assert [i.name for i in d.added] == ["黄河流域生态保护示范岸线长度"]
    assert [i.number for i in d.dropped] == [28]
    # the copy still maps back to the 2024 list through its original
    d24 = diff_sets(sets[SET_2024], local)
    assert {(a.number, b.number) for a, b, _ in d24.renamed} == {(30, 29), (53, 52), (59, 57)}
    with pytest.raises(ValueError, match="已存在"):
        copy_set(sets[SET_2025], zz, "ZZ-2025", "重复")
    with pytest.raises(ValueError, match="国家基础指标体系"):
        retire_indicator(sets[SET_2025].indicators.get(number=1))
