"""``cityrenew engine …``: the spatial engine's command line (no web framework).

Sub-commands: ``coverage`` (walking-network service coverage; JSON summary on stdout, GeoPackage and
summary.json in ``--out``), ``rules`` (the radius table with its policy sources), ``gcj2wgs`` and
``wgs2gcj`` (convert one coordinate). Bad input ends with a Chinese message on stderr and exit code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse's own errors, in Chinese first
        self.print_usage(sys.stderr)
        print(f"错误：命令行参数有误：{message}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_INPUT)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cityrenew engine", description="城市体检空间计算引擎（步行网络服务半径覆盖）")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    c = sub.add_parser("coverage", help="计算服务半径覆盖率（步行网络与直线）")
    c.add_argument("--osm", action="append", default=[], metavar="FILE.osm.pbf", help="OSM 提取文件；可重复，每个文件一个任务")
    c.add_argument("--roads", help="道路线图层（无OSM时用）")
    c.add_argument("--units", help="评价单元图层（小区面/建筑/点；默认用OSM中有名称的 landuse=residential）")
    c.add_argument("--facilities", help="设施图层（需有 category/type 列或OSM标签列）")
    c.add_argument("--districts", help="行政区面图层（按 name 分区统计）")
    c.add_argument("--area", help="建成区范围面图层（道路网密度的分母）")
    c.add_argument("--units-crs", help="评价单元坐标系（覆盖文件自带的，如 wgs84、cgcs2000、gcj02、EPSG:4545）")
    c.add_argument("--facilities-crs", help="设施坐标系（高德/腾讯POI 请用 gcj02）")
    c.add_argument("--roads-crs", help="道路图层坐标系")
    c.add_argument("--encoding", help="属性编码（默认自动识别 UTF-8 / GBK）")
    c.add_argument("--lon-col", help="CSV 经度列名")
    c.add_argument("--lat-col", help="CSV 纬度列名")
    c.add_argument("--all-residential", action="store_true", help="OSM 中无名称的居住用地也作为单元")
    c.add_argument("--building-units", action="store_true", help="以每栋居住建筑为评价单元（OSM 居住建筑，或 --units 图层的每个要素）")
    c.add_argument("--population", help="人口图层（面或点，含 population/人口 列）：分配到评价单元，覆盖率按人口加权")
    c.add_argument("--jobs", help="就业岗位（工作地）图层（含 jobs/就业岗位 列）：计算指标43的就业端")
    c.add_argument("--jobs-crs", help="就业岗位图层坐标系（高德/腾讯数据请用 gcj02）")
    c.add_argument("--population-crs", help="人口图层坐标系")
    c.add_argument("--max-snap-m", type=float, default=None, help="单元/设施到路网的最大吸附距离（米，默认300）")
    c.add_argument("--search-limit-m", type=float, default=None, help="最短路搜索上限（米；默认取各类别最大服务半径；不得小于任一规则的半径）")
    c.add_argument(
        "--min-component-m",
        type=float,
        default=None,
        help="保留路网连通分量的最小道路总长（米，默认5000；最大分量总是保留）",
    )
    c.add_argument("--rules", help="自定义空间规则表 CSV（默认 cityrenew/catalogue/spatial_rules.csv）")
    c.add_argument("--out", required=True, help="输出目录（coverage.gpkg、summary.json）")
    c.add_argument("--format", choices=("json", "text"), default="json", help="标准输出格式")
    c.add_argument("--workers", type=int, default=None, help="本地 Dask 进程数（多个 --osm 时并行）")
    c.add_argument("--scheduler", help="Dask 调度器地址，如 tcp://10.0.0.1:8786")
    c.add_argument("--no-progress", action="store_true", help="不显示进度条")
    c.add_argument("--debug", action="store_true", help="出现内部错误时显示 Python 堆栈")
    sub.add_parser("rules", help="列出空间指标规则（服务半径及政策依据）")
    for name, helptext in (("gcj2wgs", "GCJ-02 → WGS84"), ("wgs2gcj", "WGS84 → GCJ-02")):
        g = sub.add_parser(name, help=helptext)
        g.add_argument("lon", type=float)
        g.add_argument("lat", type=float)
    return p


def _job_kwargs(a: argparse.Namespace) -> dict[str, Any]:
    kw: dict[str, Any] = {
        "roads": a.roads,
        "units": a.units,
        "facilities": a.facilities,
        "districts": a.districts,
        "area": a.area,
        "units_crs": a.units_crs,
        "facilities_crs": a.facilities_crs,
        "roads_crs": a.roads_crs,
        "encoding": a.encoding,
        "lon_col": a.lon_col,
        "lat_col": a.lat_col,
        "all_residential": a.all_residential,
        "building_units": a.building_units,
        "population": a.population,
        "jobs": a.jobs,
        "jobs_crs": a.jobs_crs,
        "population_crs": a.population_crs,
    }
    if a.max_snap_m is not None:
        kw["max_snap_m"] = a.max_snap_m
    if a.search_limit_m is not None:
        kw["search_limit_m"] = a.search_limit_m
    if a.min_component_m is not None:
        kw["min_component_m"] = a.min_component_m
    if a.rules:
        from cityrenew.catalogue.spatial import load_spatial_rules

        kw["rules"] = load_spatial_rules(a.rules)
    return {k: v for k, v in kw.items() if v is not None and v is not False}


def _text(summary: dict[str, Any]) -> str:
    if summary.get("status") == "failed":
        return f"{summary.get('label', '')}：失败：{summary['error']}"
    lines = [f"坐标系 {summary['crs']}，评价单元 {summary['units']} 个（路网外 {summary['units_outside_network']} 个）"]
    for i in summary["indicators"]:
        share = "—" if i["share"] is None else f"{100 * i['share']:.1f}%"
        line = "—" if i["straight_line_share"] is None else f"{100 * i['straight_line_share']:.1f}%"
        reach = f"行车{i['drive_budget_s'] / 60:.0f}分钟" if i.get("drive_budget_s") else f"半径{i['radius_m']:.0f}米"
        lines.append(f"{i['code']:<20} {i['name']}  {reach}  {i['covered']}/{i['total']} = {share}  直线 {line}")
    t = summary.get("timings") or {}
    if t:
        parts = [f"读取OSM {t['parse_s']:.2f} 秒" if "parse_s" in t else "", f"读取与建网 {t.get('load_s', 0):.2f} 秒", f"计算 {t.get('compute_s', 0):.2f} 秒"]
        lines.append("用时：" + "，".join(p for p in parts if p))
    d = summary.get("road_network_density") or {}
    if d.get("value") is not None:
        lines.append(f"城市道路网密度 {d['value']} 千米/平方千米（{d.get('area_source', '')}）")
    for w in summary.get("warnings", []):
        lines.append(f"注意：{w}")
    return "\n".join(lines)


def _check_numbers(a: argparse.Namespace) -> None:
    """Distances given on the command line: finite where they must be, never negative."""
    for opt, value, positive in (
        ("--max-snap-m", a.max_snap_m, True),
        ("--min-component-m", a.min_component_m, False),
    ):
        if value is not None and not (math.isfinite(value) and (value > 0 if positive else value >= 0)):
            need = "大于0" if positive else "不小于0"
            raise _BadInput(f"{opt} 必须是{need}的有限数（米），实际为 {value}")
    if a.search_limit_m is not None and (math.isnan(a.search_limit_m) or a.search_limit_m < 0):
        raise _BadInput(f"--search-limit-m 必须是非负数（米，inf 表示不限），实际为 {a.search_limit_m}")


def output_dirs(out: Path, files: list[str]) -> list[Path]:
    """One output folder per input file under ``out``: the file's stem (``a.osm.pbf`` → ``a``);
    where stems repeat, the parent folder's name is prefixed (``east_a``), then a counter (``a_2``)."""
    stems = [Path(f).name.split(".")[0] for f in files]
    names = [
        s if stems.count(s) == 1 else f"{Path(f).resolve().parent.name}_{s}" for s, f in zip(stems, files)
    ]
    taken: set[str] = set()
    unique = []
    for n in names:
        cand, k = n, 2
        while cand in taken:
            cand, k = f"{n}_{k}", k + 1
        taken.add(cand)
        unique.append(cand)
    return [out / u for u in unique]


