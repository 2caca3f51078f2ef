"""Field-level write rules of the performance app (绩效字段级写权限), see :mod:`cityrenew.core.fieldrules`.

A city's target tables, their rows and the yearly evaluation are written by the city (市级管理员); the filing
fields (状态、扫描件、备案时间/人) change only through the 盖章备案 action, the actual value's recorder and time only
through 填报实际值. A residents' evaluation (效果共评) is written by whoever edits its district (区级编辑 too).
Audit entries are readable by whoever may read the record (:mod:`.scope`).
"""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import Evaluation, Evidence, Indicator, Period, ResidentEvaluation, Result, TargetTable
from .scope import readable

BY_FILING = "只能通过“盖章备案”操作变更"
BY_ACTUAL = "由“填报实际值”自动记录"

TABLE = {"city", "project", "kind", "year", "title", "note"}
register(TargetTable, create={Role.CITY_ADMIN: TABLE}, update={Role.CITY_ADMIN: TABLE},
         reasons={"state": BY_FILING, "sealed_scan": BY_FILING, "filed_at": BY_FILING, "filed_by": BY_FILING})
register(Result, create={Role.CITY_ADMIN: {"table", "title", "description", "order"}},
         update={Role.CITY_ADMIN: {"title", "description", "order"}}, reasons={"table": "绩效目标不能移到另一张目标表"})
register(Indicator, create={Role.CITY_ADMIN: {"result", "name", "unit", "direction", "order", "note"}},
         update={Role.CITY_ADMIN: {"result", "name", "unit", "direction", "order", "note"}})
register(Period, create={Role.CITY_ADMIN: {"indicator", "year", "baseline", "target"}},
         update={Role.CITY_ADMIN: {"baseline", "target", "actual", "actual_note"}},
         reasons={"actual_by": BY_ACTUAL, "actual_at": BY_ACTUAL, "indicator": "年度值不能移到另一个指标",
                  "year": "年度值的年度不能修改"})
EVALUATION = {"city", "year", "evaluator", "score", "grade", "conclusion", "evaluated_on"}
register(Evaluation, create={Role.CITY_ADMIN: EVALUATION}, update={Role.CITY_ADMIN: EVALUATION})
RESIDENT = {"region", "community", "project", "year", "held_on", "respondents", "satisfied", "basically_satisfied",
            "dissatisfied", "comments", "response"}
register(ResidentEvaluation, create={Role.CITY_ADMIN: RESIDENT, Role.DISTRICT_EDITOR: RESIDENT},
         update={Role.CITY_ADMIN: RESIDENT, Role.DISTRICT_EDITOR: RESIDENT})
register(Evidence, create={Role.CITY_ADMIN: {"file", "description"}, Role.DISTRICT_EDITOR: {"file", "description"}},
         update={Role.CITY_ADMIN: {"description"}, Role.DISTRICT_EDITOR: {"description"}},
         reasons={"uploaded_by": "由上传操作自动记录"})


def _tables(user: Any) -> Any:
    return readable(user, TargetTable.objects.all(), "city")


register_audit_scope(TargetTable, lambda user: _tables(user) if not user.is_superuser else None)
register_audit_scope(Result, lambda user: None if user.is_superuser else Result.objects.filter(table__in=_tables(user)))
register_audit_scope(Indicator, lambda user: None if user.is_superuser
                     else Indicator.objects.filter(result__table__in=_tables(user)))
register_audit_scope(Period, lambda user: None if user.is_superuser
                     else Period.objects.filter(indicator__result__table__in=_tables(user)))
register_audit_scope(Evaluation, lambda user: None if user.is_superuser else readable(user, Evaluation.objects.all(), "city"))
register_audit_scope(ResidentEvaluation, lambda user: None if user.is_superuser
                     else readable(user, ResidentEvaluation.objects.all(), "region"))
register_audit_scope(Evidence, lambda user: None if user.is_superuser else Evidence.objects.filter(
    period__indicator__result__table__in=_tables(user)) | Evidence.objects.filter(
    evaluation__in=readable(user, Evaluation.objects.all(), "city")) | Evidence.objects.filter(
    resident_evaluation__in=readable(user, ResidentEvaluation.objects.all(), "region")))
