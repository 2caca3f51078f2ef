"""The rules of 财办建〔2025〕11号 as pure functions: caps by region, the 120% shortlist, scores, one per
province, the 8GB package — each threshold on both sides."""

from __future__ import annotations

from decimal import Decimal

import pytest

from cityrenew.centralfund import rules
from cityrenew.centralfund.caps import UnknownProvince, region_of

from .conftest import default_rows, scores_csv


@pytest.mark.parametrize("province, region, cap", [
    ("四川省", "西部地区", Decimal("12")), ("四川", "西部地区", Decimal("12")), ("广东省", "东部地区", Decimal("8")),
    ("河南省", "中部地区", Decimal("10")), ("上海市", "直辖市", Decimal("12")), ("北京", "直辖市", Decimal("12")),
    ("重庆市", "直辖市", Decimal("12")), ("广西壮族自治区", "西部地区", Decimal("12")), ("黑龙江省", "中部地区", Decimal("10")),
])
def test_cap_per_region_and_municipality(db, province, region, cap):
    got = region_of(province)
    assert (got.region_label, got.cap_yi) == (region, cap)
    assert "四、（一）" in got.as_dict()["rule"]


def test_cap_table_covers_31_provinces_once():
    table = rules.default_regions()
    assert len(table) == 31 and len({r.province for r in table}) == 31
    counts = {k: sum(r.region == k for r in table) for k in rules.CAPS_YI}
    # NBS 2011: 10 east (4 of them municipalities here), 6 central + 3 north-east, 12 west (重庆 a municipality)
    assert counts == {"east": 7, "central": 9, "west": 11, "municipality": 4}


def test_unknown_province_refused(db):
    with pytest.raises(UnknownProvince, match="不是省级行政区名称"):
        region_of("火星省")


def test_edited_region_is_used(db):
    from cityrenew.centralfund.models import ProvinceCapRegion

    row = ProvinceCapRegion.objects.get(province="辽宁省")
    assert region_of("辽宁省").cap_yi == Decimal("10")
    row.region = "east"
    row.save()
    got = region_of("辽宁省")
    assert (got.region_label, got.cap_yi, got.source) == ("东部地区", Decimal("8"), "数据库")
    assert row.get_history().filter(action="update").exists()


@pytest.mark.parametrize("places, size", [(20, 24), (10, 12), (5, 6), (7, 9), (1, 2), (3, 4)])
def test_shortlist_size(places, size):
    assert rules.shortlist_size(places) == size


def test_shortlist_for_20_places_highest_first():
    cities = rules.read_scores_csv(scores_csv(default_rows()).encode())
    result = rules.shortlist(cities, 20)
    assert result.size == 24 and len(result.cities) == 24
    assert [c.city for c in result.cities][:3] == ["北京市", "上海市", "天津市"]
    assert "南宁市" not in [c.city for c in result.cities]  # 25th, lowest
    scores = [c.score for c in result.cities]
    assert scores == sorted(scores, reverse=True)


def test_shortlist_ties_at_the_cut_all_admitted():
    rows = default_rows()
    rows[24] = (rows[24][0], rows[24][1], rows[23][2])  # 25th equal to 24th
    result = rules.shortlist(rules.read_scores_csv(scores_csv(rows).encode()), 20)
    assert result.size == 24 and len(result.cities) == 25 and result.tied_at_cut == ["南宁市"]


def test_one_per_province_refused():
    rows = default_rows(5) + [("绵阳市", "四川", "80")]
    with pytest.raises(rules.RuleError, match=r"第 7 行「省份」：四川省已推荐成都市（第 6 行），又推荐绵阳市；每省（区、市）只可推荐1个城市参评"):
        rules.read_scores_csv(scores_csv(rows).encode())


@pytest.mark.parametrize("score, ok", [("0", True), ("100", True), ("99.99", True), ("100.01", False), ("-0.5", False),
                                       ("101", False), ("abc", False), ("", False), ("88.123", False), ("NaN", False)])
def test_score_range(score, ok):
    rows = default_rows(2) + [("成都市X", "西藏", score)]
    data = scores_csv(rows).encode()
    if ok:
        assert rules.read_scores_csv(data)[-1].score == Decimal(score)
    else:
        with pytest.raises(rules.RuleError, match="第 4 行「书面评审得分」"):
            rules.read_scores_csv(data)


def test_bad_header_and_gbk():
    with pytest.raises(rules.RuleError, match="表头缺少列：书面评审得分"):
        rules.read_scores_csv("城市,省份,得分\n成都市,四川省,90\n".encode())
    assert rules.read_scores_csv("城市,省份,书面评审得分\n成都市,四川省,90\n".encode("gbk"))[0].city == "成都市"


def test_package_8gb_boundary():
    assert rules.package_problem([4 * 10**9, 4 * 10**9]) == ""
    assert "超过 8GB" in rules.package_problem([4 * 10**9, 4 * 10**9 + 1])


def test_combined_score_default_weights():
    assert rules.combined_score(Decimal("90"), Decimal("80")) == Decimal("85.00")
    assert rules.combined_score(Decimal("90"), Decimal("80"), Decimal("0.4")) == Decimal("84.00")
