"""Service coverage (服务半径覆盖) along the walking network: the engine's one entry point.

:func:`coverage` takes a :class:`~cityrenew.engine.network.WalkNetwork`, the
:class:`~cityrenew.engine.units.Units` and :class:`~cityrenew.engine.facilities.Facilities` (all in
the same metric CRS, metres) and the spatial rules of the catalogue, and returns per unit and
category the walking distance to the nearest facility, per rule the within-radius flags and the
shares (by unit count, by area, by population; per district), the straight-line equivalent, the
15-minute life-circle completeness and 城市道路网密度.

How distances are measured: each unit centroid and each facility access point is snapped to its
nearest node of the network's kept components; the walking distance is the shortest
path between those nodes (metres). The snap lengths are reported separately and are *not* added.
One multi-source Dijkstra per category (``scipy.sparse.csgraph.dijkstra(min_only=True,
limit=…)``) gives the distance from every node to the nearest facility at once, searched up to
the largest radius any rule needs for that category (``inf`` beyond it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from cityrenew.catalogue.spatial import (
    KIND_DENSITY,
    KIND_DRIVE_TIME,
    KIND_LIFE_CIRCLE,
    KIND_RADIUS,
    KIND_RADIUS_JOBS,
    SpatialRule,
    load_spatial_rules,
)

from .driving import DriveNetwork
from .facilities import CATEGORIES, Facilities, category_label
from .network import DEFAULT_MAX_SNAP_M, WalkNetwork
from .units import Units

# 指标35 城市道路网密度: reference value ≥ 8 km/km² (城市体检工作手册（试行）2025 指标35 参考标准;
# 《中共中央 国务院关于进一步加强城市规划建设管理工作的若干意见》2016: 建成区平均路网密度 8 km/km²).
# Kept in the catalogue row I35_ROAD_DENSITY when present; this is only the fallback label.
ROAD_DENSITY_CODE = "I35_ROAD_DENSITY"


class CoverageError(ValueError):
    """The coverage cannot be computed from these inputs (Chinese message)."""


@dataclass
class IndicatorResult:  # 单项指标结果
    rule: SpatialRule
    covered: int
    total: int
    share: float | None
    covered_line: int
    share_line: float | None
    share_by_area: float | None
    share_by_population: float | None
    facilities: int
    status: str  # "ok" | "no_facilities" | "no_units"
    message: str = ""
    by_district: list[dict[str, Any]] = field(default_factory=list)
    mean_completeness: float | None = None  # life circle only

    def as_dict(self) -> dict[str, Any]:
        r = self.rule
        d: dict[str, Any] = {
            "code": r.code,
            "name": r.name,
            "indicator_number": r.indicator_number,
            "kind": r.kind,
            "categories": list(r.categories),
            "radius_m": r.radius_m,
            **({"category_radii_m": dict(zip(r.categories, r.category_radii))} if r.category_radii else {}),
            **({"time_min": r.time_min, "turnout_min": r.turnout_min, "drive_budget_s": r.drive_budget_s} if r.kind == KIND_DRIVE_TIME else {}),
            "covered": self.covered,
            "total": self.total,
            "share": _round(self.share),
            "straight_line_covered": self.covered_line,
            "straight_line_share": _round(self.share_line),
            "share_by_area": _round(self.share_by_area),
            "share_by_population": _round(self.share_by_population),
            "facilities": self.facilities,
            "status": self.status,
            "source": r.source,
        }
        if self.mean_completeness is not None:
            d["mean_completeness"] = _round(self.mean_completeness)
        if self.message:
            d["message"] = self.message
        if self.by_district:
            d["by_district"] = self.by_district
        return d


@dataclass
class CoverageResult:  # 覆盖率计算结果
    """Per-unit arrays (index = unit) and per-rule results. Distances in metres, ``inf`` beyond the
    category's search limit, ``nan`` for units outside the network."""

    crs: str
    units: Units
    unit_node: NDArray[np.int64]
    unit_snap_m: NDArray[np.float64]
    outside: NDArray[np.bool_]
    distance_m: dict[str, NDArray[np.float64]]  # category -> network distance per unit
    straight_m: dict[str, NDArray[np.float64]]  # category -> straight-line distance per unit
    search_limit_m: dict[str, float]
    covered: dict[str, NDArray[np.bool_]]  # rule code -> flag per unit (network)
    covered_line: dict[str, NDArray[np.bool_]]  # rule code -> flag per unit (straight line)
    life_circle: dict[str, NDArray[np.float64]]  # rule code -> categories reached per unit
    indicators: list[IndicatorResult]
    road_density: dict[str, Any] | None
    network_stats: dict[str, Any]
    warnings: list[str]
    sources: dict[str, str] = field(default_factory=dict)
    facility_node: NDArray[np.int64] | None = None
    facility_snap_m: NDArray[np.float64] | None = None
    facilities: Facilities | None = None
    node_ids: NDArray[np.int64] | None = None  # network node ids (OSM ids) by node index
    drive_time_s: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # category -> seconds per unit
    drive_stats: dict[str, Any] | None = None
    jobs: Units | None = None
    jobs_distance_m: dict[str, NDArray[np.float64]] = field(default_factory=dict)  # category -> metres per job site
    jobs_covered: dict[str, NDArray[np.bool_]] = field(default_factory=dict)  # rule code -> flag per job site
    commute: dict[str, Any] | None = None
    greenways: dict[str, Any] | None = None

    def unit_basis(self) -> str:
        """How shares are weighted for the check-up value (stated in the summary)."""
        if self.units.kind == "building":
            if np.isfinite(self.units.population).any():
                return "建筑单元按人口加权"
            return "建筑单元按栋数（未加权：未提供人口）"
        return "居住用地面积加权" if np.isfinite(self.units.area_m2).any() else "小区个数"

    def _value(self, i: IndicatorResult) -> float | None:
        if i.share is None:
            return None
        if self.units.kind == "building":
            v = i.share_by_population if i.share_by_population is not None else i.share
        else:
            v = i.share_by_area if i.share_by_area is not None else i.share
        return round(100.0 * v, 2)
    timings: dict[str, float] = field(default_factory=dict)  # seconds: parse_s, load_s, compute_s

    def summary(self) -> dict[str, Any]:
        """The JSON summary: CRS, unit count and one entry per indicator (shares 0–1)."""
        inds = [i.as_dict() for i in self.indicators]
        values = [
            {
                "indicator_number": i.rule.indicator_number,
                "code": i.rule.code,
                "value": self._value(i),
                "unit": "%",
                "basis": self.unit_basis(),
            }
            for i in self.indicators
            if i.rule.kind in (KIND_RADIUS, KIND_DRIVE_TIME) and i.rule.indicator_number is not None
        ]
        if self.road_density is not None and self.road_density.get("value") is not None:
            values.append(
                {"indicator_number": 35, "code": ROAD_DENSITY_CODE, "value": self.road_density["value"], "unit": "千米/平方千米", "basis": self.road_density["area_source"]}
            )
        return {
            "crs": self.crs,
            "units": int(self.units.n),
            "units_evaluated": int((~self.outside).sum()),
            "units_outside_network": int(self.outside.sum()),
            "network": self.network_stats,
            "indicators": inds,
            "road_network_density": self.road_density,
            "checkup_values": values,
            "unit_kind": self.units.kind,
            "unit_basis": self.unit_basis(),
            "driving_network": self.drive_stats,
            "greenways": self.greenways,
            "commute_43": self.commute,
            "distance_basis": "步行网络最短路径（节点到节点，米）；吸附距离单独报告，不计入",
            "warnings": self.warnings,
            "sources": self.sources,
            "timings": self.timings,
        }


