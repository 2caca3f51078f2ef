"""Field-level write rules of project funding (资金字段级写权限), see :mod:`cityrenew.core.fieldrules`.

A plan line's project, channel and year identify it and are set when it is created; the amounts and the
note change. A tranche's request fields are written once by the requester; its state changes only through
the two reviews (``funding.services.decide``), never by a form or an API write.
"""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import FundingLine, FundingSettings, Tranche, TrancheAttachment, TrancheReview
from .permissions import readable_projects

LINE_NEW = {"project", "channel", "year", "planned", "received", "spent", "note"}
LINE_EDIT = {"planned", "received", "spent", "note"}
FIXED = "登记后不能修改：项目、渠道和年度确定一条资金计划（如需更正，请删除后重新填写）"
BY_REVIEW = "只能通过区级审核、财政审核流程变更"

register(
    FundingSettings,
    create={Role.CITY_ADMIN: {"city", "finance_organisations"}},
    update={Role.CITY_ADMIN: {"finance_organisations"}},
    reasons={"city": FIXED},
)

register(
    FundingLine,
    create={Role.CITY_ADMIN: LINE_NEW, Role.DISTRICT_EDITOR: LINE_NEW},
    update={Role.CITY_ADMIN: LINE_EDIT, Role.DISTRICT_EDITOR: LINE_EDIT},
    reasons={"project": FIXED, "channel": FIXED, "year": FIXED},
)

TRANCHE_NEW = {"project", "channel", "year", "amount", "purpose"}
register(
    Tranche,
    create={Role.CITY_ADMIN: TRANCHE_NEW, Role.DISTRICT_EDITOR: TRANCHE_NEW, Role.ENTITY_EDITOR: TRANCHE_NEW},
    update={},
    reasons={"state": BY_REVIEW, "requested_by": BY_REVIEW,
             **{f: "提交后不能修改：如需变更，请由审核人退回后重新申请" for f in TRANCHE_NEW}},
)


def _lines(user: Any):
    projects = readable_projects(user)
    return None if projects is None else FundingLine.objects.filter(project__in=projects)


def _tranches(user: Any):
    projects = readable_projects(user)
    return None if projects is None else Tranche.objects.filter(project__in=projects)


def _reviews(user: Any):
    projects = readable_projects(user)
    return None if projects is None else TrancheReview.objects.filter(tranche__project__in=projects)


def _attachments(user: Any):
    projects = readable_projects(user)
    return None if projects is None else TrancheAttachment.objects.filter(tranche__project__in=projects)


register_audit_scope(FundingSettings, lambda user: None)
register_audit_scope(FundingLine, _lines)
register_audit_scope(Tranche, _tranches)
register_audit_scope(TrancheReview, _reviews)
register_audit_scope(TrancheAttachment, _attachments)