def _coverage(a: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .crs import parse_crs
    from .distributed import run_job, run_many

    for value in (a.units_crs, a.facilities_crs, a.roads_crs, a.jobs_crs, a.population_crs):
        if value:
            parse_crs(value)  # fail early on an unknown CRS
    if not a.osm and not a.roads:
        raise _BadInput("需要 --osm（OSM .osm.pbf）或 --roads（道路线图层）之一")
    _check_numbers(a)
    base = _job_kwargs(a)
    if a.search_limit_m is not None:
        from cityrenew.catalogue.spatial import load_spatial_rules

        from .coverage import check_search_limit

        check_search_limit(a.search_limit_m, base.get("rules") or load_spatial_rules())
    out = Path(a.out)
    osm_files = a.osm or [None]
    dirs = output_dirs(out, osm_files) if len(osm_files) > 1 else [out]
    jobs = []
    for f, d in zip(osm_files, dirs):
        job = dict(base)
        if f is not None:
            job["osm"] = f
        job["out"] = str(d)
        if len(osm_files) > 1:
            job["label"] = Path(f).name
        jobs.append(job)
    if len(jobs) == 1 and not a.scheduler and not a.workers:
        from cityrenew.catalogue.spatial import load_spatial_rules

        rules = base.get("rules") or load_spatial_rules()
        ncat = len({c for r in rules if r.kind not in ("density", "drive_time") for c in r.categories})
        bar = tqdm(total=ncat, desc="覆盖率计算", unit="类", file=sys.stderr, disable=a.no_progress)
        job = dict(jobs[0])
        job["progress"] = lambda _cat: bar.update(1)
        try:
            summary = run_job(job)
        finally:
            bar.close()
        payload: dict[str, Any] = summary
    else:
        bar = tqdm(total=len(jobs), desc="城市/分区任务", unit="个", file=sys.stderr, disable=a.no_progress)
        try:
            summaries = run_many(jobs, workers=a.workers, scheduler=a.scheduler, progress=lambda n: bar.update(n - bar.n))
        finally:
            bar.close()
        payload = summaries[0] if len(summaries) == 1 else {"cities": summaries}
    items = payload.get("cities", [payload])
    failed = [s for s in items if s.get("status") == "failed"]
    for w in payload.get("warnings", []) if "cities" not in payload else []:
        print(f"注意：{w}", file=sys.stderr)
    if a.format == "json":
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print("\n\n".join(_text(s) for s in items))
    for s in failed:
        print(f"错误：任务 {s.get('label', '')} 失败：{s['error']}", file=sys.stderr)
    if failed:
        print(f"错误：{len(failed)}/{len(items)} 个任务失败，其余任务已完成并写出结果", file=sys.stderr)
        return EXIT_BAD_INPUT if all(s.get("error_kind") == "input" for s in failed) else 1
    return 0


class _BadInput(ValueError):
    pass


def main(argv: list[str] | None = None) -> int:
    """Entry point for ``cityrenew engine``; returns the exit code (0 ok, 2 bad input, 1 internal)."""
    args = _parser().parse_args(argv)
    from cityrenew.catalogue.spatial import SpatialRuleError

    from .coverage import CoverageError
    from .crs import CRSInputError
    from .io import InputError
    from .network import NetworkError

    try:
        if args.cmd == "coverage":
            return _coverage(args)
        if args.cmd == "rules":
            from cityrenew.catalogue.spatial import load_spatial_rules

            for r in load_spatial_rules():
                radius = "—" if r.radius_m is None else f"{r.radius_m:.0f}米"
                if r.time_min is not None:
                    radius = f"{r.time_min:g}分钟到达（出动{r.turnout_min:g}分钟+行车{r.time_min - r.turnout_min:g}分钟）"
                cats = ";".join(f"{c}@{r.radius_for(c):.0f}米" if r.category_radii else c for c in r.categories)
                print(f"{r.code}\t指标{r.indicator_number or '—'}\t{r.name}\t{radius}\t{cats}\t{r.source}")
            return 0
        from .crs import gcj02_to_wgs84, wgs84_to_gcj02

        fn = gcj02_to_wgs84 if args.cmd == "gcj2wgs" else wgs84_to_gcj02
        lon, lat = fn(args.lon, args.lat)
        print(f"{float(lon):.8f} {float(lat):.8f}")
        return 0
    except (InputError, NetworkError, CoverageError, CRSInputError, SpatialRuleError, _BadInput) as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # an engine bug, not bad input: short message unless --debug
        if getattr(args, "debug", False):
            raise
        print(f"内部错误：{type(exc).__name__}: {exc}（加 --debug 查看详细信息）", file=sys.stderr)
        return 1
