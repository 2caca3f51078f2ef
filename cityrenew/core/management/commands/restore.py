"""``cityrenew restore FILE`` — restore a ``cityrenew backup`` archive into an empty database."""

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = "从备份文件恢复到空数据库（先执行迁移；全部成功或全部撤销；不写入新的审计记录）"

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="cityrenew backup 生成的备份文件")

    def handle(self, *args, **opts):
        try:
            result = restore_backup(opts["file"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        m = result.manifest
        self.stdout.write(
            f"已恢复：{sum(result.rows.values())}行数据，{len(result.rows)}张表，文件{result.files}个"
            f"（备份于{m['created']}，来源数据库{m['database']['vendor']}，CityRenew {m['versions']['cityrenew'] or '未知版本'}）"
        )
