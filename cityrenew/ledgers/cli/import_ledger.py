"""``cityrenew ledgers import --kind equipment|building|community|dangerous_housing FILE`` (CLI contract).

FILE is CSV (UTF-8 or GBK) or xlsx with the Chinese headers of the ledger's template (more columns
allowed). Exits 0 with a one-line summary, or 1 with every error (第 N 行「字段」：原因) and nothing
written. ``--job`` runs it as a background job (``cityrenew worker`` or ``--wait``: this process).
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import CommandError

from cityrenew.core import audit
from cityrenew.core.management import user_of
from cityrenew.jobs.progress import progress_bar

from ..choices import LedgerKind
from ..importer import import_ledger

NAME = "import"
HELP = "从 CSV 或 Excel 导入台账（全部校验通过才写入）"


def add_arguments(parser) -> None:
    parser.add_argument("file", help="CSV（UTF-8 或 GBK）或 xlsx 文件")
    parser.add_argument("--kind", required=True, choices=LedgerKind.values,
                        help="台账类型：" + "、".join(f"{v}（{label}）" for v, label in LedgerKind.choices))
    parser.add_argument("--dry-run", action="store_true", help="只校验，不写入")
    parser.add_argument("--user", help="以该用户身份导入（检查其区域权限并记入审计日志）")
    parser.add_argument("--format", choices=["text", "json"], default="text", help="输出格式")
    parser.add_argument("--job", action="store_true", help="作为后台任务运行（由 cityrenew worker 执行）")
    parser.add_argument("--wait", action="store_true", help="与 --job 同用：在本进程中运行该任务并等待结束")


def _output(command, report, fmt: str) -> None:
    if fmt == "json":
        command.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
    else:
        for e in report.errors:
            command.stdout.write(str(e))
        command.stdout.write(report.headline())


def run(command, opts) -> None:
    user = user_of(opts)
    path = Path(opts["file"])
    if not path.is_file():
        raise CommandError(f"文件不存在：{path}")
    if opts["job"]:
        return _run_job(command, opts, user, path)
    with audit.actor(user, "cli", note=f"cityrenew ledgers import {path.name}"[:300]), progress_bar("导入台账") as progress:
        report = import_ledger(path, opts["kind"], user=user, dry_run=opts["dry_run"], progress=progress)
    _output(command, report, opts["format"])
    if not report.ok:
        command.stdout.flush()
        raise CommandError(f"导入失败：{report.error_count} 处错误，数据库未修改", returncode=1)


def _run_job(command, opts, user, path: Path) -> None:
    from cityrenew.jobs.choices import JobStatus
    from cityrenew.jobs.models import Job
    from cityrenew.jobs.runner import launch, run_pending

    job = launch("ledgers.import", owner=user, source="cli", ledger_kind=opts["kind"], path=str(path.resolve()),
                 filename=path.name, dry_run=opts["dry_run"])
    if not opts["wait"]:
        command.stdout.write(f"已提交后台任务 #{job.pk}（由 cityrenew worker 执行）")
        return
    run_pending()
    job = Job.objects.get(pk=job.pk)
    summary = job.result_summary or {}
    for line in summary.get("errors", []):
        command.stdout.write(line)
    command.stdout.write(summary.get("text") or job.error or job.get_status_display())
    if job.status != JobStatus.SUCCEEDED:
        raise CommandError(f"后台任务 #{job.pk} 失败：{job.error}", returncode=1)
