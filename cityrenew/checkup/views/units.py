"""Pages of the check-up's assessment units (体检单元) and the engine's results on a run.

* ``units/`` — list with filters (type, region incl. its descendants, parent, keyword), counts by type;
* ``units/<pk>/`` — detail: fields, attributes, parent/children, a small map of its geometry (blank
  MapLibre style, GeoJSON only), problems recorded on it, change history;
* ``units/import/`` — Excel or geodata (GeoPackage, GeoJSON, zipped Shapefile) with a CRS choice:
  first a dry run (the import inside a transaction that is rolled back), then confirm with the same
  file, stashed under ``CITYRENEW_DATA_DIR/uploads/unit-imports/`` (:mod:`cityrenew.core.uploads`);
* ``units/template.xlsx`` — the Excel template with the columns the importer reads;
* ``runs/<pk>/engine/`` — upload the engine's ``summary.json`` and attach its values to a run.

The import rules live in :mod:`cityrenew.checkup.services.units`; these views only choose the file
reader, the CRS and who may import.
"""

from __future__ import annotations

import json
from typing import Any

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View
from openpyxl import Workbook

from cityrenew.core.geo import to_geojson
from cityrenew.core.choices import RegionLevel, Role
from cityrenew.core.filtersets import FilterSet
from cityrenew.core.generic import Column, ObjectListView, ObjectView, Table
from cityrenew.core.models import Region, RoleAssignment
from cityrenew.core.regions import regions_not_loaded
from cityrenew.core.uploads import form_upload_error, stash_upload, stashed_upload
from cityrenew.core.xlsx import write_table, xlsx_response
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import launched

from .. import services
from ..choices import DIMENSION_SOURCE, UnitKind
from ..forms import cities
from ..models import AssessmentUnit, FieldProblem
from ..services.units import run_unit_import
from .common import PAGE_SIZE, _run, forbidden, region_label

UPLOAD_KIND = "unit-imports"
EXCEL_SUFFIXES = (".xlsx",)
GEODATA_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip")
TEMPLATE_HEADERS = ["编码", "名称", "类型", "所在区划", "上级单元", "经度", "纬度", "建成年代", "户数", "人口"]
TEMPLATE_EXAMPLE = ["", "伏牛路小区", "小区", "伏牛路社区", "绿东村街区", 113.6205, 34.7552, 1992, 420, 1180]
CRS_CHOICES = [("auto", "自动识别"), ("wgs84", "WGS84（EPSG:4326）"), ("cgcs2000", "CGCS2000（EPSG:4490）"),
               ("gcj02", "GCJ-02（高德/腾讯）"), ("epsg", "EPSG 代码")]


# --- who may import ----------------------------------------------------------------------------


def can_import_units(user: Any, city: Region) -> bool:
    """City admin of ``city``, or a district editor inside it (whose rows must lie in its district)."""
    if services.can_manage_city(user, city):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    paths = RoleAssignment.objects.filter(user=user, role=Role.DISTRICT_EDITOR).values_list("region__path", flat=True)
    return any(p.startswith(city.path) for p in paths)


# --- list and detail ---------------------------------------------------------------------------


class UnitFilterSet(FilterSet):  # 体检单元筛选
    kind = django_filters.ChoiceFilter(label="类型", choices=UnitKind.choices, empty_label="全部类型")
    region = django_filters.ModelChoiceFilter(label="所在区划", queryset=Region.objects.none(), method="filter_region",
                                              empty_label="全部区划")
    parent = django_filters.NumberFilter(label="上级单元", method="filter_parent", widget=forms.HiddenInput)
    q = django_filters.CharFilter(label="关键词", method="filter_q")

    class Meta:
        model = AssessmentUnit
        fields = ("kind",)

    def __init__(self, *args: Any, city: Region | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.STREET])
        if city is not None:
            regions = regions.filter(path__startswith=city.path)
        self.filters["region"].queryset = regions.order_by("path")
        self.filters["region"].field.label_from_instance = lambda r: ("　" if r.level == RegionLevel.STREET else "") + r.display_name

    def filter_region(self, qs, name, value):
        return qs.filter(region__path__startswith=value.path) if value else qs

    def filter_parent(self, qs, name, value):
        return qs.filter(parent_id=int(value)) if value is not None else qs

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(name__icontains=value) | Q(code__icontains=value))


