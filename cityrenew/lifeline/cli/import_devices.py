"""``cityrenew lifeline import-devices FILE [--dry-run] [--format json] [--user NAME]`` — the device registry
from an Excel or CSV file in the import template's columns (:mod:`cityrenew.lifeline.importer`), all or nothing.

Exit code 0 when the file passed (and, without ``--dry-run``, was written); 2 with every problem listed
(``第 N 行「字段」：原因``) when any row is wrong — nothing is written then. ``--format json`` prints the
report (``ok``, ``created``, ``updated``, ``unchanged``, ``streams_created``, ``errors`` …) on standard
output in both cases. ``--user`` applies that user's districts and field rules and records the changes
under the user's name; without it the import runs as the server's operator (命令行), with no district limit.
"""

from __future__ import annotations

import json

from django.core.management.base import CommandError

NAME = "import-devices"
HELP = "批量导入感知设备（Excel/CSV，导入模板的列）：全部校验通过才写入；--dry-run 只校验"


def add_arguments(parser) -> None:
    parser.add_argument("file", help="设备文件（.xlsx 或 .csv）")
    parser.add_argument("--dry-run", action="store_true", help="试导入：只校验，不写入")
    parser.add_argument("--format", dest="fmt", choices=("text", "json"), default="text", help="输出格式")
    parser.add_argument("--user", default="", help="按该用户的授权区划和字段权限导入，并记为操作人")


def run(command, opts) -> None:
    from django.contrib.auth import get_user_model

    from cityrenew.core import audit
    from cityrenew.core.choices import AuditSource
    from cityrenew.lifeline.importer import import_devices

    user = None
    if opts["user"]:
        user = get_user_model().objects.filter(username=opts["user"]).first()
        if user is None:
            raise CommandError(f"用户“{opts['user']}”不存在", returncode=2)
    with audit.actor(user, AuditSource.CLI):
        report = import_devices(opts["file"], user=user, dry_run=opts["dry_run"])
    if opts["fmt"] == "json":
        command.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    if not report.ok:
        lines = [str(e) for e in report.errors]
        raise CommandError("\n".join([report.headline(), *lines]), returncode=2)
    if opts["fmt"] != "json":
        command.stdout.write(report.headline())
