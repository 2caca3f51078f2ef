"""``cityrenew funding cap --province 四川省 [--format text|json]``: the central renewal subsidy cap of a
city in that province, in 亿元, and the region used (财办建〔2025〕11号四、（一）; the province → region
table is the editable one in the database when present, else the shipped default)."""

from __future__ import annotations

import json

from django.core.management.base import CommandError

NAME = "cap"
HELP = "中央财政城市更新补助上限（亿元）及所按区域"


def add_arguments(parser) -> None:
    parser.add_argument("--province", required=True, help="省份，如 四川省、上海市")
    parser.add_argument("--format", choices=["text", "json"], default="text")


def run(command, opts) -> None:
    from cityrenew.centralfund.caps import UnknownProvince, region_of

    try:
        cap = region_of(opts["province"])
    except UnknownProvince as exc:
        raise CommandError(str(exc), returncode=2) from exc
    if opts["format"] == "json":
        command.stdout.write(json.dumps(cap.as_dict(), ensure_ascii=False) + "\n")
        return
    command.stdout.write(f"{cap.province}：{cap.region_label}，每个城市补助总额不超过 {cap.cap_yi} 亿元\n"
                         f"区域依据：{cap.basis}（{cap.source}）\n上限依据：{cap.as_dict()['rule']}\n")
