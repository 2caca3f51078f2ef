"""Pages of the ledgers (台账): an index, and per ledger type list / detail (with history) / create /
edit / delete on the generic object views, Excel import (dry run → confirm; large files as a
background job), the import templates and the xlsx export of the filtered list (generic ``?export=xlsx``).

Writes ask the region scope of :mod:`cityrenew.core.permissions` (the row's 所在区域) and the field
rules of :mod:`cityrenew.ledgers.fieldrules`: a 区级编辑 writes only its own districts' rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from cityrenew.core.generic.geoimport import GeoFileImportView
from cityrenew.core.generic import Column, ObjectDeleteView, ObjectEditView, ObjectHistoryView, ObjectListView, ObjectView, Table
from cityrenew.core.permissions import can_edit_any
from cityrenew.core.uploads import stash_upload, stashed_upload
from cityrenew.core.views import forbidden
from cityrenew.core.xlsx import xlsx_response
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import launched

from .choices import (
    BUILDING_LEDGERS_SOURCE,
    BUILDING_SOURCE,
    COMMUNITY_SOURCE,
    DANGEROUS_SOURCE,
    EQUIPMENT_SOURCE,
    RENOVATION_SOURCE,
    LedgerKind,
)
from .exports import export_filename, ledger_workbook
from .filtersets import FILTERSETS
from .forms import ImportForm, ledger_form
from .geometry import import_ledger_geometry
from .importer import import_ledger
from .jobs import IMPORT_SUFFIXES, UPLOAD_KIND
from .models import LEDGER_MODELS, LedgerImport
from .templates import template_filename, template_workbook

KIND_LABELS = dict(LedgerKind.choices)
SOURCES = {LedgerKind.EQUIPMENT: [EQUIPMENT_SOURCE], LedgerKind.BUILDING: [BUILDING_SOURCE, BUILDING_LEDGERS_SOURCE],
           LedgerKind.COMMUNITY: [COMMUNITY_SOURCE, RENOVATION_SOURCE], LedgerKind.DANGEROUS_HOUSING: [DANGEROUS_SOURCE]}
COMMON_TAIL = [Column("region", "所在区域", order_by="region__code"), Column("status", "状态", order_by="status")]

TABLE_COLUMNS: dict[str, list[Column]] = {
    LedgerKind.EQUIPMENT: [
        Column("code", "编号", order_by="code", link=True), Column("category", "设备类别", order_by="category"),
        Column("name", "名称"), Column("material", "材质"), Column("commissioned", "投用日期", order_by="commissioned"),
        Column("length_km", "长度（公里）", order_by="length_km", css="num"),
        Column("capacity_tph", "额定蒸发量（蒸吨/小时）", order_by="capacity_tph", css="num"),
        Column("efficiency_grade", "能效等级"), Column("emission_ok", "排放达标"), Column("hazard", "安全隐患"),
        Column("inspection", "检验结论"), *COMMON_TAIL],
    LedgerKind.COMMUNITY: [
        Column("code", "编号", order_by="code", link=True), Column("name", "名称", order_by="name", link=True),
        Column("built_year", "建成年份", order_by="built_year"), Column("households", "户数", order_by="households", css="num"),
        Column("buildings", "楼栋数", css="num"), Column("ownership", "产权类型"),
        Column("willingness_pct", "居民改造意愿（%）", order_by="willingness_pct", css="num"),
        Column("implementing_body", "实施主体"), *COMMON_TAIL],
    LedgerKind.DANGEROUS_HOUSING: [
        Column("code", "编号", order_by="code", link=True), Column("name", "名称", link=True),
        Column("grade", "危险性等级", order_by="grade"), Column("land_type", "土地性质"), Column("method", "改造方式"),
        Column("heritage", "涉及保护对象"), Column("households", "户数", css="num"), *COMMON_TAIL],
    LedgerKind.BUILDING: [
        Column("code", "编号", order_by="code", link=True), Column("name", "名称", order_by="name", link=True),
        Column("function", "主要功能"), Column("built_year", "建成年份", order_by="built_year"),
        Column("seismic_retrofitted", "已抗震鉴定加固"), Column("other_safety_retrofitted", "其他安全隐患已鉴定加固"),
        Column("energy_retrofitted", "已节能改造"), Column("energy_ratio_prev2", "用能占约束值比例（前年，%）", css="num"),
        Column("energy_ratio_prev1", "用能占约束值比例（上年，%）", css="num"), *COMMON_TAIL],
}


def demo_count(model) -> int:
    return model.objects.filter(demo=True).count()


class LedgerIndexView(LoginRequiredMixin, View):
    """台账: the four ledgers with their row counts per status, templates and import links."""

    def get(self, request: HttpRequest) -> HttpResponse:
        rows = []
        for kind, label in LedgerKind.choices:
            model = LEDGER_MODELS[kind]
            rows.append({"kind": kind, "label": label, "count": model.objects.count(), "url": reverse(f"ledgers:{kind}_list"),
                         "sources": SOURCES[kind], "demo": demo_count(model)})
        return render(request, "ledgers/index.html", {
            "ledgers": rows, "can_import": can_edit_any(request.user), "demo_rows": sum(r["demo"] for r in rows),
            "imports": LedgerImport.objects.all()[:10],
        })


class _LedgerMixin:
    kind = ""

    @property
    def url_base(self) -> str:  # type: ignore[override]
        return f"ledgers:{self.kind}"

    @property
    def queryset(self):  # type: ignore[override]
        return LEDGER_MODELS[self.kind].objects.select_related("region")

    def get_queryset(self, request: HttpRequest):
        return LEDGER_MODELS[self.kind].objects.select_related("region")

    def denial_message(self, action: str, obj: Any = None) -> str:
        verbs = {"view": "查看", "add": "新建", "edit": "修改", "delete": "删除"}
        target = f"{KIND_LABELS[self.kind]}“{obj}”" if obj is not None else f"{KIND_LABELS[self.kind]}台账"
        where = f"（所在区域：{obj.region}）" if obj is not None else ""
        return f"无权{verbs.get(action, action)}{target}{where}：超出您的授权区划范围。"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"kind": self.kind, "kind_label": KIND_LABELS[self.kind], "sources": SOURCES[self.kind],
                "import_url": reverse("ledgers:import", args=[self.kind]),
                "geometry_import_url": reverse(f"ledgers:{self.kind}_import_geometry"),
                "template_url": reverse("ledgers:template", args=[self.kind])}


class LedgerListView(_LedgerMixin, ObjectListView):
    template_name = "ledgers/ledger_list.html"

    def get_table_id(self) -> str:
        return f"{self.kind}-table"

    @property
    def filterset_class(self):  # type: ignore[override]
        return FILTERSETS[self.kind]

    @property
    def table_class(self):  # type: ignore[override]
        return type(f"{self.kind}Table", (Table,), {"columns": TABLE_COLUMNS[self.kind]})

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return super().get_extra_context(request, **kwargs) | {"demo_rows": demo_count(LEDGER_MODELS[self.kind])}

    def export(self, request: HttpRequest, qs, table) -> HttpResponse:
        """The filtered rows in the import template's columns (re-importable), formula-like text neutralised."""
        return xlsx_response(ledger_workbook(self.kind, qs), export_filename(self.kind))