def _round(v: float | None, nd: int = 4) -> float | None:
    return None if v is None else round(float(v), nd)


def _share(flags: NDArray[np.bool_], valid: NDArray[np.bool_], weight: NDArray[np.float64] | None = None) -> float | None:
    if weight is None:
        n = int(valid.sum())
        return None if n == 0 else float(flags[valid].sum()) / n
    ok = valid & np.isfinite(weight)
    tot = float(weight[ok].sum())
    if tot <= 0 or not ok.any():
        return None
    return float(weight[ok & flags].sum()) / tot


def _by_district(
    dnames: NDArray[np.object_], dcode: NDArray[np.int64], flag: NDArray[np.bool_], valid: NDArray[np.bool_], ok: bool
) -> list[dict[str, Any]]:
    """Covered / total / share per district label (empty when no districts were given)."""
    out: list[dict[str, Any]] = []
    if not (len(dnames) > 1 or (len(dnames) == 1 and dnames[0] != "")):
        return out
    tot = np.bincount(dcode, weights=valid.astype(float), minlength=len(dnames))
    cov = np.bincount(dcode, weights=flag.astype(float), minlength=len(dnames))
    for i, name in enumerate(dnames):
        if tot[i] == 0:
            continue
        out.append(
            {
                "district": str(name) or "（未落入任何行政区）",
                "covered": int(cov[i]),
                "total": int(tot[i]),
                "share": round(float(cov[i] / tot[i]), 4) if ok else None,
            }
        )
    return out


