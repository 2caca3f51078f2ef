"""Field-level write rules of the joint review (联合审查字段级写权限), see :mod:`cityrenew.core.fieldrules`.

* the city's matrix and due period: 市级管理员;
* which organisation reviews for a matrix department in a district: 市级管理员, or 区级编辑 in its district
  (region scope checked by the views);
* an opinion (意见, 条件, 理由): 部门审核员 / 部门填报员 of the record's organisation (checked by
  ``services.give_opinion``); everything else on a record is copied from the matrix or set by the system;
* rounds open and close only with the plan's workflow.

A department user reads the audit entries of its own organisations' records only.
"""

from __future__ import annotations

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import (
    OpinionAttachment,
    ReviewDepartment,
    ReviewRecord,
    ReviewRound,
    ReviewSettings,
)

FROM_MATRIX = "由审查矩阵生成，不能修改"
BY_WORKFLOW = "随实施方案的联审流程自动变更"
SYSTEM_SET = "由系统记录，不能填写"
OPINION = {"opinion", "conditions", "reasons"}

register(
    ReviewSettings,
    create={Role.CITY_ADMIN: {"city", "matrix_toml", "due_workdays"}},
    update={Role.CITY_ADMIN: {"matrix_toml", "due_workdays"}},
)

register(
    ReviewDepartment,
    create={Role.CITY_ADMIN: {"district", "key", "organisation"}, Role.DISTRICT_EDITOR: {"district", "key", "organisation"}},
    update={Role.CITY_ADMIN: {"organisation"}, Role.DISTRICT_EDITOR: {"organisation"}},
    reasons={"district": "已建立的对应关系不能改到其他区，请删除后新建", "key": "已建立的对应关系不能改为其他矩阵部门，请删除后新建"},
)

register(
    ReviewRecord,
    create={},
    update={Role.DEPT_REVIEWER: OPINION, Role.DEPT_EDITOR: OPINION},
    reasons={**{n: FROM_MATRIX for n in ("item_key", "item_title", "points", "department_key", "department_name",
                                         "document", "article", "clause", "quote", "condition")},
             "organisation": "由本区联审部门对应关系确定", "due_date": "由本市审查时限计算",
             "answered_by": SYSTEM_SET, "answered_at": SYSTEM_SET},
)

register(
    ReviewRound,
    create={},
    update={},
    reasons={n: BY_WORKFLOW for n in ("status", "closed_at", "number", "matrix_version", "matrix_source")}
    | {"opinion_file": "通过联合审查时自动生成", "opinion_sha256": SYSTEM_SET},
)

register(
    OpinionAttachment,
    create={Role.DEPT_REVIEWER: {"record", "file", "description"}, Role.DEPT_EDITOR: {"record", "file", "description"}},
    update={},
)


def _records(user):
    from .services import visible_records

    return visible_records(user)


def _rounds(user):
    from .services import visible_rounds

    return visible_rounds(user)


def _attachments(user):
    return OpinionAttachment.objects.filter(record__in=_records(user))


register_audit_scope(ReviewRecord, _records)
register_audit_scope(ReviewRound, _rounds)
register_audit_scope(OpinionAttachment, _attachments)
register_audit_scope(ReviewDepartment, lambda user: None)
register_audit_scope(ReviewSettings, lambda user: None)
