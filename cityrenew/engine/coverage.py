"""Service coverage (服务半径覆盖) along the walking network: the engine's one entry point.

:func:`coverage` takes a :class:`~cityrenew.engine.network.WalkNetwork`, the
:class:`~cityrenew.engine.units.Units` and :class:`~cityrenew.engine.facilities.Facilities` (all in
the same metric CRS, metres) and the spatial rules of the catalogue, and returns per unit and
category the walking distance to the nearest facility, per rule the within-radius flags and the
shares (by unit count, by area, by population; per district), the straight-line equivalent, the
15-minute life-circle completeness and 城市道路网密度.

How distances are measured: each unit centroid and each facility access point is snapped to its
nearest node of the network's largest connected component; the walking distance is the shortest
path between those nodes (metres). The snap lengths are reported separately and are *not* added.
One multi-source Dijkstra per category (``scipy.sparse.csgraph.dijkstra(min_only=True,
limit=…)``) gives the distance from every node to the nearest facility at once, searched up to
the largest radius any rule needs for that category (``inf`` beyond it).
"""

from __future__ import annotations

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
    KIND_LIFE_CIRCLE,
    KIND_RADIUS,
    SpatialRule,
    load_spatial_rules,
)

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
    timings: dict[str, float] = field(default_factory=dict)  # seconds: parse_s, load_s, compute_s

    def summary(self) -> dict[str, Any]:
        """The JSON summary: CRS, unit count and one entry per indicator (shares 0–1)."""
        inds = [i.as_dict() for i in self.indicators]
        values = [
            {
                "indicator_number": i.rule.indicator_number,
                "code": i.rule.code,
                "value": None if i.share is None else round(100.0 * (i.share_by_area if i.share_by_area is not None else i.share), 2),
                "unit": "%",
                "basis": "居住用地面积加权" if i.share_by_area is not None else "小区个数",
            }
            for i in self.indicators
            if i.rule.kind == KIND_RADIUS and i.rule.indicator_number is not None
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


def search_limits(rules: Sequence[SpatialRule]) -> dict[str, float]:
    """Largest radius (metres) any rule needs per category: the Dijkstra search limit."""
    lim: dict[str, float] = {}
    for r in rules:
        if r.kind == KIND_DENSITY:
            continue
        for c in r.categories:
            lim[c] = max(lim.get(c, 0.0), float(r.radius_m or 0.0))
    return lim


def road_network_density(
    roads: NDArray[np.object_], area: Any, *, threshold: float | None = None, source: str = ""
) -> dict[str, Any]:
    """城市道路网密度: length of city roads inside ``area`` (km) per km² of ``area`` (metric CRS)."""
    if area is None or shapely.is_empty(area) or shapely.area(area) <= 0:
        return {"value": None, "message": "没有建成区范围，无法计算道路网密度"}
    roads = np.asarray(roads, dtype=object)
    km = 0.0
    if len(roads):
        # roads wholly inside the area keep their length; only the others are clipped
        shapely.prepare(area)
        inside = shapely.contains_properly(area, roads)
        clipped = shapely.intersection(roads[~inside], area)
        km = (float(shapely.length(roads[inside]).sum()) + float(shapely.length(clipped).sum())) / 1000.0
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
    roads: NDArray[np.object_] | None = None,
    area: Any = None,
    area_source: str = "",
    progress: Callable[[str], None] | None = None,
) -> CoverageResult:
    """Walking-network service coverage of ``units`` by ``facilities`` for every rule.

    All geometry in ``network.crs`` (metres). ``rules`` default to the catalogue
    (``cityrenew/catalogue/spatial_rules.csv``). Units whose centroid is more than ``max_snap_m``
    metres from the network are *outside* the network's extent: they get ``nan`` distances and are
    left out of every share (and counted in ``units_outside_network``). Facility access points
    farther than ``max_snap_m`` from the network are not used as network sources (they still count
    for the straight-line distance). ``search_limit_m`` overrides the per-category search limit
    (``np.inf`` for full distances). ``progress`` is called once per category.
    """
    all_rules = list(rules) if rules is not None else load_spatial_rules()
    for r in all_rules:
        unknown = [c for c in r.categories if c not in CATEGORIES and r.kind != KIND_DENSITY]
        if unknown:
            raise CoverageError(f"规则 {r.code} 引用了未定义的设施类别：{', '.join(unknown)}")
    density_rule = next((r for r in all_rules if r.kind == KIND_DENSITY), None)
    rules_ = [r for r in all_rules if r.kind in (KIND_RADIUS, KIND_LIFE_CIRCLE)]
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
    limits = search_limits(rules_)
    if search_limit_m is not None:
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
            if src.size:
                dnode = network.distances_from(src, limits[cat])
                d = dnode[unit_node]
            else:
                d = np.full(units.n, np.inf)
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
        with np.errstate(invalid="ignore"):
            reach = stack <= r.radius_m
            reach_line = sline <= r.radius_m
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
        if nfac == 0:
            status = "no_facilities"
            share = None
            message = (
                f"输入数据中没有“{'、'.join(category_label(c) for c in cats)}”类设施，无法评价该指标"
                "（不是覆盖率为0；请补充设施数据）（no facilities of this category）"
            )
            warn.append(f"{r.code} {r.name}：{message}")
        by_d: list[dict[str, Any]] = []
        if len(dnames) > 1 or (len(dnames) == 1 and dnames[0] != ""):
            tot = np.bincount(dcode, weights=valid.astype(float), minlength=len(dnames))
            cov = np.bincount(dcode, weights=flag.astype(float), minlength=len(dnames))
            for i, name in enumerate(dnames):
                if tot[i] == 0:
                    continue
                by_d.append(
                    {
                        "district": str(name) or "（未落入任何行政区）",
                        "covered": int(cov[i]),
                        "total": int(tot[i]),
                        "share": None if status != "ok" else round(float(cov[i] / tot[i]), 4),
                    }
                )
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
    )


def coverage_files(**kwargs: Any) -> CoverageResult:
    """Read inputs with :func:`cityrenew.engine.io.load_city` and run :func:`coverage`.

    Keyword arguments of ``load_city`` plus ``rules``, ``max_snap_m``, ``search_limit_m``,
    ``progress``.
    """
    import time

    from .io import load_city

    opts = {k: kwargs.pop(k) for k in ("rules", "max_snap_m", "search_limit_m", "progress") if k in kwargs}
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
        **opts,
    )
    res.warnings = city.warnings + res.warnings
    res.sources = dict(city.sources)
    res.timings = {**city.timings, "load_s": round(t1 - t0, 3), "compute_s": round(time.perf_counter() - t1, 3)}
    return res
