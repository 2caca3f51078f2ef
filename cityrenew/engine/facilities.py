"""Facility categories (设施类别) and the declarative mapping from OSM tags / POI types to them.

A category is a key such as ``primary_school``; the spatial rule table
(``cityrenew/catalogue/spatial_rules.csv``) refers to these keys. A feature belongs to a category when
any of the category's :class:`TagRule` matches its OSM tags, or when its POI type text (Amap/Tencent
``type`` such as ``科教文化服务;学校;小学``, or a free ``category`` column) contains one of the
category's keywords. A feature can belong to several categories (a 九年一贯制学校 is both a primary
and a middle school; a park is also green space).

Tags first, names second: a school's level (学段) comes from ``isced:level``, ``school:level``,
``school`` or ``grades`` when any of them is tagged, and from the name (小学、初中、中学、九年一贯,
"primary", "middle school" …) only when none is. A school whose level neither tells is
*unclassified*: counted and reported (:func:`unclassified_osm`), never silently dropped. The same
holds for ``amenity=social_facility`` without ``social_facility``/``social_facility:for`` and a
name that says 养老/敬老/老年.

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
    and does not match ``exclude_name_regex``. ``level``: and the school level (ISCED 1 primary, 2
    lower secondary) read from the level tags (:func:`school_levels`); with ``name_if_untagged`` the name
    rule applies only to features without any level tag."""

    key: str
    values: tuple[str, ...] = ()
    name_regex: str = ""
    exclude_name_regex: str = ""
    level: int | None = None
    name_if_untagged: bool = False


@dataclass(frozen=True)
class Category:  # 设施类别
    key: str
    label: str  # Chinese label shown to users
    osm: tuple[TagRule, ...] = ()
    poi_keywords: tuple[str, ...] = ()  # substrings of a POI type text
    poi_exclude: tuple[str, ...] = field(default_factory=tuple)


# Chinese school names carry the level: 小学 primary, 中学/初中 junior middle, 九年一贯/十二年一贯
# both; 高中/高级中学 only senior high, which is not the 初中 of indicator 22.
_PRIMARY = r"小学|九年|一贯|完全学校|primary|elementary"
_MIDDLE = r"中学|初中|九年|一贯|完全学校|\d+中$|[一二三四五六七八九十]中$|铁中|middle|junior high"
_NOT_MIDDLE = r"高级中学|高中|中学附属小学|附小|职业|中专|技校"
# Names that settle a school's level as one the engine does not rate (senior high, vocational,
# higher education, special education, training): such a school is classified, not "unclassified".
_OTHER_LEVEL = (
    r"高级中学|高中|职业|职高|中专|技校|技工|卫校|大学|学院|培训|特殊教育|特教|培智|幼儿园|"
    r"电大|广播电视大学|进修|high school|college|university|academy|kindergarten|vocational"
)
_ELDERLY_NAME = r"养老|敬老|老年|老人|颐养|日间照料|elderly|senior|nursing"

