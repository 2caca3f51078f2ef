"""Pages of the reference layers (参考图层) on the generic views (:mod:`cityrenew.core.generic`).

* ``/map/reference/`` — the list (every signed-in user), ``?export=xlsx``;
* ``/map/reference/<name>/`` — the layer's fields, a link to it on the one map, its history;
* ``/map/reference/<name>/delete/`` — 市级管理员 only; the features go with the layer (cascade), the
  deletion is audited on the layer;
* ``/map/reference/load/`` — 市级管理员 only: upload a GeoPackage / zipped Shapefile / GeoJSON, or an
  ``.osm.pbf`` with the layers to take; the form checks what it can (:mod:`cityrenew.map.forms`), then
  the ``map.load_layer`` / ``map.load_osm`` job (:mod:`cityrenew.map.jobs`) loads it and the page
  goes to the job's page.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from cityrenew.core.generic import (
    Column,
    ObjectDeleteView,
    ObjectListView,
    ObjectView,
    Table,
)
from cityrenew.core.generic.views import ObjectHistoryView
from cityrenew.core.permissions import is_city_admin
from cityrenew.core.uploads import stash_upload
from cityrenew.core.views import forbidden
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import launched

from .filtersets import ReferenceLayerFilterSet
from .forms import OsmLoadForm, ReferenceLayerLoadForm
from .jobs import UPLOAD_KIND
from .models import ReferenceLayer

ADMIN_ONLY = "只有市级管理员可以载入、替换或删除参考图层"


def map_url(layer: ReferenceLayer) -> str:
    """The one map with this layer switched on (map-page.js reads ``?layer=``)."""
    return layer.get_absolute_url()


def extent_text(layer: ReferenceLayer) -> str:
    if layer.extent is None:
        return ""
    x0, y0, x1, y1 = layer.extent.extent
    return f"经度 {x0:.5f}–{x1:.5f}，纬度 {y0:.5f}–{y1:.5f}（WGS84）"


class ReferenceLayerTable(Table):  # 参考图层
    columns = [
        Column("name", "标识", order_by="name", link=True),
        Column("title", "名称", order_by="title", link=True),
        Column("kind", "类型", order_by=("kind", "name")),
        Column("feature_count", "要素数", order_by="feature_count", css="num"),
        Column("repaired_count", "已修复", order_by="repaired_count", css="num"),
        Column("source_crs", "原始坐标系"),
        Column("source", "来源"),
        Column("licence", "许可"),
        Column("basemap", "用作底图", order_by=("basemap", "name")),
    ]


class ReferenceLayerMixin:
    """Read by every signed-in user; loaded and deleted by a 市级管理员 only; no edit page."""

    queryset = ReferenceLayer.objects.all()
    url_base = "map:reference"
    lookup_field = "name"
    lookup_url_kwarg = "name"

    def object_url(self, obj: models.Model) -> str:  # the detail page, not the map (get_absolute_url)
        return reverse("map:reference_detail", args=[obj.name])

    def can_add(self, request: HttpRequest) -> bool:
        return is_city_admin(request.user)

    def can_edit(self, request: HttpRequest, obj: models.Model) -> bool:
        return False

    def can_delete(self, request: HttpRequest, obj: models.Model) -> bool:
        return is_city_admin(request.user)

    def denial_message(self, action: str, obj: models.Model | None = None) -> str:
        verbs = {"view": "查看", "add": "载入", "edit": "修改", "delete": "删除"}
        target = f"参考图层“{obj}”" if obj is not None else "参考图层"
        return f"无权{verbs.get(action, action)}{target}：{ADMIN_ONLY}"


class ReferenceLayerListView(ReferenceLayerMixin, ObjectListView):
    queryset = ReferenceLayer.objects.defer("extent")
    filterset_class = ReferenceLayerFilterSet
    table_class = ReferenceLayerTable
    export_filename = "参考图层.xlsx"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"load_url": reverse("map:reference_load") if self.can_add(request) else ""}


class ReferenceLayerView(ReferenceLayerMixin, ObjectView):
    detail_fields = ["name", "title", "kind", "feature_count", "repaired_count", "source_crs", "source", "licence", "basemap"]

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        layer = kwargs["object"]
        return {"map_url": map_url(layer), "extent_text": extent_text(layer)}


class ReferenceLayerHistoryView(ReferenceLayerMixin, ObjectHistoryView):
    pass


class ReferenceLayerDeleteView(ReferenceLayerMixin, ObjectDeleteView):
    pass


class ReferenceLayerLoadView(LoginRequiredMixin, View):
    """载入参考图层: a geometry file or an OSM extract, checked here, loaded by a background job."""

    template_name = "map/referencelayer_load.html"

    def denied(self, request: HttpRequest) -> HttpResponse | None:
        if is_city_admin(request.user):
            return None
        return forbidden(request, f"无权载入参考图层：{ADMIN_ONLY}", back_url=reverse("map:reference_list"),
                         back_label="参考图层")

    def render_forms(self, request: HttpRequest, file_form: ReferenceLayerLoadForm, osm_form: OsmLoadForm,
                     status: int = 200) -> HttpResponse:
        return render(request, self.template_name, {"file_form": file_form, "osm_form": osm_form,
                                                    "list_url": reverse("map:reference_list")}, status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        if (denied := self.denied(request)) is not None:
            return denied
        return self.render_forms(request, ReferenceLayerLoadForm(), OsmLoadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if (denied := self.denied(request)) is not None:
            return denied
        if request.POST.get("source") == "osm":
            return self.post_osm(request)
        return self.post_file(request)

    def post_file(self, request: HttpRequest) -> HttpResponse:
        form = ReferenceLayerLoadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            token, path = stash_upload(upload, UPLOAD_KIND)
            if form.check_stashed(path):
                data = form.cleaned_data
                job = launch("map.load_layer", owner=request.user, title=f"载入参考图层：{data['title']}"[:200],
                             token=token, filename=upload.name, layer_name=data["name"], layer_title=data["title"],
                             layer_kind=data["kind"], crs=form.declared_crs(), licence=data.get("licence") or "",
                             basemap=bool(data.get("basemap")), replace=bool(data.get("replace")),
                             anywhere=bool(data.get("anywhere")))
                return launched(request, job)
            path.unlink(missing_ok=True)
        return self.render_forms(request, form, OsmLoadForm(), status=400)

    def post_osm(self, request: HttpRequest) -> HttpResponse:
        form = OsmLoadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_forms(request, ReferenceLayerLoadForm(), form, status=400)
        upload = form.cleaned_data["osm_file"]
        token, _ = stash_upload(upload, UPLOAD_KIND)
        job = launch("map.load_osm", owner=request.user, title=f"载入 OSM 底图数据：{upload.name}"[:200], token=token,
                     filename=upload.name, layers=",".join(form.cleaned_data["layers"]),
                     replace=bool(form.cleaned_data.get("replace")))
        return launched(request, job)
