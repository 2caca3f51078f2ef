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
from numpy.typing import ArrayLike, NDArray


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
_MIDDLE = r"中学|初中|九年|一贯|完全学校|\d+中$|[一二三四五六七八九十]中$|铁中|middle"
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
        # 足球场地 by size (指标33) and 绿道 (指标32): from OSM these need the pitch size or the way's
        # name, so engine/features.py assigns them; a facilities layer names them by type text.
        Category("football_3", "三人制足球场地", (), ("三人制足球", "3人制足球")),
        Category("football_5", "五人制足球场地", (), ("五人制足球", "5人制足球", "笼式足球")),
        Category(
            "football_11", "七人制/十一人制足球场地", (), ("足球场", "足球场地"),
            ("三人制", "3人制", "五人制", "5人制", "笼式"),
        ),
        Category("greenway", "绿道", (), ("绿道",)),
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


@dataclass
class Facilities:  # 设施点集
    """Facilities in metres (metric CRS), each reached through one or more *access points*.

    A point facility has one access point (itself); a polygon or line facility (a park, a pitch)
    has its boundary vertices as access points, because a service radius is measured from the site
    boundary (城市体检工作手册 指标25: "radius measured from site boundary").
    ``ax``, ``ay``: access point coordinates; ``owner``: facility index of each access point;
    ``members``: category key → facility indices; ``names``, ``px``, ``py``: per facility.
    """

    ax: NDArray[np.float64]
    ay: NDArray[np.float64]
    owner: NDArray[np.int64]
    members: dict[str, NDArray[np.int64]]
    names: NDArray[np.object_]
    px: NDArray[np.float64]
    py: NDArray[np.float64]

    @property
    def n(self) -> int:
        return int(self.px.shape[0])

    def access_mask(self, category: str) -> NDArray[np.bool_]:
        """Boolean mask over access points of facilities in ``category``."""
        fac = self.members.get(category, np.empty(0, dtype=np.int64))
        inside = np.zeros(self.n, dtype=bool)
        inside[fac] = True
        return inside[self.owner]


def facilities_from_geometries(
    geoms: NDArray[np.object_],
    membership: dict[str, NDArray[np.bool_]],
    names: ArrayLike | None = None,
) -> Facilities:
    """Build :class:`Facilities` from shapely geometries already in a metric CRS (metres).

    Rows that belong to no category are dropped. Points give one access point; lines and polygons
    give their (exterior) vertices.
    """
    import shapely

    geoms = np.asarray(geoms, dtype=object)
    any_cat = np.zeros(len(geoms), dtype=bool)
    for m in membership.values():
        any_cat |= np.asarray(m, dtype=bool)
    any_cat &= ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    keep = np.flatnonzero(any_cat)
    g = geoms[keep]
    nm = np.asarray(names if names is not None else [""] * len(geoms), dtype=object)[keep]
    rep = shapely.point_on_surface(g)
    px, py = shapely.get_x(rep), shapely.get_y(rep)
    poly = np.isin(shapely.get_type_id(g), (3, 6))
    outline = np.where(poly, shapely.boundary(g), g)
    xy, idx = shapely.get_coordinates(outline, return_index=True)
    # facilities whose outline yielded nothing still get their representative point
    have = np.zeros(len(g), dtype=bool)
    have[idx] = True
    miss = np.flatnonzero(~have)
    ax = np.concatenate([xy[:, 0], px[miss]])
    ay = np.concatenate([xy[:, 1], py[miss]])
    owner = np.concatenate([idx, miss]).astype(np.int64)
    members = {k: np.flatnonzero(np.asarray(m, dtype=bool)[keep]).astype(np.int64) for k, m in membership.items()}
    return Facilities(ax=ax, ay=ay, owner=owner, members=members, names=nm, px=px, py=py)
