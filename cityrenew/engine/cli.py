"""``cityrenew engine …``: the spatial engine's command line (no web framework).

Sub-commands: ``coverage`` (walking-network service coverage; JSON summary on stdout, GeoPackage and
summary.json in ``--out``), ``rules`` (the radius table with its policy sources), ``gcj2wgs`` and
``wgs2gcj`` (convert one coordinate). Bad input ends with a Chinese message on stderr and exit code 2,
never a traceback.
"""

from __future__ import annotations

import argparse
import json
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
    c.add_argument("--max-snap-m", type=float, default=None, help="单元/设施到路网的最大吸附距离（米，默认300）")
    c.add_argument("--search-limit-m", type=float, default=None, help="最短路搜索上限（米；默认取各类别最大服务半径）")
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
    }
    if a.max_snap_m is not None:
        kw["max_snap_m"] = a.max_snap_m
    if a.search_limit_m is not None:
        kw["search_limit_m"] = a.search_limit_m
    if a.rules:
        from cityrenew.catalogue.spatial import load_spatial_rules

        kw["rules"] = load_spatial_rules(a.rules)
    return {k: v for k, v in kw.items() if v is not None and v is not False}


def _text(summary: dict[str, Any]) -> str:
    lines = [f"坐标系 {summary['crs']}，评价单元 {summary['units']} 个（路网外 {summary['units_outside_network']} 个）"]
    for i in summary["indicators"]:
        share = "—" if i["share"] is None else f"{100 * i['share']:.1f}%"
        line = "—" if i["straight_line_share"] is None else f"{100 * i['straight_line_share']:.1f}%"
        lines.append(f"{i['code']:<20} {i['name']}  半径{i['radius_m']:.0f}米  步行 {i['covered']}/{i['total']} = {share}  直线 {line}")
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


def _coverage(a: argparse.Namespace) -> int:
    from tqdm import tqdm

    from .distributed import run_job, run_many
    from .crs import parse_crs

    for value in (a.units_crs, a.facilities_crs, a.roads_crs):
        if value:
            parse_crs(value)  # fail early on an unknown CRS
    if not a.osm and not a.roads:
        raise _BadInput("需要 --osm（OSM .osm.pbf）或 --roads（道路线图层）之一")
    base = _job_kwargs(a)
    out = Path(a.out)
    osm_files = a.osm or [None]
    jobs = []
    for f in osm_files:
        job = dict(base)
        if f is not None:
            job["osm"] = f
        job["out"] = str(out if len(osm_files) == 1 else out / Path(f).name.split(".")[0])
        if len(osm_files) > 1:
            job["label"] = Path(f).name
        jobs.append(job)
    if len(jobs) == 1 and not a.scheduler and not a.workers:
        from cityrenew.catalogue.spatial import load_spatial_rules

        rules = base.get("rules") or load_spatial_rules()
        ncat = len({c for r in rules if r.kind != "density" for c in r.categories})
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
    for w in payload.get("warnings", []) if "cities" not in payload else []:
        print(f"注意：{w}", file=sys.stderr)
    if a.format == "json":
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        items = payload["cities"] if "cities" in payload else [payload]
        print("\n\n".join(_text(s) for s in items))
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
                print(f"{r.code}\t指标{r.indicator_number or '—'}\t{r.name}\t{radius}\t{';'.join(r.categories)}\t{r.source}")
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
