"""Write rules of the reports (进度报告): no field is written through a form or the API; every change goes
through :mod:`cityrenew.reports.services` (generate, submit, return, accept), which asks the city and
province scopes. The audit entries of a report are read by whoever reads the report."""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope

from .models import ProgressReport
from .services import readable_cities

TEXT_FIELDS = {"progress", "problems", "practices"}  # 工作进展、存在问题、经验做法: the city's own words
register(ProgressReport, create={}, update={Role.CITY_ADMIN: TEXT_FIELDS},
         reasons={f.name: "由报送流程写入（生成、报送、退回、接收）" for f in ProgressReport._meta.concrete_fields
                  if f.name not in TEXT_FIELDS})


def readable_reports(user: Any):
    if getattr(user, "is_superuser", False):
        return None
    return ProgressReport.objects.filter(city__in=[c.pk for c in readable_cities(user)])


register_audit_scope(ProgressReport, readable_reports)
