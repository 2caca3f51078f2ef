"""``cityrenew ledgers import-geometry --kind equipment FILE [--code-field 编号] [--crs EPSG:4545] [--layer NAME]``:
locations (points, pipe lines, areas) of existing ledger rows from a GeoPackage / zipped Shapefile / GeoJSON."""

from __future__ import annotations

from django.core.management.base import CommandError

from cityrenew.core import audit
from cityrenew.core.management import user_of

from ..choices import LedgerKind
from ..geometry import import_ledger_geometry

NAME = "import-geometry"
HELP = "从 GeoPackage / Shapefile 压缩包 / GeoJSON 按编号导入台账位置（全部校验通过才写入）"


def add_arguments(parser) -> None:
    parser.add_argument("file", help=".gpkg、.geojson、.shp 或 Shapefile 的 .zip")
    parser.add_argument("--kind", required=True, choices=LedgerKind.values, help="台账类型")
    parser.add_argument("--code-field", default=None, help="编号所在字段（默认：编号 / code）")
    parser.add_argument("--crs", default=None, help="文件的坐标系（默认按文件自带）")
    parser.add_argument("--layer", default=None, help="图层名称（GeoPackage 含多个图层时必填）")
    parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    parser.add_argument("--user", help="以该用户身份导入（检查其区域权限并记入审计日志）")


def run(command, opts) -> None:
    user = user_of(opts)
    with audit.actor(user, "cli", note="cityrenew ledgers import-geometry"):
        report = import_ledger_geometry(opts["file"], opts["kind"], code_field=opts.get("code_field"), crs=opts.get("crs"),
                                        layer=opts.get("layer"), user=user, dry_run=opts["dry_run"])
    command.stdout.write(report.summary_text())
    if not report.ok:
        command.stdout.flush()
        raise CommandError(f"导入失败：{len(report.errors)} 处错误，数据库未修改", returncode=1)
