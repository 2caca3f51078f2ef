"""``cityrenew regions load [FILE]`` — load or refresh the 行政区划 tree."""

from django.core.management.base import BaseCommand

from cityrenew.core import audit
from cityrenew.core.regions import DEFAULT_FILE, load_regions


class Command(BaseCommand):
    help = "加载行政区划（默认：郑州市及其区县、开发区、示例街道和社区）"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="从 CSV 加载区划")
        load.add_argument("file", nargs="?", default=str(DEFAULT_FILE))

    def handle(self, *args, **opts):
        with audit.actor(None, "cli", note="cityrenew regions load"):
            created, updated = load_regions(opts["file"])
        self.stdout.write(f"行政区划：新增 {created} 个，更新 {updated} 个。")
