"""OSM features the tag rules of facilities.py cannot classify alone, and building-level units.

* 足球场地 by size (指标33, rule I33_FOOTBALL): the radius depends on the pitch (3人制 300 m, 5人制
  500 m, 7/11人制 1000 m; 城市体检工作手册 2025 指标33 after GB 50180-2018). OSM rarely says the
  size, so :func:`football_sizes` reads explicit tags and names first, then the mapped area.
* 绿道 (指标32, rule I32_GREENWAY_1000): :func:`greenway_mask` — a way with ``highway=*`` whose
  ``name`` or ``name:zh`` contains 绿道 or "greenway". Route relations are not read.
* Residential buildings as units (:func:`residential_building_mask`) and population spread onto
  them (:func:`building_population`).

The readings are stated in the catalogue rows (``note``) and docs/engine.md.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

FOOTBALL_SPORTS = ("soccer", "futsal")
FOOTBALL_LEISURE = ("pitch", "stadium", "sports_centre")
# Mapped-area boundaries (m²) of the size reading: a 5-a-side pitch is at least 25 × 16 m
# (FIFA Futsal Laws of the Game, Law 1), so a smaller pitch is a 3-a-side court; from 1500 m² on
# (beyond the largest futsal pitch of 42 × 25 m plus run-off) a pitch is a 7- or 11-a-side ground.
# The error runs one way only: a small 7人制 pitch under 1500 m² is read as 5人制 (500 m, not 1000 m).
FOOTBALL_3_MAX_M2 = 400.0
FOOTBALL_5_MAX_M2 = 1500.0
_RE3 = r"3人制|三人制"
_RE5 = r"5人制|五人制"
_RE_CAGE = r"笼式"  # a cage pitch is 5人制 unless its name gives another size
_RE11 = r"7人制|七人制|11人制|十一人制|8人制|八人制"

GREENWAY_NAME = r"绿道|greenway"
GREENWAY_READING = "OSM 中 highway=*（cycleway/footway/path/pedestrian…）且 name 或 name:zh 含“绿道”或“greenway”的路段；不读 route 关系"

# 建筑单元规则: building=* with one of these values is residential wherever it stands; any other
# building (yes, …) is residential when its centroid lies in landuse=residential. Buildings whose
# value is clearly not housing are never units.
RESIDENTIAL_BUILDINGS = (
    "residential", "apartments", "house", "detached", "semidetached_house", "terrace", "dormitory",
    "bungalow", "farm", "villa", "cabin", "static_caravan", "houseboat",
)
NON_RESIDENTIAL_BUILDINGS = (
    "commercial", "retail", "industrial", "warehouse", "office", "school", "university", "college",
    "kindergarten", "hospital", "church", "temple", "mosque", "train_station", "transportation",
    "garage", "garages", "parking", "hangar", "tower", "public", "civic", "government", "sports_hall",
    "stadium", "service", "shed", "roof", "construction", "toilets", "supermarket", "hotel", "kiosk",
)


def _text(tags: pd.DataFrame, key: str) -> pd.Series:
    if key in tags.columns:
        return tags[key].astype("string").fillna("")
    return pd.Series([""] * len(tags), index=tags.index, dtype="string")


def football_sizes(tags: pd.DataFrame, geoms: NDArray[np.object_]) -> dict[str, NDArray[np.bool_]]:
    """``football_3`` / ``football_5`` / ``football_11`` membership of OSM features.

    ``tags``: one column per OSM key (``leisure``, ``sport``, ``name``); ``geoms`` in a metric CRS
    (m²). A football ground has ``sport`` soccer/futsal (``;``-lists allowed) on ``leisure`` pitch,
    stadium or sports_centre. Size: ``sport=futsal`` or a 5人制 name → 5; a 3人制 name → 3; a
    7/11人制 name or ``leisure=stadium`` → 11; else the mapped area (< 400 m² → 3, < 1500 m² → 5,
    else 11); a point with no size is a 3人制 ground (the shortest radius: never overstates).
    """
    sport = _text(tags, "sport").str.lower()
    leisure = _text(tags, "leisure")
    name = _text(tags, "name")
    is_fb = sport.str.contains(r"(?:^|;)\s*(?:soccer|futsal)\s*(?:;|$)", regex=True).to_numpy(bool)
    is_fb &= leisure.isin(FOOTBALL_LEISURE).to_numpy(bool)
    g = np.asarray(geoms, dtype=object)
    area = np.where(np.isin(shapely.get_type_id(g), (3, 6)), shapely.area(g), np.nan)
    n3 = name.str.contains(_RE3, regex=True).to_numpy(bool)
    n5 = name.str.contains(_RE5, regex=True).to_numpy(bool) | sport.str.contains("futsal").to_numpy(bool)
    n11 = name.str.contains(_RE11, regex=True).to_numpy(bool) | (leisure == "stadium").to_numpy(bool)
    n5 |= name.str.contains(_RE_CAGE, regex=True).to_numpy(bool) & ~n3 & ~n11
    named = n3 | n5 | n11
    with np.errstate(invalid="ignore"):
        a3 = ~named & ((area < FOOTBALL_3_MAX_M2) | ~np.isfinite(area))
        a5 = ~named & (area >= FOOTBALL_3_MAX_M2) & (area < FOOTBALL_5_MAX_M2)
        a11 = ~named & (area >= FOOTBALL_5_MAX_M2)
    f3 = is_fb & (n3 & ~n5 & ~n11 | a3)
    f5 = is_fb & (n5 & ~n11 | a5)
    f11 = is_fb & (n11 | a11)
    return {"football_3": f3, "football_5": f5, "football_11": f11}


def greenway_mask(tags: pd.DataFrame) -> NDArray[np.bool_]:
    """Ways that are 绿道: ``highway`` set and ``name`` or ``name:zh`` containing 绿道/greenway."""
    hw = _text(tags, "highway") != ""
    named = _text(tags, "name").str.contains(GREENWAY_NAME, case=False, regex=True)
    named |= _text(tags, "name:zh").str.contains(GREENWAY_NAME, case=False, regex=True)
    return (hw & named).to_numpy(bool)


def residential_building_mask(
    building: pd.Series, geoms: NDArray[np.object_], residential_areas: NDArray[np.object_]
) -> NDArray[np.bool_]:
    """Which buildings are housing units: a residential ``building`` value, or a building that is not
    clearly non-residential with its centroid (point on surface) inside ``landuse=residential``."""
    b = building.astype("string").fillna("").str.lower()
    own = b.isin(RESIDENTIAL_BUILDINGS).to_numpy(bool)
    other = ~own & ~b.isin(NON_RESIDENTIAL_BUILDINGS).to_numpy(bool) & (b != "no").to_numpy(bool)
    inside = np.zeros(len(b), dtype=bool)
    areas = np.asarray(residential_areas, dtype=object)
    if other.any() and len(areas):
        pts = shapely.point_on_surface(np.asarray(geoms, dtype=object)[other])
        hit, _ = shapely.STRtree(areas).query(pts, predicate="within")
        idx = np.flatnonzero(other)
        inside[idx[np.unique(hit)]] = True
    return own | inside


def building_population(
    buildings: NDArray[np.object_],
    floor_weight: NDArray[np.float64],
    pop_geoms: NDArray[np.object_],
    pop_values: NDArray[np.float64],
) -> tuple[NDArray[np.float64], int]:
    """Population per building from a population layer (all geometry in one metric CRS).

    A polygon's population is shared among the buildings whose point-on-surface lies in it, in
    proportion to ``floor_weight`` (footprint × levels); a point's population goes to the building
    that contains it. Returns (population per building, NaN where no feature gave any; number of
    population features that reached no building).
    """
    b = np.asarray(buildings, dtype=object)
    pg = np.asarray(pop_geoms, dtype=object)
    pv = np.asarray(pop_values, dtype=float)
    out = np.zeros(len(b))
    got = np.zeros(len(b), dtype=bool)
    lost = 0
    is_poly = np.isin(shapely.get_type_id(pg), (3, 6))
    bpts = shapely.point_on_surface(b)
    if is_poly.any():
        pidx = np.flatnonzero(is_poly & np.isfinite(pv))
        hit_p, hit_b = shapely.STRtree(pg[pidx]).query(bpts, predicate="within")[::-1]
        # one polygon per building (the first in input order)
        o = np.lexsort((hit_p, hit_b))
        hit_p, hit_b = hit_p[o], hit_b[o]
        first = np.ones(hit_b.size, dtype=bool)
        first[1:] = hit_b[1:] != hit_b[:-1]
        hit_p, hit_b = hit_p[first], hit_b[first]
        w = floor_weight[hit_b]
        tot = np.bincount(hit_p, weights=w, minlength=pidx.size)
        share = np.where(tot[hit_p] > 0, w / np.where(tot[hit_p] > 0, tot[hit_p], 1), 0.0)
        np.add.at(out, hit_b, share * pv[pidx][hit_p])
        got[hit_b] = True
        lost += int(np.count_nonzero(np.bincount(hit_p, minlength=pidx.size) == 0))
    pts = np.flatnonzero(~is_poly & np.isfinite(pv))
    if pts.size:
        q_pt, q_b = shapely.STRtree(b).query(pg[pts], predicate="within")
        o = np.lexsort((q_b, q_pt))
        q_pt, q_b = q_pt[o], q_b[o]
        first = np.ones(q_pt.size, dtype=bool)
        first[1:] = q_pt[1:] != q_pt[:-1]
        np.add.at(out, q_b[first], pv[pts][q_pt[first]])
        got[q_b[first]] = True
        lost += int(pts.size - np.unique(q_pt).size)
    return np.where(got, out, np.nan), lost


def floor_weight(geoms: NDArray[np.object_], levels: pd.Series | None) -> NDArray[np.float64]:
    """Footprint area (m²) × ``building:levels`` (1 where missing or not a number)."""
    a = shapely.area(np.asarray(geoms, dtype=object)).astype(float)
    if levels is None:
        return a
    lv = pd.to_numeric(levels.astype("string").str.extract(r"(\d+(?:\.\d+)?)")[0], errors="coerce").to_numpy(float)
    lv = np.where(np.isfinite(lv) & (lv > 0), lv, 1.0)
    return a * lv


def segmentize(geoms: NDArray[np.object_], max_m: float = 25.0) -> NDArray[np.object_]:
    """Lines with vertices at most ``max_m`` apart, so the vertices stand for the whole line."""
    return shapely.segmentize(np.asarray(geoms, dtype=object), max_m)
