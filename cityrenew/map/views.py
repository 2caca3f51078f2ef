"""The one map's endpoints (一张图): the page, the layer list, GeoJSON layers, vector tiles, search and export.

Every endpoint is for signed-in users. A layer the user may not read answers 404, and the records of
every response are ``layer.filtered(request)``: the layer's queryset (scoped by the same read rules as
the records' own pages) with the map's filters (``district``, ``year``, ``status``, ``category``,
``run``, ``indicator``) from the query string.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from cityrenew.core.geofiles import city_bounds as boundaries_extent
from cityrenew.core.regions import default_city
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import confirm_launch, launched

from . import exports, registry, tiles
from .basemap import BASEMAP_GROUP, basemap_config
from .features import feature_collection, iter_features
from .registry import MVT, Layer

SEARCH_LIMIT = 10  # results per layer


def bad_request(message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=400, json_dumps_params={"ensure_ascii": False})


def readable_layer(request: HttpRequest, name: str) -> Layer:
    layer = registry.get(name)
    if layer is None or not layer.can_read(request):
        raise Http404("图层不存在或无权查看")
    return layer


def layer_url(layer: Layer) -> str:
    if layer.kind == MVT:
        return reverse("map:page") + f"tiles/{layer.name}/{{z}}/{{x}}/{{y}}.mvt"
    return reverse("map:layer", kwargs={"name": layer.name})


def layer_entry(request: HttpRequest, layer: Layer) -> dict[str, Any]:
    filters = []
    for name in layer.filters:
        options = layer.filter_options.get(name)
        filters.append({
            "name": name,
            "label": registry.FILTERS.get(name, name),
            "options": [[str(v), str(label)] for v, label in options(request)] if options else [],
        })
    return {
        "name": layer.name,
        "title": str(layer.title),
        "group": str(layer.group),
        "kind": layer.kind,
        "url": layer_url(layer),
        "geometry": layer.geometry,
        "style": layer.style,
        "legend": layer.legend,
        "popup": [[prop, str(label)] for prop, label in layer.popup],
        "filters": filters,
        "minzoom": layer.minzoom,
        "visible": layer.visible,
        "citation": str(layer.citation),
        "source_layer": layer.name,
    }


def city_bounds() -> list[float] | None:
    """[west, south, east, north] of the default city: its boundary, or the extent of the boundaries
    below it, or a box around its centre."""
    city = default_city()
    if city is None:
        return None
    if city.boundary is not None:
        return [round(v, 6) for v in city.boundary.extent]
    ext = boundaries_extent(city, margin=0)
    if ext:
        return [round(v, 6) for v in ext]
    if city.centroid_lon is not None and city.centroid_lat is not None:
        return [city.centroid_lon - 0.3, city.centroid_lat - 0.25, city.centroid_lon + 0.3, city.centroid_lat + 0.25]
    return None


class MapPageView(LoginRequiredMixin, TemplateView):
    """The one map page (一张图); the page's script reads ``layers_url``."""

    template_name = "map/page.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "layers_url": reverse("map:layers"), "basemap": basemap_config()}


class LayersView(LoginRequiredMixin, View):
    """``/map/layers.json``: the layers this user may read, the base map and the city's bounds."""

    def get(self, request: HttpRequest) -> JsonResponse:
        layers = [layer_entry(request, l) for l in registry.all_layers() if l.can_read(request)]
        layers.sort(key=lambda e: e["group"] != BASEMAP_GROUP)  # base-map layers first (drawn below)
        data = {"layers": layers, "basemap": basemap_config(), "bounds": city_bounds()}
        response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
        response["Cache-Control"] = "private, no-cache"
        return response


class LayerGeoJSONView(LoginRequiredMixin, View):
    """``/map/layers/<name>.geojson``: the layer's filtered records as one FeatureCollection (``bbox=w,s,e,n``
    narrows them to a box; a vector-tile layer needs one)."""

    def get(self, request: HttpRequest, name: str) -> HttpResponse:
        layer = readable_layer(request, name)
        try:
            qs = layer.filtered(request)
            bbox = exports.parse_bbox(request.GET.get("bbox") or "")
        except ValueError as exc:
            return bad_request(str(exc))
        if bbox is not None:
            qs = exports.in_box(qs, layer, bbox)
        if layer.kind == MVT:  # a tiled layer may hold a city's buildings: GeoJSON only for a box of it
            if bbox is None:
                return bad_request(f"图层“{layer.title}”以矢量切片提供（{layer_url(layer)}）；"
                                   "如需 GeoJSON，请用 bbox=西,南,东,北 指定范围")
            n = qs.order_by().count()
            if n > settings.CITYRENEW_EXPORT_JOB_ROWS:
                return bad_request(f"范围内有 {n} 个要素，超过 {settings.CITYRENEW_EXPORT_JOB_ROWS} 个：请缩小范围，或使用导出")
        response = JsonResponse(feature_collection(layer, qs), json_dumps_params={"ensure_ascii": False})
        response["Content-Type"] = "application/geo+json"
        response["Cache-Control"] = "private, no-cache"
        return response


