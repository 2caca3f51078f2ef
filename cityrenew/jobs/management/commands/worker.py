"""``cityrenew worker`` — run background jobs (后台任务).

On start it recovers the jobs a dead worker left 运行中 (失败, or re-queued when the kind is
idempotent), then runs django-tasks-db's worker loop on the ``default`` queue until stopped
(Ctrl+C / SIGTERM finish the current job first). ``--batch`` runs what is queued and exits.
Start it beside the web server: ``make demo`` does.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from ...runner import recover


class Command(BaseCommand):
    help = "运行后台任务（导入、导出、体检报告、评价、空间计算结果）"

    def add_arguments(self, parser):
        parser.add_argument("--batch", action="store_true", help="运行完队列中的任务后退出")
        parser.add_argument("--interval", type=float, default=1.0, help="队列为空时的轮询间隔（秒，默认 1）")
        parser.add_argument("--max-tasks", type=int, default=None, help="运行这么多个任务后退出")

    def handle(self, *args, **opts):
        verbosity = opts["verbosity"]
        for job, outcome in recover():
            if verbosity:
                what = "已重新排队" if outcome == "requeued" else "已标记为失败"
                self.stdout.write(f"任务 #{job.pk}「{job.title}」的工作进程已退出：{what}")
        if verbosity:
            self.stdout.write("后台任务工作进程已启动（Ctrl+C 退出）" if not opts["batch"] else "运行队列中的后台任务…")
            self.stdout.flush()
        kwargs = {"queue_name": "default", "interval": opts["interval"], "batch": opts["batch"], "reload": False,
                  "startup_delay": False, "verbosity": verbosity}
        if opts["max_tasks"]:
            kwargs["max_tasks"] = opts["max_tasks"]
        call_command("db_worker", **kwargs)
