"""REST API of the ledgers: ``/api/ledgers/<kind>/`` read and write, through the same region scope and
field rules as the pages (a 区级编辑 writes only rows of its districts; 403 with a Chinese reason)."""

from __future__ import annotations

from django.db import transaction
from rest_framework import viewsets
from rest_framework.exceptions import PermissionDenied

from cityrenew.core.concurrency import RowVersionViewSetMixin
from cityrenew.core.permissions import can_edit_regions

from ..choices import LedgerKind
from ..filtersets import FILTERSETS
from ..models import LEDGER_MODELS
from .serializers import ledger_serializer


class LedgerViewSet(RowVersionViewSetMixin, viewsets.ModelViewSet):
    kind = ""
    search_fields = ["code", "name", "address"]
    ordering_fields = ["code", "name", "status"]

    def _deny(self, region, obj=None) -> None:
        label = dict(LedgerKind.choices)[self.kind]
        what = f"{label}“{obj}”" if obj is not None else f"{label}台账"
        raise PermissionDenied(f"无权修改{what}（所在区域：{region}）：超出您的授权区划范围。")

    def perform_create(self, serializer):
        region = serializer.validated_data.get("region")
        if region is None or not can_edit_regions(self.request.user, [region.pk]):
            self._deny(region)
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer):
        obj = serializer.instance
        if not can_edit_regions(self.request.user, [obj.region_id]):
            self._deny(obj.region, obj)
        region = serializer.validated_data.get("region")
        if region is not None and not can_edit_regions(self.request.user, [region.pk]):
            self._deny(region, obj)
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance):
        if not can_edit_regions(self.request.user, [instance.region_id]):
            self._deny(instance.region, instance)
        instance.delete()


def viewset(kind: str) -> type[LedgerViewSet]:
    model = LEDGER_MODELS[kind]
    label = dict(LedgerKind.choices)[kind]
    return type(f"{model.__name__}ViewSet", (LedgerViewSet,), {
        "kind": kind, "queryset": model.objects.select_related("region").order_by("code"),
        "serializer_class": ledger_serializer(kind), "filterset_class": FILTERSETS[kind],
        "__doc__": f"{label}台账：可按关键词、区域、状态等筛选；修改、删除仅限所在区域在本人编辑范围内的用户。"
                   "读取单条时返回 ETag（row_version），修改时带 If-Match 或 row_version 防止覆盖他人的修改。",
    })
