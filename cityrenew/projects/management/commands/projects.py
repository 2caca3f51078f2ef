"""``cityrenew projects import|summary|export`` — the project library's command line (CLI contract).

* ``cityrenew projects import FILE [--batch-no 文号] [--batch-type 新增入库] [--dry-run] [--update] [--user USERNAME]``
  exits 0 on success and 1 with the row-by-row report when any row is invalid (nothing written);
* ``cityrenew projects import-geometry FILE --code-field 项目编号 [--crs EPSG:4545] [--layer NAME] [--dry-run] [--user U]``
  sets project locations from a GeoPackage / zipped Shapefile / GeoJSON layer matched by code; exits 1
  with the errors when any feature is refused (nothing written), listing codes not in the library;
* ``cityrenew projects summary --format json|table [--as-of 文号]`` prints the library summary;
* ``cityrenew projects export --out FILE.xlsx [--layout library|summary|list] [--as-of 文号]``.
"""

from __future__ import annotations

import json
import sys

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core import audit
from cityrenew.core.management import user_of
from cityrenew.core.models import Region
from cityrenew.core.regions import default_city, regions_not_loaded
from cityrenew.core.xlsx import save_atomic
from cityrenew.jobs.progress import progress_bar

from ...choices import BatchType
from ...exports import library_workbook, projects_workbook, summary_workbook
from ...geometry import import_project_geometry
from ...importer import import_projects
from ...models import AdjustmentBatch, RenewalProject
from ...summary import compute_summary, library_queryset, summary_table


