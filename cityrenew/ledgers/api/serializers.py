"""Serializers of the ledgers' API: every model field, choice labels, the location as GeoJSON (WGS84)."""

from __future__ import annotations

from rest_framework import serializers

from cityrenew.core.api.serializers import ChoiceLabelField
from cityrenew.core.fieldrules import FieldRulesSerializerMixin
from cityrenew.core.permissions import can_edit_regions

from ..models import LEDGER_MODELS

READ_ONLY = ["id", "row_version", "demo", "import_batch", "created_at", "updated_at"]


class LedgerSerializer(FieldRulesSerializerMixin, serializers.ModelSerializer):
    region_name = serializers.CharField(source="region.display_name", read_only=True)
    status_display = ChoiceLabelField(source="status")
    can_edit = serializers.SerializerMethodField(help_text="当前用户能否修改")

    def get_can_edit(self, obj) -> bool:
        request = self.context.get("request")
        return bool(request) and can_edit_regions(request.user, [obj.region_id])


def ledger_serializer(kind: str) -> type[LedgerSerializer]:
    model = LEDGER_MODELS[kind]
    extra = {}
    for f in model._meta.concrete_fields:
        if f.choices and f.name != "status":
            extra[f"{f.name}_display"] = ChoiceLabelField(source=f.name)
    meta = type("Meta", (), {"model": model, "fields": "__all__", "read_only_fields": READ_ONLY})
    return type(f"{model.__name__}Serializer", (LedgerSerializer,), {"Meta": meta, **extra})
