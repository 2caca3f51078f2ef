"""``cityrenew notices close`` — move plans whose notice period has ended on to 办理许可和备案.

Run it daily (cron, a systemd timer) or launch the job ``notices.close_ended`` from the staff notice
list; both call ``services.close_ended`` and are idempotent.
``cityrenew notices record ID OUT.docx`` writes the notice record (公示记录) of notice ID.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core import audit


class Command(BaseCommand):
    help = "实施方案公示：处理公示期满的方案（close），导出公示记录（record）"
    requires_system_checks = ()  # a data command: the system checks run with check, migrate and serve

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("close", help="公示期满的实施方案转入办理许可和备案")
        rec = sub.add_parser("record", help="导出公示记录（Word）")
        rec.add_argument("notice", type=int, help="公示编号")
        rec.add_argument("out", help="输出文件（.docx）")

    def handle(self, *args, **opts):
        from cityrenew.notices.models import Notice
        from cityrenew.notices.record import build_record
        from cityrenew.notices.services import close_ended

        if opts["action"] == "close":
            with audit.actor(None, "cli", note="cityrenew notices close"):
                closed = close_ended()
            for n in closed:
                self.stdout.write(f"{n.plan.code} {n.title}：公示期至{n.end_date.isoformat()}届满，已转入办理许可和备案")
            self.stdout.write(f"共处理{len(closed)}项。")
            return
        notice = Notice.objects.filter(pk=opts["notice"]).first()
        if notice is None:
            raise CommandError(f"没有编号为{opts['notice']}的公示")
        Path(opts["out"]).write_bytes(build_record(notice))
        self.stdout.write(f"公示记录已写入 {opts['out']}")
