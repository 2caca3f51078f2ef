"""Field-level write rules of the central-fund application and selection (see :mod:`cityrenew.core.fieldrules`).

* 市级管理员 (the city) writes its application, the three conditions, flagship and mechanism items and
  package files while the application is 编制中 (the pages refuse other states);
* the state moves only through the W1 workflow (``workflow.transition``);
* the selection round and its candidates belong to 财政部、住房城乡建设部 (superuser: ``MINISTRY``, a key
  no role holds);
* the province → region table: 市级管理员 (and superuser), audited.
"""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import (
    Application,
    ApplicationFile,
    Candidate,
    EligibilityCondition,
    FlagshipItem,
    MechanismItem,
    ProvinceCapRegion,
    SelectionRound,
)
from .permissions import readable_applications

MINISTRY = "ministry"  # not a Role: only superusers get these fields
BY_WORKFLOW = "只能通过申报流程（推荐、报送、评审、公示）变更"
APP_FIELDS = {"size_class", "key_basin", "old_city_scope", "objectives", "requested_subsidy", "authenticity_commitment"}

register(
    Application,
    create={Role.CITY_ADMIN: APP_FIELDS | {"city", "year"}},
    update={Role.CITY_ADMIN: APP_FIELDS},
    reasons={"state": BY_WORKFLOW, "reason": "由取消资格或不予受理时填写"},
)
register(EligibilityCondition, create={Role.CITY_ADMIN: {"met", "note"}}, update={Role.CITY_ADMIN: {"met", "note"}},
         reasons={"condition": "三项基础条件由系统建立（二、 1.–3.）"})
register(ApplicationFile, create={Role.CITY_ADMIN: {"kind", "medium", "name", "file", "size", "classified_checked"}},
         update={Role.CITY_ADMIN: {"classified_checked"}})
for _m in (FlagshipItem, MechanismItem):
    _fields = {f.name for f in _m._meta.concrete_fields if f.name not in ("id", "row_version", "application")}
    _fields |= {"projects"} if _m is FlagshipItem else set()
    register(_m, create={Role.CITY_ADMIN: _fields}, update={Role.CITY_ADMIN: _fields})
register(SelectionRound, create={MINISTRY: {"year", "places", "written_weight"}},
         update={MINISTRY: {"places", "written_weight", "publicity_end"}},
         reasons={"stage": "只能通过遴选流程变更"})
register(Candidate, create={MINISTRY: {"city", "province", "written_score"}}, update={MINISTRY: {"defence_score", "reason"}},
         reasons={"status": "只能通过遴选流程变更", "combined_score": "由书面评审和现场答辩得分计算"})
register(ProvinceCapRegion, create={}, update={Role.CITY_ADMIN: {"region", "basis"}},
         reasons={"province": "省份由默认表建立"})


def _apps(user: Any):
    return readable_applications(user)


def _everyone(user: Any) -> None:
    return None


for _m, _scope in ((Application, lambda u: _apps(u)),
                   (EligibilityCondition, lambda u: EligibilityCondition.objects.filter(application__in=_apps(u))),
                   (ApplicationFile, lambda u: ApplicationFile.objects.filter(application__in=_apps(u))),
                   (FlagshipItem, lambda u: FlagshipItem.objects.filter(application__in=_apps(u))),
                   (MechanismItem, lambda u: MechanismItem.objects.filter(application__in=_apps(u))),
                   (SelectionRound, _everyone), (Candidate, _everyone), (ProvinceCapRegion, _everyone)):
    register_audit_scope(_m, _scope)
