"""Spatial questions over the REST API (``/api/map/…``), answered in the database by :mod:`.spatial`.

* ``GET /api/map/region-at/?lon=&lat=[&level=district|street|community][&zones=1]`` — the region a point falls in;
* ``GET /api/map/near/?layer=&lon=&lat=&radius=`` (or ``&record=<id>`` instead of lon/lat: near a record of the
  same layer) — records of a map layer within ``radius`` metres, nearest first, with the layer's filters;
* ``GET /api/map/inside/?project=<id or code>`` — check-up units and field problems inside a project's area.

The records are those the user may read: the layer's queryset, as on ``/map/layers/<name>.geojson``.
"""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cityrenew.core.choices import RegionLevel

from . import registry, spatial
from .features import iter_features

MAX_RADIUS_M = 50_000  # a "what lies near" question is local; a city-wide one is a layer download
MAX_RESULTS = 500


def _float(request: Request, name: str, label: str) -> float:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        raise ValidationError({name: f"请提供{label}"})
    try:
        return float(raw)
    except ValueError:
        raise ValidationError({name: f"{label}应为数字（收到“{raw}”）"}) from None


def _point(request: Request):
    try:
        return spatial.as_point((_float(request, "lon", "经度"), _float(request, "lat", "纬度")))
    except spatial.SpatialError as exc:
        raise ValidationError({"lon": str(exc)}) from None


def region_json(region: Any) -> dict[str, Any] | None:
    if region is None:
        return None
    return {"id": region.pk, "code": region.code, "name": region.name, "display_name": region.display_name,
            "level": region.level, "kind": region.kind, "url": region.get_absolute_url()}


REGION = inline_serializer("MapRegion", {
    "id": serializers.IntegerField(), "code": serializers.CharField(), "name": serializers.CharField(),
    "display_name": serializers.CharField(), "level": serializers.CharField(), "kind": serializers.CharField(),
    "url": serializers.CharField(),
})


class RegionAtView(APIView):
    """坐标所在区划：边界包含该点的区县（或街道、社区）；开发区与行政区重叠时默认返回行政区。"""

    @extend_schema(
        parameters=[
            OpenApiParameter("lon", float, required=True, description="经度（WGS84）"),
            OpenApiParameter("lat", float, required=True, description="纬度（WGS84）"),
            OpenApiParameter("level", str, enum=[RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY]),
            OpenApiParameter("zones", bool, description="为 1 时优先返回开发区（功能区）"),
        ],
        responses=inline_serializer("MapRegionAt", {"region": REGION}),
    )
    def get(self, request: Request) -> Response:
        point = _point(request)
        level = request.query_params.get("level") or RegionLevel.DISTRICT
        if level not in (RegionLevel.DISTRICT, RegionLevel.STREET, RegionLevel.COMMUNITY):
            raise ValidationError({"level": "层级应为 district（区县）、street（街道）或 community（社区）"})
        zones = request.query_params.get("zones") in ("1", "true", "yes")
        return Response({"region": region_json(spatial.region_at(point, level, zones=zones))})


