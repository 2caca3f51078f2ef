"""Write rules of the policy library: a 市级管理员 keeps each document's standing up to date (效力状态,
dates, 替代关系, note); the text and the identity of a document (编码, 标题, 文号, 发文机关, 条文) come
from the document itself — the manifest or an imported file — and are never edited by hand.
Every signed-in user reads the documents and their change history."""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import PolicyDocument

META_FIELDS = frozenset({"status", "issued", "effective", "expires", "replaces", "note"})
FROM_TEXT = "来自政策文件原文（文件清单或导入的文件），不能在页面上修改"


def _everyone(user: Any) -> None:
    return None


register_audit_scope(PolicyDocument, _everyone)
register(
    PolicyDocument,
    create={},  # documents come from the manifest (cityrenew policies ingest) or the import page
    update={Role.CITY_ADMIN: META_FIELDS},
    reasons={name: FROM_TEXT for name in ("key", "title", "number", "issuer", "level", "region", "structure",
                                          "excerpt", "source", "line_start", "line_end", "url", "order")},
)