class LedgerDetailView(_LedgerMixin, ObjectView):
    template_name = "ledgers/ledger_detail.html"
    always_shown = {"code", "name", "region", "status", "category"}

    def field_rows(self, obj: Any) -> list[tuple[str, str]]:
        """The row's fields except the location (shown below) and, for equipment, the empty columns
        of other categories (a boiler has no pipe diameter)."""
        from cityrenew.core.generic.tables import as_text, resolve

        rows = []
        for f in obj._meta.concrete_fields:
            if f.primary_key or not f.editable or f.name in ("row_version", "location"):
                continue
            text = as_text(resolve(obj, f.name))
            if text or f.name in self.always_shown or self.kind != LedgerKind.EQUIPMENT:
                rows.append((str(f.verbose_name), text))
        return rows

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        obj = kwargs["object"]
        batch = LedgerImport.objects.filter(pk=obj.import_batch_id).first() if obj.import_batch_id else None
        return super().get_extra_context(request, **kwargs) | {"import_batch": batch}


class LedgerEditView(_LedgerMixin, ObjectEditView):
    @property
    def form_class(self):  # type: ignore[override]
        return ledger_form(self.kind)
    # the form offers only the user's editable regions, so a row cannot be moved out of its scope


class LedgerDeleteView(_LedgerMixin, ObjectDeleteView):
    pass


class LedgerHistoryView(_LedgerMixin, ObjectHistoryView):
    pass


class TemplateDownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        if kind not in LEDGER_MODELS:
            raise Http404("未知的台账类型")
        return xlsx_response(template_workbook(kind), template_filename(kind))