def default_city() -> Region | None:
    return cities().first()


class UnitTable(Table):  # 体检单元
    columns = [
        Column("code", "编码", order_by="code"),
        Column("name", "名称", order_by="name", link=True),
        Column("kind", "类型", order_by=("kind", "code")),
        Column("region_text", "所在区划"),
        Column("parent", "上级单元", accessor="parent.name"),
        Column("n_problems", "现场问题", order_by="n_problems", css="num"),
    ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.labels: dict[int, str] = {}  # region id → “中原区 · 绿东村街道”, computed once per region

    def value(self, obj: AssessmentUnit, column: Column) -> Any:
        if column.name == "region_text":
            return region_label(obj.region, self.labels)
        return super().value(obj, column)


class UnitListView(ObjectListView):
    """Units of the default city: filters, counts by type, pagination, ``?export=xlsx``."""

    queryset = AssessmentUnit.objects.select_related("region", "parent")
    filterset_class = UnitFilterSet
    table_class = UnitTable
    paginate_by = PAGE_SIZE
    template_name = "checkup/unit_list.html"
    url_base = "checkup:unit"
    export_filename = "体检单元.xlsx"

    def get_queryset(self, request: HttpRequest):
        self.city = city = default_city()  # read once per request: the filters and counts use it too
        base = self.queryset.annotate(n_problems=Count("problems"))
        return (base.filter(city=city) if city is not None else base).order_by("kind", "code")

    def filter_queryset(self, request: HttpRequest, qs):
        fs = UnitFilterSet(request.GET, queryset=qs, city=self.city)
        return fs, fs.qs

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        city = self.city
        page = kwargs["page"]
        # counts by type under the other filters, so each type's count is what clicking it shows
        others = request.GET.copy()
        others.pop("kind", None)
        by_kind = dict(
            UnitFilterSet(others, queryset=AssessmentUnit.objects.filter(city=city) if city else AssessmentUnit.objects.all(),
                          city=city).qs.order_by().values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
        )
        labels: dict[int, str] = {}
        for u in page.object_list:
            u.region_text = region_label(u.region, labels)
        kind_query = others.copy()
        kind_query.pop("page", None)
        parent_pk = request.GET.get("parent", "")
        return {
            "city": city, "total": page.paginator.count,
            "kind_query": kind_query.urlencode(), "active_kind": request.GET.get("kind", ""),
            "kind_counts": [{"key": k, "label": label, "n": by_kind.get(k, 0)} for k, label in UnitKind.choices],
            "parent": AssessmentUnit.objects.filter(pk=int(parent_pk)).first() if parent_pk.isdigit() else None,
            "can_import": city is not None and can_import_units(request.user, city),
            "dimension_source": DIMENSION_SOURCE,
        }


class UnitDetailView(ObjectView):
    """Fields, attributes, parent/children, a small map, the problems recorded on it, its history."""

    queryset = AssessmentUnit.objects.select_related("city", "region", "parent")
    template_name = "checkup/unit_detail.html"
    url_base = "checkup:unit"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        unit = kwargs["object"]
        children = unit.children.select_related("region").order_by("kind", "code")
        geometry = to_geojson(unit.geometry)
        if not geometry and unit.centroid_lon is not None and unit.centroid_lat is not None:
            geometry = {"type": "Point", "coordinates": [unit.centroid_lon, unit.centroid_lat]}
        problems = (FieldProblem.objects.filter(unit=unit)
                    .select_related("run__city", "indicator", "sub_problem").order_by("-run__year", "indicator__number", "id"))
        return {
            "unit": unit, "chain": list(reversed(unit.ancestors())), "region_text": region_label(unit.region),
            "children": children[:200], "n_children": children.count(), "problems": problems,
            "attributes": sorted(unit.attributes.items()) if isinstance(unit.attributes, dict) else [],
            "feature": {"type": "Feature", "geometry": geometry, "properties": {"name": unit.name}} if geometry else None,
            "can_import": can_import_units(request.user, unit.city),
        }


class UnitTemplateView(LoginRequiredMixin, View):
    """The Excel template: the columns the importer reads, an example row and the rules."""

    def get(self, request: HttpRequest) -> HttpResponse:
        wb = Workbook()
        ws = wb.active
        ws.title = "体检单元"
        write_table(ws, TEMPLATE_HEADERS, [TEMPLATE_EXAMPLE], widths=[14, 22, 12, 16, 16, 12, 12, 10, 8, 8])
        notes = wb.create_sheet("填写说明")
        write_table(notes, ["列", "说明"], [
            ("编码", "可留空，系统按区划和类型自动编号；填写后按编码匹配已有单元（重复导入不会重复新增）"),
            ("名称", "必填"),
            ("类型", "住房（楼栋）、小区、社区、街区或城区"),
            ("所在区划", "区县、街道或社区名称，如 中原区、绿东村街道、伏牛路社区"),
            ("上级单元", "上级体检单元的编码或名称（已有的，或本文件前面几行中的）"),
            ("经度/纬度", "中心点坐标；坐标系在导入页面选择（WGS84、CGCS2000 或 GCJ-02），保存为 WGS84"),
            ("其他列", "建成年代、户数、人口等作为单元属性保存"),
        ], widths=[14, 80])
        return xlsx_response(wb, "体检单元导入模板.xlsx")


# --- import ------------------------------------------------------------------------------------


class UnitImportForm(forms.Form):  # 体检单元导入
    city = forms.ModelChoiceField(label="城市", queryset=Region.objects.none(), empty_label=None)
    file = forms.FileField(
        label="文件（Excel .xlsx，或 .gpkg / .geojson / Shapefile 压缩包 .zip）",
        error_messages={"required": "请选择要导入的文件", "empty": "上传的文件是空的"},
    )
    crs = forms.ChoiceField(label="坐标系", choices=CRS_CHOICES, initial="auto",
                            help_text="自动识别：地理数据读取文件自带的坐标系（.prj 等），Excel 按 WGS84")
    epsg = forms.CharField(label="EPSG 代码", required=False, max_length=32, help_text="坐标系选“EPSG 代码”时填写，如 EPSG:4547")
    kind = forms.ChoiceField(label="默认类型（地理数据）", required=False, choices=[("", "—")] + list(UnitKind.choices),
                             help_text="要素没有“类型”字段时使用")
    region = forms.CharField(label="默认所在区划（地理数据）", required=False, max_length=100,
                             help_text="要素没有“所在区划”字段时使用，如 中原区")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = cities()
        self.fields["city"].label_from_instance = lambda r: r.display_name

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = (f.name or "").lower()
        if not name.endswith(EXCEL_SUFFIXES + GEODATA_SUFFIXES):
            raise forms.ValidationError(f"不支持的文件类型“{f.name}”：请上传 .xlsx、.gpkg、.geojson 或 Shapefile 压缩包（.zip）")
        if (err := form_upload_error(f, "table" if name.endswith(EXCEL_SUFFIXES) else "geodata")):
            raise forms.ValidationError(err)
        return f

    def clean(self):
        data = super().clean()
        if data.get("crs") == "epsg" and not (data.get("epsg") or "").strip():
            self.add_error("epsg", "坐标系选择了“EPSG 代码”，请填写代码，如 EPSG:4547")
        return data


def options_of(data: dict[str, Any]) -> dict[str, str]:
    """The import options as plain text (carried by the confirm form)."""
    city = data.get("city")
    return {"city": str(city.pk) if isinstance(city, Region) else str(city or ""), "crs": data.get("crs") or "auto",
            "epsg": (data.get("epsg") or "").strip(), "kind": data.get("kind") or "", "region": (data.get("region") or "").strip()}


class UnitImportView(LoginRequiredMixin, View):
    """Step 1: upload → dry run with the row-by-row report. Step 2: confirm → the same file, committed."""

    template_name = "checkup/unit_import.html"
    denial = "只有本市的市级管理员或区级编辑可以导入体检单元。"

    def _deny(self, request: HttpRequest, city: Region | None) -> HttpResponse | None:
        if city is None and (missing := regions_not_loaded()):
            return forbidden(request, missing)
        if city is None or not can_import_units(request.user, city):
            return forbidden(request, self.denial)
        return None

    def get(self, request: HttpRequest) -> HttpResponse:
        city = default_city()
        if (denied := self._deny(request, city)) is not None:
            return denied
        return render(request, self.template_name, {"form": UnitImportForm(initial={"city": city})})

    def post(self, request: HttpRequest) -> HttpResponse:
        if request.POST.get("confirm"):
            return self.commit(request)
        form = UnitImportForm(request.POST, request.FILES)
        if not form.is_valid():
            if (denied := self._deny(request, form.cleaned_data.get("city") or default_city())) is not None:
                return denied
            return render(request, self.template_name, {"form": form}, status=400)
        city = form.cleaned_data["city"]
        if (denied := self._deny(request, city)) is not None:
            return denied
        upload = form.cleaned_data["file"]
        token, path = stash_upload(upload, UPLOAD_KIND)
        options = options_of(form.cleaned_data)
        report = run_unit_import(path, city, options, request.user, dry_run=True)
        if not report.ok:
            path.unlink(missing_ok=True)
        return render(request, self.template_name, {
            "form": form, "report": report, "token": token if report.ok else "", "filename": upload.name,
            "options": options, "city": city,
        }, status=200 if report.ok else 400)

    def commit(self, request: HttpRequest) -> HttpResponse:
        city = Region.objects.filter(pk=int(c)).first() if (c := request.POST.get("city", "")).isdigit() else None
        if (denied := self._deny(request, city)) is not None:
            return denied
        options = options_of({k: request.POST.get(k, "") for k in ("crs", "epsg", "kind", "region")} | {"city": city})
        path = stashed_upload(UPLOAD_KIND, request.POST.get("token", ""), EXCEL_SUFFIXES + GEODATA_SUFFIXES)
        if path is None:
            messages.error(request, "导入文件已失效，请重新上传")
            return redirect("checkup:unit_import")
        report = run_unit_import(path, city, options, request.user, dry_run=False)
        ctx = {"form": UnitImportForm(initial={"city": city, **{k: v for k, v in options.items() if k != "city"}}),
               "report": report, "options": options, "city": city, "filename": request.POST.get("filename", "")}
        if not report.ok:
            return render(request, self.template_name, ctx, status=400)
        path.unlink(missing_ok=True)
        messages.success(request, report.summary_text())
        return render(request, self.template_name, ctx | {"committed": True})


# --- engine results on a run ---------------------------------------------------------------------


class EngineSummaryForm(forms.Form):  # 空间计算结果（summary.json）
    file = forms.FileField(label="空间计算结果 summary.json",
                           error_messages={"required": "请选择 summary.json 文件", "empty": "上传的文件是空的"})


def read_engine_summary(upload: Any) -> tuple[dict[str, Any] | None, str]:
    """The parsed summary, or None and a Chinese reason."""
    if (err := form_upload_error(upload, "json")):
        return None, err
    try:
        data = json.loads(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, f"文件“{upload.name}”不是 UTF-8 编码的 JSON 文本"
    except json.JSONDecodeError as exc:
        return None, f"文件“{upload.name}”不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"
    if not isinstance(data, dict) or not isinstance(data.get("checkup_values"), list):
        return None, (f"文件“{upload.name}”中没有 checkup_values 列表，不是空间引擎的结果；"
                      "请上传 cityrenew engine coverage … --out 目录下的 summary.json")
    bad = [i + 1 for i, e in enumerate(data["checkup_values"]) if not isinstance(e, dict) or not e.get("code")]
    if bad:
        return None, f"checkup_values 第 {'、'.join(map(str, bad[:10]))} 项缺少指标编码（code）"
    return data, ""


class RunEngineView(LoginRequiredMixin, View):
    """Attach the engine's ``summary.json`` to a run (city admin): the file is checked here, the values
    are attached by a background job whose page lists attached and skipped codes."""

    template_name = "checkup/run_engine.html"

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        run = _run(pk)
        if not services.can_manage_city(request.user, run.city):
            return forbidden(request, "只有市级管理员可以导入空间计算结果。")
        form = EngineSummaryForm(request.POST, request.FILES)
        error = ""
        if form.is_valid():
            summary, error = read_engine_summary(form.cleaned_data["file"])
        else:
            error = "；".join(e for errs in form.errors.values() for e in errs)
        if error:
            return render(request, self.template_name, {"run": run, "error": error, "form": form}, status=400)
        filename = form.cleaned_data["file"].name
        job = launch("checkup.engine", owner=request.user, title=f"导入空间计算结果：{run.city.display_name}{run.year}年",
                     run=run.pk, summary=summary, filename=filename)
        return launched(request, job)