def search_limits(rules: Sequence[SpatialRule]) -> dict[str, float]:
    """Largest radius (metres) any rule needs per category: the Dijkstra search limit."""
    lim: dict[str, float] = {}
    for r in rules:
        if r.kind in (KIND_DENSITY, KIND_DRIVE_TIME):
            continue
        for c in r.categories:
            lim[c] = max(lim.get(c, 0.0), r.radius_for(c))
    return lim


def check_search_limit(search_limit_m: float, rules: Sequence[SpatialRule]) -> None:
    """Refuse a search limit that is negative, NaN, or below a rule's radius (it would make that
    rule's units look uncovered: a silent wrong number). ``inf`` means no limit."""
    lim = float(search_limit_m)
    if math.isnan(lim) or lim < 0:
        raise CoverageError(f"最短路搜索上限 --search-limit-m 必须是非负数（米），实际为 {search_limit_m}")
    # walking rules only (drive-time rules have a time budget, density rules no radius); a rule with a
    # radius per category (足球场地 3/5/7人制) needs its largest
    need = {
        r.code: max(r.radius_for(c) for c in r.categories)
        for r in rules
        if r.kind not in (KIND_DENSITY, KIND_DRIVE_TIME) and r.categories and (r.radius_m is not None or r.category_radii)
    }
    short = [(code, rad) for code, rad in need.items() if lim < rad]
    if short:
        names = "、".join(f"{code}（{rad:.0f}米）" for code, rad in short)
        raise CoverageError(
            f"最短路搜索上限 {lim:.0f} 米小于规则的服务半径：{names}；这些指标会被错误地算作未覆盖。"
            "请把 --search-limit-m 设为不小于最大服务半径，或不指定（search limit below a rule's radius）"
        )


def road_network_density(
    roads: NDArray, area: Any, *, threshold: float | None = None, source: str = ""
) -> dict[str, Any]:
    """城市道路网密度: length of city roads inside ``area`` (km) per km² of ``area`` (metric CRS).

    ``roads``: line geometries, or road segments as coordinates, shape (n, 2, 2) (metres), as the
    OSM reader gives them: a segment with both ends inside a convex ``area`` (the default built-up
    area, a convex hull) lies inside, and only the others are made into geometries and clipped."""
    if area is None or shapely.is_empty(area) or shapely.area(area) <= 0:
        return {"value": None, "message": "没有建成区范围，无法计算道路网密度"}
    km = 0.0
    r = np.asarray(roads)
    if r.dtype != object and r.ndim == 3 and len(r):
        shapely.prepare(area)
        hull = shapely.convex_hull(area)
        convex = shapely.get_type_id(area) == 3 and shapely.get_num_interior_rings(area) == 0 and (
            shapely.area(hull) - shapely.area(area) <= 1e-9 * shapely.area(hull)
        )
        inside = np.zeros(len(r), dtype=bool)
        if convex:
            inside = shapely.contains_xy(area, r[:, 0, 0], r[:, 0, 1]) & shapely.contains_xy(area, r[:, 1, 0], r[:, 1, 1])
        d = r[inside, 1] - r[inside, 0]
        km = float(np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1]).sum()) / 1000.0
        r = shapely.linestrings(r[~inside])
    r = np.asarray(r, dtype=object)
    if len(r):
        # only roads crossing the boundary are clipped; the rest are wholly inside or outside
        shapely.prepare(area)
        inside = shapely.contains_properly(area, r)
        cross = ~inside & shapely.intersects(area, r)
        km += (float(shapely.length(r[inside]).sum()) + float(shapely.length(shapely.intersection(r[cross], area)).sum())) / 1000.0
    km2 = float(shapely.area(area)) / 1e6
    value = km / km2
    return {
        "value": round(value, 3),
        "road_km": round(km, 3),
        "area_km2": round(km2, 3),
        "threshold": threshold,
        "meets_threshold": None if threshold is None else bool(value >= threshold),
        "area_source": "",
        "source": source,
    }


