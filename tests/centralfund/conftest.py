"""Fixtures of the central-fund tests: score files, a Sichuan province with Chengdu, applications."""

from __future__ import annotations

from pathlib import Path

import pytest

# 25 provinces, one city each, distinct written scores from 95.5 down by 1.5 (the last: 59.5).
PROVINCE_CITIES = [
    ("北京市", "北京市"), ("上海市", "上海市"), ("天津市", "天津市"), ("重庆市", "重庆市"), ("四川省", "成都市"),
    ("河南省", "郑州市"), ("广东省", "广州市"), ("江苏省", "南京市"), ("浙江省", "杭州市"), ("湖北省", "武汉市"),
    ("湖南省", "长沙市"), ("陕西省", "西安市"), ("山东省", "济南市"), ("福建省", "福州市"), ("安徽省", "合肥市"),
    ("江西省", "南昌市"), ("山西省", "太原市"), ("河北省", "石家庄市"), ("辽宁省", "沈阳市"), ("吉林省", "长春市"),
    ("黑龙江省", "哈尔滨市"), ("云南省", "昆明市"), ("贵州省", "贵阳市"), ("甘肃省", "兰州市"), ("广西壮族自治区", "南宁市"),
]


def scores_csv(rows: list[tuple[str, str, str]], header: str = "城市, 省份, 书面评审得分") -> str:
    return header + "\n" + "".join(f"{c}, {p}, {s}\n" for c, p, s in rows)


def default_rows(n: int = 25) -> list[tuple[str, str, str]]:
    return [(city, prov, f"{95.5 - 1.5 * i:.1f}") for i, (prov, city) in enumerate(PROVINCE_CITIES[:n])]


@pytest.fixture
def scores_file(tmp_path) -> Path:
    path = tmp_path / "scores.csv"
    path.write_text(scores_csv(default_rows()), encoding="utf-8")
    return path


@pytest.fixture
def chengdu(db):
    """四川省 → 成都市 → 锦江区 (a second province and city beside the Zhengzhou tree)."""
    from cityrenew.core.models import Region

    prov = Region.objects.create(code="510000", name="四川省", level="province", kind="province")
    city = Region.objects.create(code="510100", name="成都市", level="city", kind="prefecture_city", parent=prov)
    Region.objects.create(code="510104", name="锦江区", level="district", kind="urban_district", parent=city)
    return city
