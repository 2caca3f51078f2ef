"""Field-level write rules of notices (公示字段级写权限), see :mod:`cityrenew.core.fieldrules`.

A notice is written once, at publication, by the district's authority (区级编辑) or a 市级管理员: the
period and the title; its content is frozen from the plan. Comments from the public are not staff
writes (the public form has fixed fields). The authority moderates (status and reason); the
implementing entity's 填报员 writes replies.
"""

from __future__ import annotations

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope
from cityrenew.core.permissions import region_ids_for

from .models import Comment, Notice, Report

AUTHORITY_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_EDITOR)
FROZEN = "公示发布后内容固定，不能修改"

register(
    Notice,
    create={r: {"title", "start_date", "days"} for r in AUTHORITY_ROLES},
    update={},
    reasons={"content": FROZEN, "content_sha256": FROZEN, "end_date": "由公示起始日和公示期按工作日计算",
             "published_at": FROZEN, "document": FROZEN},
)
register(
    Comment,
    create={Role.ENTITY_EDITOR: {"body", "parent"}},
    update={r: {"status", "moderation_reason"} for r in AUTHORITY_ROLES},
    reasons={"contact": "公众填写，不能修改", "name": "公众填写，不能修改"},
)
register(Report, create={}, update={r: {"handled"} for r in AUTHORITY_ROLES})


def _readable(user):
    regions = region_ids_for(user, list(Role.values))
    if regions is None:
        return None
    return Notice.objects.filter(plan__district_id__in=regions).values_list("pk", flat=True)


def _readable_comments(user):
    regions = region_ids_for(user, list(Role.values))
    if regions is None:
        return None
    return Comment.objects.filter(notice__plan__district_id__in=regions).values_list("pk", flat=True)


register_audit_scope(Notice, _readable)
register_audit_scope(Comment, _readable_comments)
