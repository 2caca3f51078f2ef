"""``cityrenew lifeline alarms [--format json|text] [--all]`` — the active alarms.

JSON (the contract): a list of ``{"device", "rule", "level", "value", "since", "acknowledged_by"}``
(``device`` the device code, ``rule`` the rule code, ``since`` ISO 8601 with zone, ``acknowledged_by``
the user name or null), most severe first. ``--all`` adds cleared alarms not yet closed (``status``).
"""

from __future__ import annotations

import json

NAME = "alarms"
HELP = "列出当前报警（--format json 输出 device、rule、level、value、since、acknowledged_by）"


def add_arguments(parser) -> None:
    parser.add_argument("--format", dest="fmt", choices=("json", "text"), default="text", help="输出格式")
    parser.add_argument("--all", action="store_true", help="同时列出已恢复但未关闭的报警")


def rows(include_cleared: bool = False) -> list[dict]:
    from cityrenew.lifeline.choices import AlarmStatus
    from cityrenew.lifeline.models import Alarm

    states = [AlarmStatus.ACTIVE] + ([AlarmStatus.CLEARED] if include_cleared else [])
    qs = Alarm.objects.filter(status__in=states).select_related("device", "rule", "acknowledged_by")
    out = []
    for a in qs.order_by("level_rank", "since", "id"):
        row = {
            "device": a.device.code,
            "rule": a.rule.code,
            "level": a.level,
            "value": a.value,
            "since": a.since.isoformat(),
            "acknowledged_by": a.acknowledged_by.get_username() if a.acknowledged_by else None,
        }
        if include_cleared:
            row["status"] = a.status
        out.append(row)
    return out


def run(command, opts) -> None:
    data = rows(opts["all"])
    if opts["fmt"] == "json":
        command.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
        return
    if not data:
        command.stdout.write("当前没有报警")
        return
    for r in data:
        ack = f"，已由 {r['acknowledged_by']} 确认" if r["acknowledged_by"] else "，未确认"
        command.stdout.write(f"{r['level']} {r['device']} {r['rule']} 读数 {r['value']:g}，自 {r['since']}{ack}")
