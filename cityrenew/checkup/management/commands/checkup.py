"""``cityrenew checkup …`` — the city check-up on the command line.

Sub-commands:
  indicators --set MOHURD-2025 [--format json|text]   the set's indicators
  sets [--diff OLD NEW] [--format json|text]            the sets, and the differences between two
  load                                                  load/refresh MOHURD-2025 and MOHURD-2024
  evaluate --city 郑州市 --year 2025                     evaluate a run
  report --city 郑州市 --year 2025 --out FILE.docx       write the Word report
  attach-engine --city 郑州市 --year 2025 --summary summary.json
  units import FILE --city 郑州市 [--crs wgs84|cgcs2000|gcj02|EPSG:xxxx] [--kind 小区] [--region 中原区] [--dry-run]
                                                        import assessment units (Excel, .gpkg, .geojson, zipped Shapefile)
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core.audit import actor
from cityrenew.core.regions import region_by_name, regions_not_loaded

from ...catalogue import SET_2024, SET_2025, diff_sets, load_indicator_sets
from ...models import CheckupRun, IndicatorSet, value_as_text


def _ensure_sets() -> None:
    if not IndicatorSet.objects.filter(code__in=[SET_2025, SET_2024]).count() == 2:
        with actor(None, "cli", note="cityrenew checkup"):
            load_indicator_sets()


def _run(city_name: str, year: int) -> CheckupRun:
    city = region_by_name(city_name)
    if city is None:
        raise CommandError(f"找不到城市“{city_name}”")
    run = CheckupRun.objects.filter(city=city, year=year).first()
    if run is None:
        raise CommandError(f"{city.display_name}{year}年城市体检不存在（先运行 cityrenew demo 或在系统中发起体检）")
    return run


class Command(BaseCommand):
    help = "城市体检：指标体系、评价、报告"
    requires_system_checks = ()  # a data command: the system checks run with check, migrate and serve

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("indicators", help="列出指标体系的指标")
        p.add_argument("--set", default=SET_2025, help="指标体系编码（默认 MOHURD-2025）")
        p.add_argument("--format", choices=["json", "text"], default="text")
        p = sub.add_parser("sets", help="列出指标体系及其差异")
        p.add_argument("--diff", nargs=2, metavar=("OLD", "NEW"), help="比较两个指标体系（默认 MOHURD-2024 与 MOHURD-2025）")
        p.add_argument("--format", choices=["json", "text"], default="text")
        sub.add_parser("load", help="加载或更新国家基础指标体系")
        for name, text in (("evaluate", "评价一次城市体检"), ("report", "生成体检报告（Word）"), ("attach-engine", "导入空间计算结果")):
            p = sub.add_parser(name, help=text)
            p.add_argument("--city", required=True)
            p.add_argument("--year", type=int, required=True)
            if name == "report":
                p.add_argument("--out", required=True, help="输出文件（.docx）")
            if name == "attach-engine":
                p.add_argument("--summary", required=True, help="空间引擎的 summary.json")
        p = sub.add_parser("units", help="体检单元")
        usub = p.add_subparsers(dest="units_action", required=True)
        p = usub.add_parser("import", help="导入体检单元（Excel .xlsx、.gpkg、.geojson 或 Shapefile 压缩包 .zip）")
        p.add_argument("file")
        p.add_argument("--city", required=True)
        p.add_argument("--crs", default="auto", help="wgs84、cgcs2000、gcj02 或 EPSG:xxxx；默认自动识别（Excel 按 WGS84）")
        p.add_argument("--kind", default="", help="地理数据的默认类型，如 小区")
        p.add_argument("--region", default="", help="地理数据的默认所在区划，如 中原区")
        p.add_argument("--dry-run", action="store_true", help="只检查，不写入")

    def handle(self, *args, **opts):
        action = opts["action"]
        with actor(None, "cli", note=f"cityrenew checkup {action}"):
            getattr(self, "do_" + action.replace("-", "_"))(opts)

    def do_load(self, opts):
        sets = load_indicator_sets()
        for s in sets.values():
            self.stdout.write(f"{s.code} {s.name}：{s.indicators.count()}项")

    def do_indicators(self, opts):
        _ensure_sets()
        s = IndicatorSet.objects.filter(code=opts["set"]).first()
        if s is None:
            codes = "、".join(IndicatorSet.objects.values_list("code", flat=True))
            raise CommandError(f"指标体系“{opts['set']}”不存在；现有：{codes}")
        items = []
        for i in s.indicators.order_by("number"):
            items.append({
                "number": i.number, "code": i.code, "dimension": i.get_dimension_display(), "group": i.group,
                "name": i.name, "unit": i.unit, "direction": i.direction, "method": i.method,
                "method_text": i.method_text, "computation": i.computation, "department": i.get_department_display(),
                "standard": i.standard, "threshold": value_as_text(i.threshold) or None, "comparator": i.comparator or None,
                "source": i.source, "retired": i.retired,
                "definition_zh": i.definition_zh, "method_zh": i.method_zh, "standard_zh": i.standard_zh,
                "texts_source": i.texts_source,
            })
        if opts["format"] == "json":
            self.stdout.write(json.dumps(items, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{s.name}（{s.code}）：{len(items)}项")
        for i in items:
            self.stdout.write(f"{i['number']:>3} {i['dimension']:<6} {i['group']:<8} {i['name']}（{i['unit']}） {i['department']}")

    def do_sets(self, opts):
        _ensure_sets()
        old_code, new_code = opts["diff"] or (SET_2024, SET_2025)
        sets = list(IndicatorSet.objects.order_by("-year", "code"))
        old = IndicatorSet.objects.filter(code=old_code).first()
        new = IndicatorSet.objects.filter(code=new_code).first()
        if old is None or new is None:
            raise CommandError(f"指标体系“{old_code if old is None else new_code}”不存在")
        d = diff_sets(old, new)
        if opts["format"] == "json":
            self.stdout.write(json.dumps({
                "sets": [{"code": s.code, "name": s.name, "year": s.year, "kind": s.get_kind_display(),
                          "indicators": s.indicators.filter(retired=False).count()} for s in sets],
                "diff": d.as_dict(),
            }, ensure_ascii=False, indent=2))
            return
        for s in sets:
            self.stdout.write(f"{s.code:<14} {s.year} {s.get_kind_display():<6} {s.indicators.filter(retired=False).count():>3}项 {s.name}")
        self.stdout.write("")
        for line in d.lines():
            self.stdout.write(line)

    def do_evaluate(self, opts):
        from ...services import evaluate_run

        run = _run(opts["city"], opts["year"])
        evals = evaluate_run(run)
        counts = {}
        for e in evals:
            counts[e.get_verdict_display()] = counts.get(e.get_verdict_display(), 0) + 1
        self.stdout.write(f"{run}：{len(evals)}项指标，" + "，".join(f"{k}{v}项" for k, v in counts.items()))
        for e in evals:
            if e.warning:
                self.stdout.write(f"  指标{e.indicator.number} {e.indicator.name}：{e.warning}")

    def do_report(self, opts):
        from cityrenew.jobs.progress import progress_bar

        from ...report import build_report
        from ...services import CheckupError

        run = _run(opts["city"], opts["year"])
        with progress_bar("生成体检报告", unit="步") as progress:
            progress(0, 1, "评价、图表与正文")
            try:
                out = build_report(run, opts["out"])
            except CheckupError as exc:  # e.g. no CJK font: a Chinese message, not a traceback
                raise CommandError(str(exc)) from exc
            progress(1, 1, "完成")
        self.stdout.write(f"已生成报告：{out['path']}（指标{out['indicators']}项，问题{out['problems']}个）")
        for w in out["warnings"]:
            self.stderr.write(w)

    def do_units(self, opts):
        from pathlib import Path

        from ...choices import UNIT_KIND_BY_LABEL, UnitKind
        from ...services.units import run_unit_import

        city = region_by_name(opts["city"])
        if city is None:
            raise CommandError(regions_not_loaded() or f"找不到城市“{opts['city']}”")
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        kind = opts["kind"].strip()
        if kind and kind not in UnitKind.values:
            if kind not in UNIT_KIND_BY_LABEL:
                raise CommandError(f"“{kind}”不是有效的体检单元类型，应为住房（楼栋）、小区、社区、街区或城区")
            kind = UNIT_KIND_BY_LABEL[kind]
        crs = opts["crs"].strip()
        options = {"city": str(city.pk), "crs": "epsg" if crs.lower() not in ("auto", "wgs84", "cgcs2000", "gcj02") else crs.lower(),
                   "epsg": crs, "kind": kind, "region": opts["region"].strip()}
        report = run_unit_import(path.resolve(), city, options, None, dry_run=opts["dry_run"])
        if not report.ok:
            self.stderr.write(report.summary_text())
            raise CommandError(f"导入失败：{len(report.errors)}处错误，未写入任何数据")
        if opts["dry_run"]:
            self.stdout.write(f"试运行通过：共{report.rows}行，将新增{report.created}个、更新{report.updated}个，不变{report.unchanged}个（未写入）。")
        else:
            self.stdout.write(report.summary_text())

    def do_attach_engine(self, opts):
        from ...services import attach_engine_results

        run = _run(opts["city"], opts["year"])
        out = attach_engine_results(run, opts["summary"])
        for a in out["attached"]:
            self.stdout.write(f"已导入 指标{a['number']} {a['name']} = {a['value']}（{a['code']}）")
        for s in out["skipped"]:
            self.stdout.write(f"未导入 {s['code']}：{s['reason']}")