class TileView(LoginRequiredMixin, View):
    """``/map/tiles/<name>/<z>/<x>/<y>.mvt``: one Mapbox vector tile of the layer's filtered records."""

    def get(self, request: HttpRequest, name: str, z: int, x: int, y: int) -> HttpResponse:
        layer = readable_layer(request, name)
        try:
            tiles.check_tile(z, x, y)
            qs = layer.filtered(request)
        except ValueError as exc:
            return bad_request(str(exc))
        data = tiles.tile(layer, qs, z, x, y)
        response = HttpResponse(data, content_type=tiles.MVT_MIME, status=200 if data else 204)
        response["Cache-Control"] = f"private, max-age={tiles.TILE_MAX_AGE}"
        response["Vary"] = "Cookie"
        return response


class SearchView(LoginRequiredMixin, View):
    """``/map/search.json?q=``: records of the readable layers whose name or code contains ``q``."""

    def get(self, request: HttpRequest) -> JsonResponse:
        q = (request.GET.get("q") or "").strip()
        results: list[dict[str, Any]] = []
        if q:
            for layer in registry.all_layers():
                if not layer.search or not layer.can_read(request):
                    continue
                cond = Q()
                for f in layer.search:
                    cond |= Q(**{f"{f}__icontains": q})
                try:
                    base = layer.queryset(request)
                except ValueError:  # a layer that cannot read this query string (an unknown run) has no hits
                    continue
                qs = base.filter(cond).filter(**{f"{layer.geom_field}__isnull": False})
                ids = list(qs.order_by("pk").values_list("pk", flat=True)[:SEARCH_LIMIT])
                for pk, props, geom in iter_features(layer, base.filter(pk__in=ids)):
                    results.append({
                        "layer": layer.name, "layer_title": str(layer.title), "id": pk,
                        "name": props.get("name", ""), "code": props.get("code", ""), "url": props.get("url", ""),
                        "bbox": [round(v, 6) for v in geom.extent],
                    })
        return JsonResponse({"q": q, "results": results}, json_dumps_params={"ensure_ascii": False})


class ExportView(LoginRequiredMixin, View):
    """``/map/export?layers=a,b&bbox=w,s,e,n&format=geojson|gpkg|xlsx&<filters>``: the current view as a file;
    more than ``CITYRENEW_EXPORT_JOB_ROWS`` features by a background job (confirmed, then posted)."""

    def _plan(self, request: HttpRequest) -> exports.ExportPlan:
        try:
            return exports.plan(request)
        except LookupError as exc:
            raise Http404(str(exc)) from None

    def get(self, request: HttpRequest) -> HttpResponse:
        try:
            plan = self._plan(request)
            n = plan.count()
        except exports.ExportError as exc:
            return bad_request(str(exc))
        if n > settings.CITYRENEW_EXPORT_JOB_ROWS:
            return confirm_launch(
                request, title="导出一张图",
                text=f"所选图层在当前范围内共 {n} 个要素，将由后台任务生成文件，完成后在任务页下载。",
                back_url=reverse("map:page"))
        try:
            path, _ = exports.export_to_temp(plan)
        except exports.ExportError as exc:
            return bad_request(str(exc))
        handle = open(path, "rb")  # noqa: SIM115 — FileResponse closes it when the response is sent
        path.unlink()  # the open handle keeps the data until the response is sent (POSIX)
        _, mime, _ = exports.FORMATS[plan.format]
        return FileResponse(handle, as_attachment=True, filename=plan.filename, content_type=mime)

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            self._plan(request)
        except exports.ExportError as exc:
            return bad_request(str(exc))
        job = launch("map.export", owner=request.user, query=request.GET.urlencode())
        return launched(request, job)