class LedgerImportView(LoginRequiredMixin, View):
    """Step 1: upload → dry run with the row-by-row report; step 2: confirm → the same file, written.
    Files above ``CITYRENEW_IMPORT_JOB_ROWS`` rows go to the ``ledgers.import`` background job."""

    template_name = "ledgers/import.html"

    def _check(self, request: HttpRequest, kind: str) -> HttpResponse | None:
        if kind not in LEDGER_MODELS:
            raise Http404("未知的台账类型")
        if not can_edit_any(request.user):
            return forbidden(request, "无权导入台账：只读用户不能修改台账。", back_url=reverse("ledgers:index"), back_label="返回台账")
        return None

    def context(self, kind: str, **extra: Any) -> dict[str, Any]:
        return {"kind": kind, "kind_label": KIND_LABELS[kind], "template_url": reverse("ledgers:template", args=[kind]),
                "list_url": reverse(f"ledgers:{kind}_list"), **extra}

    def get(self, request: HttpRequest, kind: str) -> HttpResponse:
        if (denied := self._check(request, kind)) is not None:
            return denied
        return render(request, self.template_name, self.context(kind, form=ImportForm()))

    @staticmethod
    def as_job(path: Path) -> bool:
        from cityrenew.core.tabular import estimate_rows

        rows = estimate_rows(path)
        return rows is None or rows > settings.CITYRENEW_IMPORT_JOB_ROWS

    def post(self, request: HttpRequest, kind: str) -> HttpResponse:
        if (denied := self._check(request, kind)) is not None:
            return denied
        if request.POST.get("confirm"):
            token = request.POST.get("token", "")
            path = stashed_upload(UPLOAD_KIND, token, IMPORT_SUFFIXES)
            filename = request.POST.get("filename", "")[:200] or token
            dry_run = False
        else:
            form = ImportForm(request.POST, request.FILES)
            if not form.is_valid():
                return render(request, self.template_name, self.context(kind, form=form), status=400)
            upload = form.cleaned_data["file"]
            token, path = stash_upload(upload, UPLOAD_KIND)
            filename, dry_run = upload.name, form.cleaned_data["dry_run"]
        if path is None:
            messages.error(request, "导入文件已失效，请重新上传")
            return redirect("ledgers:import", kind)
        if self.as_job(path):
            job = launch("ledgers.import", owner=request.user, source="import", ledger_kind=kind, token=token,
                         filename=filename, dry_run=dry_run,
                         title=("试导入" if dry_run else "导入") + f"{KIND_LABELS[kind]}台账：{filename}")
            return launched(request, job)
        report = import_ledger(path, kind, user=request.user, dry_run=dry_run, name=filename)
        if report.ok and not dry_run:
            Path(path).unlink(missing_ok=True)
            messages.success(request, report.headline())
        return render(request, self.template_name, self.context(
            kind, form=ImportForm(), report=report, token=token, filename=filename, committed=report.ok and not dry_run,
        ), status=200 if report.ok else 400)


class LedgerGeometryImportView(GeoFileImportView):
    """台账位置导入: a GeoPackage / zipped Shapefile / GeoJSON layer matched by 编号 (:mod:`.geometry`)."""

    kind = ""
    match_label = "编号字段"
    upload_kind = "ledger-geometry"
    back_label = "台账"

    @property
    def title(self) -> str:  # type: ignore[override]
        return f"导入{KIND_LABELS[self.kind]}位置（GeoPackage / Shapefile / GeoJSON）"

    @property
    def intro(self) -> str:  # type: ignore[override]
        return ("按编号把图层中的点、线（管道走向）或面（小区、楼宇范围）写入台账；台账中没有的编号、超出您授权区划的行都会列出，"
                "有任何错误则不写入；自相交的面自动修复并计数；图层落在本市范围之外时整份拒绝。")

    @property
    def back_url(self) -> str:  # type: ignore[override]
        return reverse(f"ledgers:{self.kind}_list")

    def can_import(self, request: HttpRequest) -> bool:
        return can_edit_any(request.user)

    def denial(self, request: HttpRequest) -> str:
        return "无权导入台账位置：只读用户不能修改台账。"

    def run(self, request: HttpRequest, path: Path, options: dict[str, Any], *, dry_run: bool, name: str):
        return import_ledger_geometry(path, self.kind, code_field=options["match_field"], crs=options["crs"],
                                      layer=options["layer"], user=request.user, dry_run=dry_run, name=name)
