"""``cityrenew lifeline stats [--start YYYY-MM-DD] [--end YYYY-MM-DD] [--format json|text]`` — the statistics by
sector and by district (:mod:`cityrenew.lifeline.statistics`) of the whole platform, default the last 30 days.

JSON: ``{"period", "online_window_min", "by_sector", "by_district", "total", "definitions"}``; each row has
``key``, ``label`` and the figures (times in seconds, null when there is none)."""

from __future__ import annotations

import json

NAME = "stats"
HELP = "按行业、按区统计设备、监测对象与报警（--start/--end 日期，默认最近 30 天；--format json|text）"


def add_arguments(parser) -> None:
    parser.add_argument("--start", default="", help="起始日期 YYYY-MM-DD（含，北京时间 0 时起）")
    parser.add_argument("--end", default="", help="截止日期 YYYY-MM-DD（含，至次日 0 时止；默认今天）")
    parser.add_argument("--format", dest="fmt", choices=("json", "text"), default="text", help="输出格式")


def minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def run(command, opts) -> None:
    from django.core.management.base import CommandError

    from cityrenew.lifeline import statistics as stats

    try:
        per = stats.period(opts["start"], opts["end"])
    except stats.StatisticsError as exc:
        raise CommandError(str(exc), returncode=2) from None
    data = stats.compute(per)
    if opts["fmt"] == "json":
        command.stdout.write(json.dumps(data, ensure_ascii=False, indent=1))
        return
    p = data["period"]
    command.stdout.write(f"城市生命线统计 {p['start']} 至 {p['end']}（{p['days']} 天；在线 = 各数据流 {data['online_window_min']} 分钟内有读数）")
    for title, rows in (("按行业", data["by_sector"]), ("按区", data["by_district"])):
        command.stdout.write(f"\n{title}：")
        for r in rows + [data["total"]]:
            levels = "/".join(str(r[f"level_{k}"]) for k in stats.LEVELS) + f"/{r['level_other']}"
            command.stdout.write(
                f"  {r['label']}：设备 {r['devices']}（在线 {r['online']}，维护中 {r['status_maintenance']}，故障 {r['status_fault']}），"
                f"监测对象 {r['assets']}；报警 {r['alarms']}（一/二/三/四级/其他 {levels}），未关闭 {r['open']}，"
                f"已升级 {r['escalated']}，已关闭 {r['closed']}；确认用时 平均 {minutes(r['ack_mean_s'])} 分钟、"
                f"中位数 {minutes(r['ack_median_s'])} 分钟；关闭用时 平均 {minutes(r['close_mean_s'])} 分钟、"
                f"中位数 {minutes(r['close_median_s'])} 分钟")
