"""``cityrenew map load-osm|load-layer|layers`` — reference layers of the one map from the command line.

* ``cityrenew map load-osm FILE.osm.pbf [--layers buildings,roads,water,green] [--replace] [--prefix osm]``
  loads an OSM extract as the layers ``osm-buildings``, ``osm-roads``, ``osm-water``, ``osm-green``;
* ``cityrenew map load-layer FILE --name NAME --title 名称 [--kind boundaries] [--crs gcj02] [--basemap]
  [--replace] [--anywhere]`` loads one GeoPackage / zipped Shapefile / GeoJSON layer; a layer outside
  the loaded city boundaries is refused (wrong or undeclared CRS) unless ``--anywhere``;
* ``cityrenew map layers`` lists the reference layers.

Exit 0 on success, 1 with a Chinese message when nothing was written. ``--user`` loads as that user
(a 市级管理员) and records the load under that name in the audit log.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core import audit
from cityrenew.core.management import user_of
from cityrenew.jobs.progress import progress_bar

from ...loaders import (
    OSM_LAYERS,
    LoadError,
    city_bounds,
    load_file,
    load_osm,
    parse_layer_keys,
)
from ...models import ReferenceLayer, ReferenceLayerKind


class Command(BaseCommand):
    help = "一张图参考图层：载入 OSM（load-osm）、载入图层文件（load-layer）、列出图层（layers）"
    requires_system_checks = ()  # a data command: the system checks run with check, migrate and serve

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{load-osm,load-layer,layers}")
        o = sub.add_parser("load-osm", help="载入 OSM 提取（.osm.pbf）：建筑、道路、水系、绿地")
        o.add_argument("file", help=".osm.pbf 文件")
        o.add_argument("--layers", default="", help=f"图层，逗号分隔（默认全部：{','.join(OSM_LAYERS)}）")
        o.add_argument("--replace", action="store_true", help="替换同名的已有图层（同一事务内删除后写入）")
        o.add_argument("--prefix", default="osm", help="图层标识前缀（默认 osm → osm-buildings …）")
        o.add_argument("--user", help="以该用户（市级管理员）身份载入，记入审计日志")
        f = sub.add_parser("load-layer", help="载入一个 GeoPackage / Shapefile（zip）/ GeoJSON 图层")
        f.add_argument("file")
        f.add_argument("--name", required=True, help="图层标识（英文小写、数字、连字符）")
        f.add_argument("--title", required=True, help="图层名称")
        f.add_argument("--kind", default=ReferenceLayerKind.OTHER, choices=ReferenceLayerKind.values, help="类型")
        f.add_argument("--crs", default=None, help="坐标系（文件未声明时必填）：wgs84、cgcs2000、gcj02、EPSG:4545 …")
        f.add_argument("--source", default="", help="来源（默认文件名）")
        f.add_argument("--licence", default="", help="许可")
        f.add_argument("--basemap", action="store_true", help="用作离线底图")
        f.add_argument("--replace", action="store_true", help="替换同名的已有图层")
        f.add_argument("--anywhere", action="store_true", help="不检查是否位于本市范围内")
        f.add_argument("--user", help="以该用户（市级管理员）身份载入，记入审计日志")
        sub.add_parser("layers", help="列出参考图层")

    def handle(self, *args, **opts):
        action = opts["action"].replace("-", "_")
        try:
            return getattr(self, "do_" + action)(opts)
        except LoadError as exc:
            raise CommandError(str(exc), returncode=1) from None

    def do_load_osm(self, opts):
        keys = parse_layer_keys(opts["layers"])
        user = user_of(opts)
        with audit.actor(user, "cli", note="cityrenew map load-osm"), progress_bar("载入 OSM", unit="个") as progress:
            results = load_osm(opts["file"], keys, replace=opts["replace"], user=user, prefix=opts["prefix"],
                               progress=progress)
        for r in results:
            self.stdout.write(self.style.SUCCESS(r.headline()))

    def do_load_layer(self, opts):
        user = user_of(opts)
        bounds = None if opts["anywhere"] else city_bounds()
        with audit.actor(user, "cli", note="cityrenew map load-layer"), progress_bar("载入图层", unit="个") as progress:
            r = load_file(opts["file"], name=opts["name"], title=opts["title"], kind=opts["kind"], crs=opts["crs"],
                          source=opts["source"], licence=opts["licence"], basemap=opts["basemap"],
                          replace=opts["replace"], user=user, bounds=bounds, progress=progress)
        self.stdout.write(self.style.SUCCESS(r.headline()))

    def do_layers(self, opts):
        for layer in ReferenceLayer.objects.all():
            flags = "底图" if layer.basemap else ""
            self.stdout.write(f"{layer.name}\t{layer.title}\t{layer.get_kind_display()}\t{layer.feature_count}\t"
                              f"修复 {layer.repaired_count}\t{layer.source_crs}\t{layer.licence}\t{flags}")
