"""``cityrenew policies import FILE --key KEY --title TITLE [--number 文号] [--issuer …] [--level …] [--issued …]``

Imports a city's own document (.txt, .docx, or a .pdf with a text layer) with the same structure
parser as the seeds; exits 1 with a Chinese message and nothing saved when the file cannot be used.
"""

from __future__ import annotations

from django.core.management.base import CommandError

from cityrenew.core.management import user_of

NAME = "import"
HELP = "导入本地政策文件（.txt、.docx、带文字层的 .pdf）"


def add_arguments(parser) -> None:
    from cityrenew.policies.models import Level, Status

    parser.add_argument("file", help="文件路径（.txt、.docx 或 .pdf）")
    parser.add_argument("--key", required=True, help="编码（规则引用此编码），如 ZZ-2025-12")
    parser.add_argument("--title", required=True, help="文件标题")
    parser.add_argument("--number", default="", help="文号，如 郑政〔2025〕12号")
    parser.add_argument("--issuer", default="", help="发文机关")
    parser.add_argument("--level", default="city", choices=Level.values, help="层级（默认 city）")
    parser.add_argument("--region", default="", help="适用地区，如 郑州市")
    parser.add_argument("--issued", default="", help="发布日期 YYYY-MM-DD")
    parser.add_argument("--effective", default="", help="施行日期 YYYY-MM-DD")
    parser.add_argument("--expires", default="", help="有效期至 YYYY-MM-DD")
    parser.add_argument("--status", default="in_force", choices=Status.values, help="效力状态（默认 in_force）")
    parser.add_argument("--structure", default="", choices=["", "articles", "outline", "table", "paragraphs"],
                        help="文本结构（默认按编号自动识别）")
    parser.add_argument("--replace", action="store_true", help="编码已存在时用新文件替换")
    parser.add_argument("--user", help="以该用户身份导入（记入审计日志）")


def handle(command, opts) -> None:
    from cityrenew.policies.ingest import PolicyImportError, import_document

    user = user_of(opts)
    meta = {k: opts.get(k) for k in ("key", "title", "number", "issuer", "level", "region", "issued", "effective",
                                     "expires", "status", "structure")}
    try:
        doc = import_document(opts["file"], meta, user, replace=opts["replace"])
    except PolicyImportError as exc:
        raise CommandError(f"导入失败：{exc}（数据库未修改）", returncode=1) from None
    masked = getattr(doc, "masked", {})
    line = f"已导入{doc}：{doc.articles.count()} 条（{doc.get_structure_display()}）"
    if masked:
        from collections import Counter

        from cityrenew.policies.text import masked_summary

        line += f"；已脱敏 {masked_summary(Counter(masked))}"
    command.stdout.write(command.style.SUCCESS(line))
