"""``cityrenew consent tally FILE --matter major|ordinary --format json|text``: count an owners' vote.

FILE is a CSV (UTF-8 or GBK) or xlsx with columns 房号, 业主, 专有部分面积, 表决 (同意/反对/弃权/未参与; the
developer's unsold units have 业主 ``建设单位``). Counted by 民法典第二百七十八条 and 建筑物区分所有权解释第八条、
第九条 (:mod:`cityrenew.consent.tally`). Bad input: Chinese messages on stderr naming row and field, exit 2.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from cityrenew.consent.io import read_units
from cityrenew.consent.tally import (
    MAJOR_RULE,
    MATTERS,
    ORDINARY_RULE,
    PARTICIPATION,
    ConsentError,
    tally,
)


class Command(BaseCommand):
    help = "业主表决计票（民法典第二百七十八条）"
    requires_system_checks = ()  # a pure computation on a file: no database, no checks

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="tally")
        t = sub.add_parser("tally", help="按专有部分面积和业主人数计票",
                           description="按民法典第二百七十八条及建筑物区分所有权解释第八条、第九条计票")
        t.add_argument("file", metavar="FILE", help="CSV（UTF-8 或 GBK）或 xlsx：房号, 业主, 专有部分面积, 表决")
        t.add_argument("--matter", required=True, choices=sorted(MATTERS), help="major：第六项至第八项重大事项；ordinary：其他事项")
        t.add_argument("--format", default="text", choices=("json", "text"))

    def handle(self, *args, **options):
        try:
            result = tally(read_units(options["file"]), options["matter"])
        except ConsentError as e:
            raise CommandError("计票失败：" + "；".join(e.messages), returncode=2) from None
        if options["format"] == "json":
            self.stdout.write(json.dumps(result.contract(), ensure_ascii=False))
            return
        rule = MAJOR_RULE if result.matter == "major" else ORDINARY_RULE
        lines = [
            f"事项：{MATTERS[result.matter]}",
            f"业主总人数 {result.owners_total}，专有部分总面积 {result.area_total}",
            f"参与表决 {result.owners_voted} 人，面积 {result.area_voted}",
            f"同意 {result.owners_agree} 人，面积 {result.area_agree}",
            f"参与表决门槛（《{PARTICIPATION.doc.title}》{PARTICIPATION.where}）：{'达到' if result.participation_ok else '未达到'}",
            f"表决结果（《{rule.doc.title}》{rule.where}）：{'通过' if result.passed else '未通过'}",
            *(f"  · {r}" for r in result.reasons),
        ]
        self.stdout.write("\n".join(lines))