class NearView(APIView):
    """一定距离内的记录：某图层中距一点（或该图层某条记录）不超过 radius 米的记录，由近及远。"""

    @extend_schema(
        parameters=[
            OpenApiParameter("layer", str, required=True, description="图层标识，见 /map/layers.json"),
            OpenApiParameter("radius", float, required=True, description=f"距离（米，0–{MAX_RADIUS_M}）"),
            OpenApiParameter("lon", float, description="经度（WGS84）"),
            OpenApiParameter("lat", float, description="纬度（WGS84）"),
            OpenApiParameter("record", int, description="以该图层的这条记录（id）为中心，代替经纬度"),
        ],
        responses=inline_serializer("MapNear", {
            "layer": serializers.CharField(), "radius": serializers.FloatField(), "count": serializers.IntegerField(),
            "results": serializers.ListField(child=serializers.DictField()),
        }),
    )
    def get(self, request: Request) -> Response:
        name = request.query_params.get("layer") or ""
        layer = registry.get(name)
        if layer is None or not layer.can_read(request):
            raise NotFound(f"图层“{name}”不存在或无权查看")
        radius = _float(request, "radius", "距离（米）")
        if not 0 <= radius <= MAX_RADIUS_M:
            raise ValidationError({"radius": f"距离应在 0–{MAX_RADIUS_M} 米之间"})
        try:
            qs = layer.filtered(request._request)
        except ValueError as exc:
            raise ValidationError({"filter": str(exc)}) from None
        record = request.query_params.get("record")
        if record:
            if not record.isdigit():
                raise ValidationError({"record": "记录 id 应为整数"})
            centre = qs.filter(pk=int(record)).prefetch_related(None).values_list(layer.geom_field, flat=True).first()
            if centre is None:
                raise NotFound(f"图层“{layer.title}”中没有可查看且有位置的记录 {record}")
            qs = qs.exclude(pk=int(record))
        else:
            centre = _point(request)
        try:
            rows = list(spatial.within(qs.prefetch_related(None).only("pk"), layer.geom_field, centre, radius)[:MAX_RESULTS])
        except spatial.SpatialError as exc:
            raise ValidationError({"radius": str(exc)}) from None
        distances = {r.pk: round(spatial.distance_m(r), 1) for r in rows}
        features = {pk: props for pk, props, _ in iter_features(layer, qs.filter(pk__in=list(distances)), geometry=False)}
        results = [{"id": pk, "distance_m": d, "name": features.get(pk, {}).get("name", ""),
                    "url": features.get(pk, {}).get("url", ""), "properties": features.get(pk, {})}
                   for pk, d in distances.items()]
        return Response({"layer": layer.name, "radius": radius, "count": len(results), "results": results})


class InsideView(APIView):
    """项目范围内的体检单元和现场问题（项目位置须为面）。"""

    @extend_schema(
        parameters=[OpenApiParameter("project", str, required=True, description="项目 id 或项目编号"),
                    OpenApiParameter("run", int, description="只列该次体检的现场问题")],
        responses=inline_serializer("MapInside", {
            "project": serializers.CharField(), "units": serializers.ListField(child=serializers.DictField()),
            "problems": serializers.ListField(child=serializers.DictField()),
        }),
    )
    def get(self, request: Request) -> Response:
        from cityrenew.projects.models import RenewalProject

        value = (request.query_params.get("project") or "").strip()
        if not value:
            raise ValidationError({"project": "请提供项目 id 或项目编号"})
        project = RenewalProject.objects.filter(code=value).first()
        if project is None and value.isdigit():
            project = RenewalProject.objects.filter(pk=int(value)).first()
        if project is None:
            raise NotFound(f"项目“{value}”不存在")
        try:
            found = spatial.inside(project)
        except spatial.SpatialError as exc:
            raise ValidationError({"project": str(exc)}) from None
        run = request.query_params.get("run") or ""
        if run:
            if not run.isdigit():
                raise ValidationError({"run": "体检 id 应为整数"})
            found["problems"] = found["problems"].filter(run_id=int(run))
        units = [{"id": u.pk, "code": u.code, "name": u.name, "kind": u.kind, "kind_label": u.get_kind_display(),
                  "url": reverse("checkup:unit_detail", args=[u.pk])} for u in found["units"]]
        problems = [{"id": p.pk, "run": p.run_id, "unit": p.unit.name, "indicator": p.indicator.name,
                     "severity": p.severity, "severity_label": p.get_severity_display(),
                     "status": p.status, "status_label": p.get_status_display(), "url": p.get_absolute_url()}
                    for p in found["problems"].select_related("unit", "indicator")]
        return Response({"project": project.code, "units": units, "problems": problems})


urlpatterns = [
    path("map/region-at/", RegionAtView.as_view(), name="api-map-region-at"),
    path("map/near/", NearView.as_view(), name="api-map-near"),
    path("map/inside/", InsideView.as_view(), name="api-map-inside"),
]