class Command(BaseCommand):
    help = "项目库：导入（import）、汇总（summary）、导出（export）"
    requires_system_checks = ()  # a data command: the system checks run with check, migrate and serve

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{import,import-geometry,summary,export}")
        p = sub.add_parser("import", help="从 CSV 或 Excel 导入项目（全部成功才写入）")
        p.add_argument("file", help="CSV（UTF-8 或 GBK）或 xlsx 文件")
        p.add_argument("--batch-no", help="调整批次文号，如 郑建文〔2025〕45号")
        p.add_argument("--batch-type", default=None, help="调整类型：" + "、".join(BatchType.labels) + "（默认 新增入库）")
        p.add_argument("--batch-date", default=None, help="批次日期 YYYY-MM-DD")
        p.add_argument("--dry-run", action="store_true", help="只校验并输出逐行报告，不写入")
        p.add_argument("--update", action="store_true", help="允许更新已存在项目（每项修改记入审计日志）")
        p.add_argument("--user", help="以该用户身份导入（检查其区域权限并记入审计日志）")
        p.add_argument("--city", default=None, help="城市名称或区划代码（默认按区域自动识别）")
        p.add_argument("--quiet-rows", action="store_true", help="成功时不输出逐行报告")
        p.add_argument("--crs", default=None, help="经度/纬度、几何列的坐标系：wgs84（默认）、cgcs2000、gcj02 或 EPSG 代码（如 EPSG:4545）")
        g = sub.add_parser("import-geometry", help="从 GeoPackage / Shapefile 压缩包 / GeoJSON 按项目编号导入项目位置或范围")
        g.add_argument("file", help=".gpkg、.geojson、.shp 或 Shapefile 的 .zip")
        g.add_argument("--code-field", default=None, help="项目编号所在字段（默认：项目编号 / 编号 / code）")
        g.add_argument("--crs", default=None, help="文件的坐标系（默认按文件自带：.prj、GeoPackage；GeoJSON 为 WGS84）")
        g.add_argument("--layer", default=None, help="图层名称（GeoPackage 含多个图层时必填）")
        g.add_argument("--dry-run", action="store_true", help="只校验并输出报告，不写入")
        g.add_argument("--user", help="以该用户身份导入（检查其字段权限和区域范围并记入审计日志）")
        g.add_argument("--city", default=None, help="城市名称或区划代码（位置须在其边界范围内；默认全部已有边界）")
        s = sub.add_parser("summary", help="输出项目库汇总（片区分组 → 区域）")
        s.add_argument("--format", choices=["json", "table"], default="json")
        s.add_argument("--as-of", default=None, help="某一调整批次（文号）之后的项目库状态")
        s.add_argument("--city", default=None, help="城市名称或区划代码（默认：第一个城市，与汇总表页面相同）")
        e = sub.add_parser("export", help="导出 Excel")
        e.add_argument("--out", required=True, help="输出 xlsx 文件")
        e.add_argument("--layout", choices=["library", "summary", "list"], default="library")
        e.add_argument("--as-of", default=None)
        e.add_argument("--city", default=None, help="城市名称或区划代码（默认：第一个城市，与汇总表页面相同）")

    def handle(self, *args, **opts):
        return getattr(self, "do_" + opts["action"].replace("-", "_"))(opts)

    # helpers
    def _city(self, value):
        if not value:
            return None
        city = Region.objects.filter(code=value).first() or Region.objects.filter(name=value, level="city").first()
        if city is None:
            raise CommandError(regions_not_loaded() or f"未知城市：{value}")
        return city

    def _library_city(self, opts):
        """The city of a summary or export: --city, else the batch's (--as-of), else the first city as the
        pages show it (a province installation holds several cities' libraries; one summary never mixes them)."""
        city = self._city(opts.get("city"))
        if city is None and not opts.get("as_of"):
            city = default_city()
        return city

    def _batch(self, doc):
        if not doc:
            return None
        batch = AdjustmentBatch.objects.filter(doc_number=doc).first()
        if batch is None:
            known = "、".join(AdjustmentBatch.objects.values_list("doc_number", flat=True)) or "（无）"
            raise CommandError(f"未找到调整批次“{doc}”；已有批次：{known}")
        return batch

    def do_import_geometry(self, opts):
        user = user_of(opts)
        with audit.actor(user, "cli", note="cityrenew projects import-geometry"), progress_bar("导入位置") as progress:
            report = import_project_geometry(
                opts["file"], code_field=opts.get("code_field"), crs=opts.get("crs"), layer=opts.get("layer"),
                user=user, dry_run=opts["dry_run"], city=self._city(opts.get("city")), progress=progress,
            )
        if not report.ok:
            self.stdout.write(report.summary_text())
            self.stdout.flush()
            raise CommandError(f"导入失败：{len(report.errors)} 处错误，数据库未修改", returncode=1)
        self.stdout.write(self.style.SUCCESS(report.summary_text()))

    def do_import(self, opts):
        user = user_of(opts)
        with audit.actor(user, "cli", note="cityrenew projects import"), progress_bar("导入") as progress:
            report = import_projects(
                opts["file"],
                user=user,
                batch_no=opts.get("batch_no"),
                batch_type=opts.get("batch_type"),
                batch_date=opts.get("batch_date"),
                dry_run=opts["dry_run"],
                update=opts["update"],
                city=self._city(opts.get("city")),
                crs=opts.get("crs"),
                progress=progress,
            )
        if not report.ok:
            self.stdout.write(report.row_report())
            self.stdout.write(report.summary_text())
            self.stdout.flush()
            sys.stdout.flush()
            raise CommandError(f"导入失败：{len(report.errors)} 处错误，数据库未修改", returncode=1)
        if not opts.get("quiet_rows"):
            self.stdout.write(report.row_report())
        self.stdout.write(self.style.SUCCESS(report.summary_text()))

    def do_summary(self, opts):
        s = compute_summary(city=self._library_city(opts), as_of=self._batch(opts.get("as_of")))
        if opts["format"] == "json":
            self.stdout.write(json.dumps(s, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(summary_table(s))

    def do_export(self, opts):
        city, as_of = self._library_city(opts), self._batch(opts.get("as_of"))
        layout = opts["layout"]
        with progress_bar("导出") as progress:
            if layout == "library":
                wb = library_workbook(city=city, as_of=as_of, progress=progress)
            elif layout == "summary":
                wb = summary_workbook(city=city, as_of=as_of)
            else:
                qs = library_queryset(RenewalProject.objects.all(), city=city, as_of=as_of).order_by("seq", "code")
                wb = projects_workbook(qs, progress=progress)
            save_atomic(wb, opts["out"])
        self.stdout.write(self.style.SUCCESS(f"已导出：{opts['out']}"))
