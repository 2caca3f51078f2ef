"""Field-level write rules of the ledgers (台账字段级写权限), see :mod:`cityrenew.core.fieldrules`.

A 市级管理员 and a 区级编辑 keep the ledgers of their regions up to date (the region scope itself is
:mod:`cityrenew.core.permissions`: a district editor writes only rows of its districts); a 编号
identifies the row in the departments' own ledgers and is not changed in place; the 演示数据 flag is
set only by ``cityrenew demo``.
"""

from __future__ import annotations

from typing import Any

from cityrenew.core.choices import Role
from cityrenew.core.fieldrules import register, register_audit_scope
from cityrenew.core.permissions import region_ids_for

from .models import LEDGER_MODELS, LedgerImport

NOT_EDITABLE = {"id", "row_version", "created_at", "updated_at", "import_batch", "demo"}
READ_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_EDITOR, Role.VIEWER)


def data_fields(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields if f.name not in NOT_EDITABLE}


def _readable(model):
    def readable(user: Any):
        ids = region_ids_for(user, READ_ROLES)
        return None if ids is None else model.objects.filter(region_id__in=ids)
    return readable


for _model in LEDGER_MODELS.values():
    _fields = data_fields(_model)
    register(
        _model,
        create={Role.CITY_ADMIN: _fields, Role.DISTRICT_EDITOR: _fields},
        update={Role.CITY_ADMIN: _fields - {"code"}, Role.DISTRICT_EDITOR: _fields - {"code"}},
        reasons={"code": "登记后不能修改：编号是该行在部门台账中的标识，如需改号请删除后重新登记",
                 "demo": "只由 cityrenew demo 生成演示数据时设置"},
    )
    register_audit_scope(_model, _readable(_model))

register(LedgerImport, create={}, update={}, reasons={f.name: "由导入程序登记" for f in LedgerImport._meta.concrete_fields})
register_audit_scope(LedgerImport, lambda user: None)
