"""``cityrenew reports statistics --start 2021 --end 2025 [--province 河南省 | --city 洛阳市] [--format text|json]
[--output FILE.xlsx]``: the national urban-renewal statistics (全国城市更新统计) by year and city, from the records.

The five figures and their sources are those of :mod:`cityrenew.reports.figures` (口袋公园 and 城市绿道 have no
record type: ``null`` in JSON, “无此类记录” in text and xlsx). Without ``--province``/``--city`` every city of
the region tree is counted (an operator's command: no user scope). Bad input: a Chinese message, exit 2.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core.choices import RegionLevel
from cityrenew.core.regions import region_by_name
from cityrenew.reports import services
from cityrenew.reports.documents import statistics_workbook
from cityrenew.reports.figures import NATIONAL_STATS, NO_RECORDS, statistics
from cityrenew.reports.views import MAX_YEARS


class Command(BaseCommand):
    help = "报送与统计：全国城市更新统计（按年度、城市）"
    requires_system_checks = ()  # a data command: the system checks run with check, migrate and serve

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="statistics")
        s = sub.add_parser("statistics", help="新开工改造老旧小区、加装电梯、口袋公园、城市绿道、地下管网（按年度、城市）")
        s.add_argument("--start", required=True, help="起始年度")
        s.add_argument("--end", required=True, help="截止年度")
        where = s.add_mutually_exclusive_group()
        where.add_argument("--province", help="只统计该省的城市，如 河南省")
        where.add_argument("--city", help="只统计该城市，如 洛阳市")
        s.add_argument("--format", default="text", choices=("text", "json"))
        s.add_argument("--output", help="另存为 xlsx 文件")

    def fail(self, message: str) -> None:
        raise CommandError(message, returncode=2)

    def handle(self, *args, **options):
        try:
            start, end = services.parse_year(options["start"]), services.parse_year(options["end"])
        except services.ReportError as exc:
            self.fail(str(exc))
        if end < start:
            self.fail(f"「起始年度」{start} 晚于「截止年度」{end}")
        if end - start + 1 > MAX_YEARS:
            self.fail(f"统计最多跨 {MAX_YEARS} 年")
        cities = list(services.cities())
        for opt, level, label in (("province", RegionLevel.PROVINCE, "省份"), ("city", RegionLevel.CITY, "城市")):
            if options[opt]:
                region = region_by_name(options[opt])
                if region is None or region.level != level:
                    self.fail(f"找不到{label}“{options[opt]}”（请先加载行政区划：cityrenew regions load）")
                cities = [c for c in cities if c.path.startswith(region.path)]
        if not cities:
            self.fail("没有可统计的城市（请先加载行政区划：cityrenew regions load）")
        rows = statistics(cities, list(range(start, end + 1)))
        if options["output"]:
            if not options["output"].lower().endswith(".xlsx"):
                self.fail("「--output」应为 .xlsx 文件")
            statistics_workbook(rows).save(options["output"])
        if options["format"] == "json":
            payload = {"start": start, "end": end, "cities": [c.display_name for c in cities],
                       "stats": [{"key": s.key, "label": s.label, "unit": s.unit, "source": s.source or None} for s in NATIONAL_STATS],
                       "rows": rows}
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
            return
        self.stdout.write("\t".join(["年度", "城市"] + [f"{s.label}（{s.unit}）" for s in NATIONAL_STATS]))
        for r in rows:
            self.stdout.write("\t".join([str(r["year"]), r["city"]] + [r[s.key] if r[s.key] is not None else NO_RECORDS
                                                                       for s in NATIONAL_STATS]))
