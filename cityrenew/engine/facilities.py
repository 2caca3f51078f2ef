"""Facility categories (设施类别) and the declarative mapping from OSM tags / POI types to them.

A category is a key such as ``primary_school``; the spatial rule table
(``cityrenew/catalogue/spatial_rules.csv``) refers to these keys. A feature belongs to a category when
any of the category's :class:`TagRule` matches its OSM tags, or when its POI type text (Amap/Tencent
``type`` such as ``科教文化服务;学校;小学``, or a free ``category`` column) contains one of the
category's keywords. A feature can belong to several categories (a 九年一贯制学校 is both a primary
and a middle school; a park is also green space).

Matching is vectorised over a table of tags (one boolean array per rule), never a loop per feature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import NDArray


@dataclass(frozen=True)
class TagRule:
    """``key`` has one of ``values`` (any value if empty), and ``name`` matches ``name_regex`` if given,
    and does not match ``exclude_name_regex``."""

    key: str
    values: tuple[str, ...] = ()
    name_regex: str = ""
    exclude_name_regex: str = ""


@dataclass(frozen=True)
class Category:  # 设施类别
    key: str
    label: str  # Chinese label shown to users
    osm: tuple[TagRule, ...] = ()
    poi_keywords: tuple[str, ...] = ()  # substrings of a POI type text
    poi_exclude: tuple[str, ...] = field(default_factory=tuple)


# Chinese school names carry the level: 小学 primary, 中学/初中 junior middle, 九年一贯/十二年一贯
# both; 高中/高级中学 only senior high, which is not the 初中 of indicator 22.
_PRIMARY = r"小学|九年|一贯|完全学校|primary"
_MIDDLE = r"中学|初中|九年|一贯|完全学校|middle"
_NOT_MIDDLE = r"高级中学|高中|中学附属小学|附小|职业|中专|技校"

CATEGORIES: dict[str, Category] = {
    c.key: c
    for c in (
        Category(
            "primary_school",
            "小学",
            (TagRule("amenity", ("school",), name_regex=_PRIMARY), TagRule("isced:level", ("1",))),
            ("小学",),
        ),
        Category(
            "middle_school",
            "初中（中学）",
            (
                TagRule("amenity", ("school",), name_regex=_MIDDLE, exclude_name_regex=_NOT_MIDDLE),
                TagRule("isced:level", ("2",)),
            ),
            ("中学", "初中"),
            ("高中", "高级中学"),
        ),
        Category("kindergarten", "幼儿园", (TagRule("amenity", ("kindergarten",)),), ("幼儿园",)),
        Category(
            "childcare",
            "托育（托儿所）",
            (TagRule("amenity", ("childcare",)),),
            ("托儿所", "托育", "早教"),
        ),
        Category(
            "elderly_care",
            "养老服务设施",
            (
                TagRule("amenity", ("nursing_home", "social_facility")),
                TagRule("social_facility", ("nursing_home", "assisted_living", "group_home")),
                TagRule("social_facility:for", ("senior", "elderly")),
            ),
            ("养老", "敬老", "老年", "日间照料"),
        ),
        Category(
            "health",
            "医疗卫生（社区卫生服务中心、医院、诊所）",
            (
                TagRule("amenity", ("hospital", "clinic", "doctors")),
                TagRule("healthcare", ("hospital", "clinic", "doctor", "centre")),
            ),
            ("医院", "诊所", "卫生服务", "卫生院", "医疗保健"),
            ("宠物", "动物医院"),
        ),
        Category(
            "market",
            "菜市场、生鲜超市",
            (
                TagRule("amenity", ("marketplace",)),
                TagRule("shop", ("supermarket", "greengrocer", "convenience")),
            ),
            ("菜市场", "农贸市场", "超市", "生鲜"),
        ),
        Category(
            "park",
            "公园",
            (TagRule("leisure", ("park",)),),
            ("公园",),
        ),
        Category(
            "green_space",
            "绿化活动场地（街头绿地、游园）",
            (
                TagRule("leisure", ("garden", "common", "village_green")),
                TagRule("landuse", ("village_green", "recreation_ground")),
            ),
            ("广场", "游园", "绿地"),
        ),
        Category(
            "sports",
            "多功能运动场地",
            (TagRule("leisure", ("pitch", "sports_centre", "stadium", "fitness_station", "track")),),
            ("体育", "运动场", "球场", "健身"),
        ),
        Category(
            "culture",
            "文化活动中心",
            (TagRule("amenity", ("community_centre", "arts_centre", "library", "theatre")),),
            ("文化", "图书馆", "活动中心", "文化宫", "少年宫"),
        ),
        Category(
            "bus_stop",
            "公交站",
            (TagRule("highway", ("bus_stop",)), TagRule("public_transport", ("platform",))),
            ("公交车站", "公交站"),
        ),
        Category(
            "metro_station",
            "轨道交通站点",
            (
                TagRule("railway", ("subway_entrance",)),
                TagRule("station", ("subway", "light_rail")),
                TagRule("railway", ("station",), name_regex=r"地铁|站"),
            ),
            ("地铁站", "轻轨站", "地铁", "轨道交通"),
        ),
        Category("fire_station", "消防站", (TagRule("amenity", ("fire_station",)),), ("消防",)),
    )
}

# OSM keys the rules above read (used to build the pyrosm filter and the tag table).
OSM_KEYS: tuple[str, ...] = tuple(
    sorted({r.key for c in CATEGORIES.values() for r in c.osm} | {"name"})
)


def _col(tags: pd.DataFrame, key: str) -> pd.Series:
    if key in tags.columns:
        return tags[key].astype("string").fillna("")
    return pd.Series([""] * len(tags), index=tags.index, dtype="string")


def match_osm(tags: pd.DataFrame, categories: list[str] | None = None) -> dict[str, NDArray[np.bool_]]:
    """For each category, a boolean array: which rows of ``tags`` (one column per OSM key) belong to it."""
    names = _col(tags, "name")
    out: dict[str, NDArray[np.bool_]] = {}
    for key in categories or list(CATEGORIES):
        cat = CATEGORIES[key]
        hit = np.zeros(len(tags), dtype=bool)
        for rule in cat.osm:
            col = _col(tags, rule.key)
            m = np.array(col.isin(rule.values) if rule.values else (col != ""), dtype=bool)
            if rule.name_regex:
                m &= names.str.contains(rule.name_regex, regex=True, flags=re.I).to_numpy(dtype=bool)
            if rule.exclude_name_regex:
                excl = names.str.contains(rule.exclude_name_regex, regex=True).to_numpy(dtype=bool)
                # a 完全中学 (junior + senior) keeps its junior part: exclude only pure senior schools
                both = names.str.contains(r"初中|九年|一贯|完全", regex=True).to_numpy(dtype=bool)
                m &= ~(excl & ~both)
            hit |= m
        out[key] = hit
    return out


def match_poi_types(types: pd.Series, categories: list[str] | None = None) -> dict[str, NDArray[np.bool_]]:
    """For each category, which POI type texts (e.g. Amap ``type``) contain one of its keywords."""
    text = types.astype("string").fillna("")
    out: dict[str, NDArray[np.bool_]] = {}
    for key in categories or list(CATEGORIES):
        cat = CATEGORIES[key]
        if not cat.poi_keywords:
            out[key] = np.zeros(len(text), dtype=bool)
            continue
        hit = text.str.contains("|".join(map(re.escape, cat.poi_keywords)), regex=True).to_numpy(dtype=bool)
        if cat.poi_exclude:
            hit &= ~text.str.contains("|".join(map(re.escape, cat.poi_exclude)), regex=True).to_numpy(dtype=bool)
        # exact category keys ("primary_school") are accepted too
        hit |= (text == key).to_numpy(dtype=bool)
        out[key] = hit
    return out


def category_label(key: str) -> str:
    """Chinese label of a category key (the key itself if unknown)."""
    c = CATEGORIES.get(key)
    return c.label if c else key
