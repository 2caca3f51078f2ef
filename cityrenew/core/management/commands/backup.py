"""``cityrenew backup --out FILE`` — the database and the data directory in one archive (.tar.gz)."""

from django.core.management.base import BaseCommand, CommandError

from cityrenew.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "备份数据库（全部数据表）和数据目录（上传文件、佐证材料、报告）到一个归档文件"

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, metavar="FILE", help="备份文件路径，如 cityrenew-备份.tar.gz（不会覆盖已有文件）")

    def handle(self, *args, **opts):
        try:
            result = create_backup(opts["out"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"已备份：{result.path}（{sum(result.rows.values())}行数据，{len(result.rows)}张表，"
            f"文件{result.files}个，{result.bytes / 1e6:.1f} MB）"
        )
