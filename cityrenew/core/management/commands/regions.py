"""``cityrenew regions load [FILE]`` — load or refresh the 行政区划 tree;
``cityrenew regions import-boundaries FILE [--name-field 名称] [--crs …] [--layer …] [--parent CODE] [--dry-run]``
— region boundaries from any polygon layer matched by name (exit 1 with the errors, nothing written)."""

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core import audit
from cityrenew.core.boundaries import import_boundaries
from cityrenew.core.models import Region
from cityrenew.core.regions import DEFAULT_FILE, load_regions


class Command(BaseCommand):
    help = "行政区划：加载区划（load）、导入边界（import-boundaries）"
    requires_system_checks = ()  # a data command: the system checks run with check, migrate and serve

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="从 CSV 加载区划")
        load.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
        b = sub.add_parser("import-boundaries", help="从任一面图层（GeoPackage / Shapefile 压缩包 / GeoJSON）按名称导入区划边界")
        b.add_argument("file", help=".gpkg、.geojson、.shp 或 Shapefile 的 .zip")
        b.add_argument("--name-field", default=None, help="区划名称所在字段（默认：名称 / name）")
        b.add_argument("--crs", default=None, help="文件的坐标系（默认按文件自带：.prj、GeoPackage；GeoJSON 为 WGS84）")
        b.add_argument("--layer", default=None, help="图层名称（GeoPackage 含多个图层时必填）")
        b.add_argument("--parent", default=None, help="上级区划代码：在其下匹配名称，并把找不到的新建为开发区（功能区）")
        b.add_argument("--dry-run", action="store_true", help="只校验并输出报告，不写入")

    def handle(self, *args, **opts):
        if opts["action"] == "load":
            with audit.actor(None, "cli", note="cityrenew regions load"):
                created, updated = load_regions(opts["file"])
            self.stdout.write(f"行政区划：新增 {created} 个，更新 {updated} 个。")
            return
        parent = None
        if opts.get("parent"):
            parent = Region.objects.filter(code=opts["parent"]).first()
            if parent is None:
                raise CommandError(f"上级区划代码不存在：{opts['parent']}（请先运行 cityrenew regions load）")
        with audit.actor(None, "cli", note="cityrenew regions import-boundaries"):
            report = import_boundaries(opts["file"], name_field=opts.get("name_field"), crs=opts.get("crs"),
                                       layer=opts.get("layer"), parent=parent, dry_run=opts["dry_run"])
        if not report.ok:
            self.stdout.write(report.summary_text())
            self.stdout.flush()
            raise CommandError(f"导入失败：{len(report.errors)} 处错误，数据库未修改", returncode=1)
        self.stdout.write(self.style.SUCCESS(report.summary_text()))
