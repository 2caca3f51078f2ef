"""``cityrenew lifeline tick [--loop SECONDS]`` — the clock's checks: no-data rules and escalation of
unacknowledged alarms, and the launch of the background rollup (hourly) and retention (daily) jobs
(:func:`cityrenew.lifeline.jobs.launch_due`). ``cityrenew serve`` runs it every minute (``--loop 60``);
one run prints what changed."""

from __future__ import annotations

import time

NAME = "tick"
HELP = "执行定时检查：无数据报警、未确认报警升级，按时提交读数聚合与数据保留后台任务（--loop 秒 表示循环执行）"


def add_arguments(parser) -> None:
    parser.add_argument("--loop", type=int, default=0, help="每隔多少秒检查一次（0 表示只检查一次）")


def once(command) -> None:
    from cityrenew.core import audit
    from cityrenew.core.choices import AuditSource
    from cityrenew.lifeline import alarms, jobs

    with audit.actor(None, AuditSource.SYSTEM):
        changes = alarms.tick()
        escalated = alarms.escalate_due()
        launched = jobs.launch_due()
    command.stdout.write(f"无数据检查：{len(changes)} 项变化；升级：{len(escalated)} 条报警"
                         + "".join(f"；已提交后台任务 #{j.pk} {j.title}" for j in launched))


def run(command, opts) -> None:
    if opts["loop"] < 0:
        from django.core.management.base import CommandError

        raise CommandError("--loop 不能为负数", returncode=2)
    while True:
        once(command)
        if not opts["loop"]:
            return
        time.sleep(opts["loop"])