CATEGORIES: dict[str, Category] = {
    c.key: c
    for c in (
        Category(
            "primary_school",
            "小学",
            (
                TagRule("amenity", ("school",), name_regex=_PRIMARY, name_if_untagged=True),
                TagRule("amenity", ("school",), level=1),
            ),
            ("小学",),
        ),
        Category(
            "middle_school",
            "初中（中学）",
            (
                TagRule(
                    "amenity", ("school",), name_regex=_MIDDLE, exclude_name_regex=_NOT_MIDDLE, name_if_untagged=True
                ),
                TagRule("amenity", ("school",), level=2),
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
                TagRule("amenity", ("nursing_home",)),
                TagRule("amenity", ("social_facility",), name_regex=_ELDERLY_NAME),
                TagRule("social_facility", ("nursing_home", "assisted_living")),
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

# Tags that state a school's level, read before the name (tags first, names second).
LEVEL_KEYS = ("isced:level", "school:level", "school", "grades")
_LEVEL_WORDS = {
    "kindergarten": (0,), "preschool": (0,), "pre_school": (0,), "nursery": (0,),
    "primary": (1,), "elementary": (1,), "elementary_school": (1,), "primary_school": (1,),
    "secondary": (2, 3), "middle": (2,), "lower_secondary": (2,), "junior_high": (2,), "junior": (2,),
    "upper_secondary": (3,), "high": (3,), "senior_high": (3,), "high_school": (3,),
    "tertiary": (5,), "university": (6,), "vocational": (3,),
    "小学": (1,), "初中": (2,), "中学": (2, 3), "高中": (3,),
}

# OSM keys the rules above read (used to build the pyrosm filter and the tag table).
OSM_KEYS: tuple[str, ...] = tuple(
    sorted({r.key for c in CATEGORIES.values() for r in c.osm} | {"name", "social_facility:for", *LEVEL_KEYS})
)


def _grade_levels(text: str) -> set[int]:
    """``grades`` (1–6 primary, 7–9 lower secondary, 10–12 upper secondary; "K" kindergarten)."""
    out: set[int] = set()
    for part in re.split(r"[;,]", text):
        nums = [0 if t.strip().upper() in ("K", "PK", "TK") else int(t) for t in re.findall(r"[0-9]+|[KkPpTt][Kk]?", part) if t.strip()]
        if not nums:
            continue
        lo, hi = min(nums), max(nums)
        for g in range(lo, hi + 1):
            out.add(0 if g == 0 else 1 if g <= 6 else 2 if g <= 9 else 3)
    return out


def _levels_of(key: str, text: str) -> set[int]:
    text = text.strip().lower()
    if not text:
        return set()
    if key == "grades":
        return _grade_levels(text)
    out: set[int] = set()
    for part in re.split(r"[;,/]", text):
        part = part.strip()
        rng = re.fullmatch(r"(\d)\s*[-–]\s*(\d)", part)
        if rng:
            out.update(range(int(rng[1]), int(rng[2]) + 1))
        elif part.isdigit():
            out.add(int(part))
        elif part in _LEVEL_WORDS:
            out.update(_LEVEL_WORDS[part])
    return out


def school_levels(tags: pd.DataFrame) -> tuple[dict[int, NDArray[np.bool_]], NDArray[np.bool_]]:
    """ISCED levels per row from the level tags (``isced:level=1;2``, ``school:level=primary``,
    ``school=secondary``, ``grades=1-9`` …): ``({level: mask}, tagged)`` where ``tagged`` marks rows
    with any level tag. Distinct tag values are parsed once, not once per feature."""
    levels: dict[int, NDArray[np.bool_]] = {lv: np.zeros(len(tags), dtype=bool) for lv in range(7)}
    tagged = np.zeros(len(tags), dtype=bool)
    for key in LEVEL_KEYS:
        col = _col(tags, key)
        has = (col != "").to_numpy(dtype=bool)
        if not has.any():
            continue
        parsed = {v: _levels_of(key, v) for v in col[has].unique()}
        tagged |= has & col.map(lambda v, p=parsed: bool(p.get(v))).to_numpy(dtype=bool)
        for lv in levels:
            levels[lv] |= col.map(lambda v, lv=lv, p=parsed: lv in p.get(v, ())).to_numpy(dtype=bool)
    return levels, tagged


def _col(tags: pd.DataFrame, key: str) -> pd.Series:
    if key in tags.columns:
        return tags[key].astype("string").fillna("")
    return pd.Series([""] * len(tags), index=tags.index, dtype="string")


def match_osm(tags: pd.DataFrame, categories: list[str] | None = None) -> dict[str, NDArray[np.bool_]]:
    """For each category, a boolean array: which rows of ``tags`` (one column per OSM key) belong to it."""
    names = _col(tags, "name")
    levels, tagged = school_levels(tags)
    out: dict[str, NDArray[np.bool_]] = {}
    for key in categories or list(CATEGORIES):
        cat = CATEGORIES[key]
        hit = np.zeros(len(tags), dtype=bool)
        for rule in cat.osm:
            col = _col(tags, rule.key)
            m = np.array(col.isin(rule.values) if rule.values else (col != ""), dtype=bool)
            if rule.level is not None:
                m &= levels[rule.level]
            if rule.name_if_untagged:
                m &= ~tagged
            if rule.name_regex:
                m &= names.str.contains(rule.name_regex, regex=True, flags=re.IGNORECASE).to_numpy(dtype=bool)
            if rule.exclude_name_regex:
                excl = names.str.contains(rule.exclude_name_regex, regex=True).to_numpy(dtype=bool)
                # a 完全中学 (junior + senior) keeps its junior part: exclude only pure senior schools
                both = names.str.contains(r"初中|九年|一贯|完全", regex=True).to_numpy(dtype=bool)
                m &= ~(excl & ~both)
            hit |= m
        out[key] = hit
    return out


# Features a category group could hold but whose tags and name do not tell which category:
# (key, Chinese description with {n}, the categories they might belong to).
UNCLASSIFIED_GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "school",
        (
            "{n} 所学校无法判定学段（没有 isced:level、school:level、grades 等标签，名称也不含小学、初中、中学等字样），"
            "未计入小学、中学"
        ),
        ("primary_school", "middle_school"),
    ),
    (
        "social_facility",
        (
            "{n} 处社会福利设施（amenity=social_facility）无法判定是否为养老设施（没有 social_facility、"
            "social_facility:for 标签，名称也不含养老、敬老、老年等字样），未计入养老服务设施"
        ),
        ("elderly_care",),
    ),
)


def unclassified_osm(tags: pd.DataFrame, membership: dict[str, NDArray[np.bool_]]) -> dict[str, NDArray[np.bool_]]:
    """Rows whose tags put them in a group (a school, a social facility) that neither their tags nor
    their name resolve to a category: group key → mask. Counted in the warnings, never dropped silently."""
    names = _col(tags, "name")
    amenity = _col(tags, "amenity")
    _, tagged = school_levels(tags)
    none = np.zeros(len(tags), dtype=bool)
    school = (amenity == "school").to_numpy(dtype=bool)
    school &= ~(membership.get("primary_school", none) | membership.get("middle_school", none) | tagged)
    school &= ~names.str.contains(_OTHER_LEVEL, regex=True, flags=re.IGNORECASE).to_numpy(dtype=bool)
    social = (amenity == "social_facility").to_numpy(dtype=bool) & ~membership.get("elderly_care", none)
    social &= ((_col(tags, "social_facility") == "") & (_col(tags, "social_facility:for") == "")).to_numpy(dtype=bool)
    return {"school": school, "social_facility": social}


def unclassified_messages(counts: dict[str, int]) -> list[tuple[str, tuple[str, ...]]]:
    """Chinese warnings for the unclassified counts, with the categories each concerns."""
    return [(text.format(n=counts[key]), cats) for key, text, cats in UNCLASSIFIED_GROUPS if counts.get(key)]


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
    # (Chinese message, categories concerned) for features no category could be decided for
    unclassified: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    repaired: int = 0  # invalid geometries repaired (make_valid)
    duplicates: dict[str, int] = field(default_factory=dict)  # category → duplicates removed

    @property
    def n(self) -> int:
        return int(self.px.shape[0])

    def unclassified_note(self, categories: tuple[str, ...] | list[str]) -> str:
        """The unclassified-feature messages that concern any of ``categories`` ("" if none)."""
        return "；".join(m for m, cats in self.unclassified if set(cats) & set(categories))

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

    from .units import repair_geometries

    geoms, repaired = repair_geometries(geoms)
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
    return Facilities(ax=ax, ay=ay, owner=owner, members=members, names=nm, px=px, py=py, repaired=repaired)


# Two facilities of the same category whose representative points are this close (metres) are
# one facility mapped twice (a school as a node and again in another source, a CSV row repeated).
DEDUP_TOLERANCE_M = 5.0


def deduplicate(fac: Facilities, tolerance_m: float = DEDUP_TOLERANCE_M) -> Facilities:
    """Drop duplicate facilities from each category: points of the same category within
    ``tolerance_m`` of each other (chains included) count once, the first in input order is kept.
    The counts removed per category are in ``fac.duplicates``; the arrays are unchanged."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    members = dict(fac.members)
    removed: dict[str, int] = {}
    for cat, idx in fac.members.items():
        if idx.size < 2:
            continue
        pairs = cKDTree(np.column_stack([fac.px[idx], fac.py[idx]])).query_pairs(tolerance_m, output_type="ndarray")
        if pairs.size == 0:
            continue
        k = idx.size
        _, lab = connected_components(sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(k, k)), directed=False)
        first = np.zeros(k, dtype=bool)
        first[np.unique(lab, return_index=True)[1]] = True
        members[cat] = idx[first]
        removed[cat] = int(k - first.sum())
    fac.members = members
    fac.duplicates = removed
    return fac