def coverage(
    network: WalkNetwork,
    units: Units,
    facilities: Facilities,
    *,
    rules: Sequence[SpatialRule] | None = None,
    max_snap_m: float = DEFAULT_MAX_SNAP_M,
    search_limit_m: float | None = None,
    roads: NDArray | None = None,
    area: Any = None,
    area_source: str = "",
    progress: Callable[[str], None] | None = None,
    drive: DriveNetwork | None = None,
    jobs: Units | None = None,
    greenways: dict[str, Any] | None = None,
) -> CoverageResult:
    """Walking-network service coverage of ``units`` by ``facilities`` for every rule.

    All geometry in ``network.crs`` (metres). ``rules`` default to the catalogue
    (``cityrenew/catalogue/spatial_rules.csv``). Units whose centroid is more than ``max_snap_m``
    metres from the network are *outside* the network's extent: they get ``nan`` distances and are
    left out of every share (and counted in ``units_outside_network``). Facility access points
    farther than ``max_snap_m`` from the network are not used as network sources (they still count
    for the straight-line distance). ``search_limit_m`` overrides the per-category search limit
    (``np.inf`` for full distances). ``progress`` is called once per category.

    ``drive``: the driving network for ``drive_time`` rules (消防站, seconds at road-class speeds);
    without it those rules report ``no_network``. ``jobs``: workplaces (就业岗位; ``population`` holds
    the jobs per site) for ``radius_jobs`` rules (the jobs end of 指标43); without it they report
    ``no_jobs``. ``greenways``: length statistics passed through to the summary.
    """
    all_rules = list(rules) if rules is not None else load_spatial_rules()
    for r in all_rules:
        unknown = [c for c in r.categories if c not in CATEGORIES and r.kind != KIND_DENSITY]
        if unknown:
            raise CoverageError(f"规则 {r.code} 引用了未定义的设施类别：{', '.join(unknown)}")
    density_rule = next((r for r in all_rules if r.kind == KIND_DENSITY), None)
    rules_ = [r for r in all_rules if r.kind in (KIND_RADIUS, KIND_LIFE_CIRCLE)]
    drive_rules = [r for r in all_rules if r.kind == KIND_DRIVE_TIME]
    jobs_rules = [r for r in all_rules if r.kind == KIND_RADIUS_JOBS]
    if units.n == 0:
        raise CoverageError("没有评价单元（0个小区/建筑），无法计算覆盖率")
    warn: list[str] = []

    unit_node, unit_snap = network.snap(units.x, units.y)
    outside = unit_snap > max_snap_m
    valid = ~outside
    if not valid.any():
        raise CoverageError(
            f"全部 {units.n} 个评价单元都在步行路网范围之外（距最近路网节点超过 {max_snap_m:.0f} 米，"
            f"最近的也有 {unit_snap.min():.0f} 米）。请检查单元与路网是否同一地区、坐标系是否正确"
            "（units outside the network extent）"
        )
    if outside.any():
        warn.append(
            f"{int(outside.sum())} 个评价单元距步行路网超过 {max_snap_m:.0f} 米，视为路网范围之外，"
            "不计入各项覆盖率的分母（units outside the network extent are excluded）"
        )

    fac_node, fac_snap = network.snap(facilities.ax, facilities.ay)
    fac_ok = fac_snap <= max_snap_m
    limits = search_limits(rules_ + jobs_rules)
    jobs_cats = {c for r in jobs_rules for c in r.categories} if jobs is not None else set()
    # workplaces (指标43 就业端) are searched with the units, in the same Dijkstra per category
    j_node, j_snap = network.snap(jobs.x, jobs.y) if jobs_cats else (np.empty(0, dtype=np.int64), np.empty(0))
    jobs_dist_all: dict[str, NDArray[np.float64]] = {}
    if search_limit_m is not None:
        check_search_limit(search_limit_m, rules_)
        limits = {c: float(search_limit_m) for c in limits}

    pts = np.column_stack([units.x, units.y])
    distance: dict[str, NDArray[np.float64]] = {}
    n_fac: dict[str, int] = {}

    def straight_line(cat: str) -> NDArray[np.float64]:
        mask = facilities.access_mask(cat)
        if not mask.any():
            return np.where(valid, np.inf, np.nan)
        tree = cKDTree(np.column_stack([facilities.ax[mask], facilities.ay[mask]]))
        s, _ = tree.query(pts, distance_upper_bound=limits[cat], workers=1)
        return np.where(valid, s, np.nan)

    # The straight-line distances (k-d tree queries, which release the GIL) run in a second thread
    # while this one runs the Dijkstra searches (which hold it): on two cores they cost no wall time.
    pool = ThreadPoolExecutor(max_workers=1)
    pending = {cat: pool.submit(straight_line, cat) for cat in sorted(limits)}
    try:
        for cat in sorted(limits):
            mask = facilities.access_mask(cat)
            n_fac[cat] = int(len(facilities.members.get(cat, ())))
            src = fac_node[mask & fac_ok]
            targets = np.concatenate([unit_node, j_node]) if cat in jobs_cats else unit_node
            dt = network.distances_to(src, targets, limits[cat])
            d = dt[: units.n]
            if cat in jobs_cats:
                jobs_dist_all[cat] = dt[units.n:]
            d = np.where(valid, d, np.nan)
            distance[cat] = d
            usable = len(np.unique(facilities.owner[mask & fac_ok]))
            if n_fac[cat] and usable < n_fac[cat]:
                warn.append(
                    f"类别“{category_label(cat)}”有 {n_fac[cat] - usable} 处设施距步行路网超过 {max_snap_m:.0f} 米，"
                    "未作为路网起点（仍计入直线距离）"
                )
            if progress is not None:
                progress(cat)
        straight = {cat: f.result() for cat, f in pending.items()}
    finally:
        pool.shutdown(cancel_futures=True)

    codes = np.unique(units.district.astype(str), return_inverse=True)
    dnames, dcode = codes[0], codes[1].ravel()
    weights_area = units.area_m2 if np.isfinite(units.area_m2).any() else None
    weights_pop = units.population if np.isfinite(units.population).any() else None

    covered: dict[str, NDArray[np.bool_]] = {}
    covered_line: dict[str, NDArray[np.bool_]] = {}
    life: dict[str, NDArray[np.float64]] = {}
    results: list[IndicatorResult] = []
    for r in rules_:
        cats = r.categories
        nfac = sum(n_fac[c] for c in cats)
        stack = np.vstack([distance[c] for c in cats])
        sline = np.vstack([straight[c] for c in cats])
        radii = np.array([r.radius_for(c) for c in cats])[:, None]
        with np.errstate(invalid="ignore"):
            reach = stack <= radii
            reach_line = sline <= radii
        message = ""
        completeness = None
        if r.kind == KIND_RADIUS:
            flag = reach.any(axis=0) & valid
            flag_line = reach_line.any(axis=0) & valid
        else:
            count = reach.sum(axis=0).astype(float)
            life[r.code] = np.where(valid, count, np.nan)
            flag = (count == len(cats)) & valid
            flag_line = (reach_line.sum(axis=0) == len(cats)) & valid
            completeness = float(np.nanmean(life[r.code] / len(cats)))
            missing = [category_label(c) for c in cats if n_fac[c] == 0]
            if missing:
                message = f"输入数据中没有以下类别的设施，按“不可达”计：{'、'.join(missing)}"
                warn.append(f"{r.code} 15分钟生活圈：{message}")
        covered[r.code] = flag
        covered_line[r.code] = flag_line
        status = "ok"
        share = _share(flag, valid)
        note = facilities.unclassified_note(cats)
        if nfac == 0:
            status = "no_facilities"
            share = None
            labels = "、".join(category_label(c) for c in cats)
            message = (
                f"输入数据中没有“{labels}”类设施，无法评价该指标（不是覆盖率为0；请补充设施数据）（no facilities of this category）"
                if not note
                else f"没有能判定为“{labels}”的设施：{note}；无法评价该指标（不是覆盖率为0；请补充 isced:level 等标签或设施数据）"
                "（facilities present but unclassified）"
            )
            warn.append(f"{r.code} {r.name}：{message}")
        elif note and r.kind == KIND_RADIUS:
            message = f"覆盖率可能偏低：{note}"
        by_d = _by_district(dnames, dcode, flag, valid, status == "ok")
        results.append(
            IndicatorResult(
                rule=r,
                covered=int(flag.sum()),
                total=int(valid.sum()),
                share=share,
                covered_line=int(flag_line.sum()),
                share_line=None if status != "ok" else _share(flag_line, valid),
                share_by_area=None if (weights_area is None or status != "ok") else _share(flag, valid, weights_area),
                share_by_population=None if (weights_pop is None or status != "ok") else _share(flag, valid, weights_pop),
                facilities=nfac,
                status=status,
                message=message,
                by_district=by_d,
                mean_completeness=completeness,
            )
        )

    drive_time: dict[str, NDArray[np.float64]] = {}
    drive_stats = None
    if drive_rules and drive is not None:
        d_node, d_snap = drive.snap(units.x, units.y)
        d_out = d_snap > max_snap_m
        drive_stats = {
            "nodes": drive.n,
            "edges": int(drive.graph.nnz),
            "length_km": round(drive.length_m / 1000.0, 3),
            "components": drive.components,
            "units_beyond_snap": int((d_out & valid).sum()),
            "speeds_kmh": {k: v.speed_kmh for k, v in drive.speeds.items()},
            "basis": "有向行车路网（单行道只按通行方向），各道路等级速度见 cityrenew/catalogue/drive_speeds.csv",
        }
        if (d_out & valid).any():
            warn.append(
                f"{int((d_out & valid).sum())} 个评价单元距行车道路超过 {max_snap_m:.0f} 米，消防车无法在路网上到达，按“未覆盖”计"
            )
    for r in drive_rules:
        cats = r.categories
        nfac = sum(len(facilities.members.get(c, ())) for c in cats)
        budget = float(r.drive_budget_s or 0.0)
        t_all = np.full(units.n, np.inf)
        status, message = "ok", ""
        if drive is None:
            status = "no_network"
            message = "没有行车路网（OSM 行车道路或带 highway 等级的道路图层），无法计算消防车行车时间（no driving network）"
        elif nfac == 0:
            status = "no_facilities"
            message = (
                f"输入数据中没有“{'、'.join(category_label(c) for c in cats)}”类设施，无法评价该指标"
                "（不是覆盖率为0；请补充设施数据）（no facilities of this category）"
            )
        else:
            for c in cats:
                mask = facilities.access_mask(c)
                f_node, f_snap = drive.snap(facilities.ax[mask], facilities.ay[mask])
                far = np.unique(facilities.owner[mask][f_snap > max_snap_m])
                near = np.unique(facilities.owner[mask][f_snap <= max_snap_m])
                lost = np.setdiff1d(far, near)
                if lost.size:
                    warn.append(f"类别“{category_label(c)}”有 {lost.size} 处设施距行车道路超过 {max_snap_m:.0f} 米，未作为行车起点")
                tn = drive.times_from(f_node[f_snap <= max_snap_m], budget)
                tc = np.where(d_out, np.inf, tn[d_node])
                drive_time[c] = np.where(valid, tc, np.nan)
                t_all = np.minimum(t_all, tc)
        if status != "ok":
            warn.append(f"{r.code} {r.name}：{message}")
        with np.errstate(invalid="ignore"):
            flag = (t_all <= budget) & valid
        # straight-line reading: the circle of the 一级站 辖区面积 7 km² (城市体检工作手册 指标53)
        r_line = float(np.sqrt(7e6 / np.pi))
        mask = np.zeros(facilities.ax.size, dtype=bool)
        for c in cats:
            mask |= facilities.access_mask(c)
        if mask.any():
            s_line, _ = cKDTree(np.column_stack([facilities.ax[mask], facilities.ay[mask]])).query(pts, distance_upper_bound=r_line, workers=-1)
            flag_line = np.isfinite(s_line) & valid
        else:
            flag_line = np.zeros(units.n, dtype=bool)
        covered[r.code] = flag
        covered_line[r.code] = flag_line
        ok = status == "ok"
        results.append(
            IndicatorResult(
                rule=r, covered=int(flag.sum()), total=int(valid.sum()), share=_share(flag, valid) if ok else None,
                covered_line=int(flag_line.sum()), share_line=_share(flag_line, valid) if ok else None,
                share_by_area=None if (weights_area is None or not ok) else _share(flag, valid, weights_area),
                share_by_population=None if (weights_pop is None or not ok) else _share(flag, valid, weights_pop),
                facilities=nfac, status=status, message=message,
                by_district=_by_district(dnames, dcode, flag, valid, ok),
            )
        )

    jobs_dist: dict[str, NDArray[np.float64]] = {}
    jobs_cov: dict[str, NDArray[np.bool_]] = {}
    for r in jobs_rules:
        cats = r.categories
        nfac = sum(len(facilities.members.get(c, ())) for c in cats)
        if jobs is None or jobs.n == 0:
            message = (
                "未提供就业岗位（工作地）图层（--jobs），无法计算就业端；居住端见 I43_RAIL_800（no jobs layer）"
                if jobs is None
                else "就业岗位图层中没有要素，无法计算就业端（empty jobs layer）"
            )
            results.append(IndicatorResult(rule=r, covered=0, total=0, share=None, covered_line=0, share_line=None,
                                           share_by_area=None, share_by_population=None, facilities=nfac,
                                           status="no_jobs", message=message))
            continue
        j_valid = j_snap <= max_snap_m
        if (~j_valid).any():
            warn.append(f"{int((~j_valid).sum())} 个就业地距步行路网超过 {max_snap_m:.0f} 米，不计入 {r.code}")
        dj = np.vstack([np.where(j_valid, jobs_dist_all[c], np.nan) for c in cats])
        for c, row in zip(cats, dj):
            jobs_dist[c] = row
        jp = np.column_stack([jobs.x, jobs.y])
        sl = np.full(jobs.n, np.inf)
        for c in cats:
            m = facilities.access_mask(c)
            if m.any():
                sl = np.minimum(sl, cKDTree(np.column_stack([facilities.ax[m], facilities.ay[m]])).query(jp, distance_upper_bound=r.radius_for(c), workers=-1)[0])
        radii = np.array([r.radius_for(c) for c in cats])[:, None]
        with np.errstate(invalid="ignore"):
            flag = (dj <= radii).any(axis=0) & j_valid
        flag_line = np.isfinite(sl) & j_valid
        jobs_cov[r.code] = flag
        wj = jobs.population if np.isfinite(jobs.population).any() else None
        ok = nfac > 0
        message = "" if ok else f"输入数据中没有“{'、'.join(category_label(c) for c in cats)}”类设施，无法评价该指标（no facilities of this category）"
        if not ok:
            warn.append(f"{r.code} {r.name}：{message}")
        share = (_share(flag, j_valid, wj) if wj is not None else _share(flag, j_valid)) if ok else None
        results.append(
            IndicatorResult(
                rule=r, covered=int(flag.sum()), total=int(j_valid.sum()), share=share,
                covered_line=int(flag_line.sum()),
                share_line=((_share(flag_line, j_valid, wj) if wj is not None else _share(flag_line, j_valid)) if ok else None),
                share_by_area=None, share_by_population=None if (wj is None or not ok) else share,
                facilities=nfac, status="ok" if ok else "no_facilities", message=message,
            )
        )
    commute = None
    home = next((i for i in results if i.rule.kind == KIND_RADIUS and i.rule.indicator_number == 43), None)
    work = next((i for i in results if i.rule.kind == KIND_RADIUS_JOBS and i.rule.indicator_number == 43), None)
    if home is not None and work is not None:
        hs = None if home.share is None else (home.share_by_population if home.share_by_population is not None else home.share)
        ws = work.share
        commute = {
            "home_code": home.rule.code,
            "jobs_code": work.rule.code,
            "home_share": _round(hs),
            "home_basis": "人口加权" if home.share_by_population is not None else "单元个数",
            "jobs_share": _round(ws),
            "jobs_basis": "就业岗位数加权" if work.share_by_population is not None else "就业地个数",
            "both_ends_estimate": None if (hs is None or ws is None) else _round(hs * ws),
            "assumption": "无通勤OD数据时的估计：假设居住地与就业地相互独立，两端均在站点800米内的通勤比例≈居住端比例×就业端比例；有OD数据时应直接统计",
        }

    density = None
    if roads is not None:
        density = road_network_density(
            roads,
            area,
            threshold=None if density_rule is None else density_rule.threshold,
            source="" if density_rule is None else density_rule.source,
        )
        density["area_source"] = area_source
    stats = {
        "nodes": network.n,
        "edges": int(network.graph.nnz // 2),
        "length_km": round(network.length_m / 1000.0, 3),
        "input_nodes": network.input_nodes,
        "components": network.components,
        "dropped_nodes": network.input_nodes - network.n,
        "min_component_m": network.min_component_m,
        "kept_components": network.component_report(
            unit_node, valid, fac_node, fac_ok, facilities.owner, facilities.members
        ),
    }
    return CoverageResult(
        crs=network.crs,
        units=units,
        unit_node=unit_node,
        unit_snap_m=unit_snap,
        outside=outside,
        distance_m=distance,
        straight_m=straight,
        search_limit_m=limits,
        covered=covered,
        covered_line=covered_line,
        life_circle=life,
        indicators=results,
        road_density=density,
        network_stats=stats,
        warnings=warn,
        facility_node=fac_node,
        facility_snap_m=fac_snap,
        facilities=facilities,
        node_ids=network.node_ids,
        drive_time_s=drive_time,
        drive_stats=drive_stats,
        jobs=jobs,
        jobs_distance_m=jobs_dist,
        jobs_covered=jobs_cov,
        commute=commute,
        greenways=greenways,
    )


def coverage_files(**kwargs: Any) -> CoverageResult:
    """Read inputs with :func:`cityrenew.engine.io.load_city` and run :func:`coverage`.

    Keyword arguments of ``load_city`` plus ``rules``, ``max_snap_m``, ``search_limit_m``,
    ``progress``.
    """
    import time

    from .io import load_city

    opts = {k: kwargs.pop(k) for k in ("rules", "max_snap_m", "search_limit_m", "progress") if k in kwargs}
    rules = opts.get("rules") or load_spatial_rules()
    # read the driving network and the 绿道 ways only when a rule needs them (in the same PBF pass)
    kwargs.setdefault("driving", any(r.kind == KIND_DRIVE_TIME for r in rules))
    kwargs.setdefault("greenways", any("greenway" in r.categories for r in rules))
    t0 = time.perf_counter()
    city = load_city(**kwargs)
    t1 = time.perf_counter()
    res = coverage(
        city.network,
        city.units,
        city.facilities,
        roads=city.roads,
        area=city.area,
        area_source=city.area_source,
        drive=city.drive,
        jobs=city.jobs,
        greenways=city.greenways,
        **opts,
    )
    res.warnings = city.warnings + res.warnings
    res.sources = dict(city.sources)
    res.timings = {**city.timings, "load_s": round(t1 - t0, 3), "compute_s": round(time.perf_counter() - t1, 3)}
    return res
