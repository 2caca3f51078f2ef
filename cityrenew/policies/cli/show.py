"""``cityrenew policies show DOC_NUMBER ARTICLE`` — print an article's text (CLI contract).

DOC_NUMBER is the 文号 (财办建〔2025〕11号; spaces and bracket style ignored) or the document key when it
has none; ARTICLE is its reference: 第十二条, 第12条, 12, 二、（三）, 二（三）. An unknown document or
article exits with code 2 and a Chinese message.
"""

from __future__ import annotations

from django.core.management.base import CommandError

NAME = "show"
HELP = "显示一条条文的正文"


def add_arguments(parser) -> None:
    parser.add_argument("document", help="文号（如 财办建〔2025〕11号），无文号的文件用编码")
    parser.add_argument("article", help="条款：第十二条、第12条、12、二、（三）、二（三）")


def handle(command, opts) -> None:
    from cityrenew.policies.lookup import NotFound, find_article, find_document

    try:
        doc = find_document(opts["document"])
        article = find_article(doc, opts["article"])
    except NotFound as e:
        raise CommandError(str(e), returncode=2) from e
    number = f"（{doc.number}）" if doc.number else ""
    command.stdout.write(f"《{doc.title}》{number} {article.ref} {article.heading}".rstrip())
    command.stdout.write(article.text)
