"""``cityrenew funding shortlist FILE --places 20 [--format text|json]``: the defence list of a CSV
``城市, 省份, 书面评审得分`` at 120% of places (财办建〔2025〕11号三、（二）; rounding and ties in
:mod:`cityrenew.centralfund.rules`). Two cities of one province, a score outside 0–100 or a malformed
file are refused in Chinese (exit 2). Reads the file only; writes nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError

NAME = "shortlist"
HELP = "按120%差额比例确定进入现场答辩的城市名单"


def add_arguments(parser) -> None:
    parser.add_argument("file", help="CSV：城市, 省份, 书面评审得分")
    parser.add_argument("--places", type=int, default=20, help="评选名额（默认20）")
    parser.add_argument("--format", choices=["text", "json"], default="text")


def run(command, opts) -> None:
    from cityrenew.centralfund import rules

    path = Path(opts["file"])
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}", returncode=2)
    try:
        result = rules.shortlist(rules.read_scores_csv(path.read_bytes()), opts["places"])
    except rules.RuleError as exc:
        raise CommandError(f"{path.name}：{exc}", returncode=2) from exc
    if opts["format"] == "json":
        command.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False) + "\n")
        return
    command.stdout.write(f"名额 {result.places} 个，现场答辩名单 {result.size} 个（{rules.SHORTLIST_SOURCE}）：\n")
    for n, c in enumerate(result.cities, start=1):
        command.stdout.write(f"{n:>3}. {c.city}（{c.province}）{c.score}\n")
    if result.tied_at_cut:
        command.stdout.write(f"与第 {result.size} 名同分一并进入：{'、'.join(result.tied_at_cut)}\n")
