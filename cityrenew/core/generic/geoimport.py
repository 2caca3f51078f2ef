"""One page for every import of a geometry layer (GeoPackage / zipped Shapefile / GeoJSON).

:class:`GeoFileImportView` is the generic part: upload → dry run with the report → confirm, the file
kept between the steps under ``CITYRENEW_DATA_DIR/uploads/<upload_kind>/`` by a random token (never a
path from the client), a declared CRS, and — once the file is known — a layer chooser (a GeoPackage
with several layers) and a chooser of the attribute column that matches records (编号 / 名称). A
subclass names the permission, the matching column's label and the function that imports; a layer
with more features than ``CITYRENEW_IMPORT_JOB_ROWS`` runs as a background job when ``job_kind`` is set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views import View

from cityrenew.core.geofiles import (
    CRS_CHOICES,
    FORMATS_TEXT,
    GeoFileError,
    feature_count,
    list_layers,
    readable,
)
from cityrenew.core.uploads import (
    form_upload_error,
    geodata_content_error,
    stash_upload,
    stashed_upload,
)

SUFFIXES = (".gpkg", ".geojson", ".json", ".zip")


class GeoFileImportForm(forms.Form):  # 地理数据导入
    file = forms.FileField(label="地理数据文件", required=False, help_text=FORMATS_TEXT)
    crs = forms.ChoiceField(label="坐标系", choices=CRS_CHOICES, required=False)
    epsg = forms.CharField(label="EPSG 代码", required=False, max_length=40, help_text="坐标系选“其他 EPSG 代码”时填写，如 EPSG:4545")
    layer = forms.ChoiceField(label="图层", required=False, choices=[("", "（文件只有一个图层时可不选）")])
    match_field = forms.ChoiceField(label="匹配字段", required=False, choices=[("", "（自动识别）")])
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    filename = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, match_label: str = "匹配字段", layers: list[str] | None = None,
                 fields: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["match_field"].label = match_label
        if layers:
            self.fields["layer"].choices = [("", "（请选择）")] + [(n, n) for n in layers]
        if fields:
            self.fields["match_field"].choices = [("", "（自动识别）")] + [(n, n) for n in fields]

    def clean_file(self) -> Any:
        f = self.cleaned_data.get("file")
        if f is None:
            return None
        if not (f.name or "").lower().endswith(SUFFIXES):
            raise ValidationError(f"不支持的文件类型“{f.name}”：请上传 {FORMATS_TEXT}")
        if (err := form_upload_error(f, "geodata") or geodata_content_error(f)):
            raise ValidationError(err)
        return f

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("crs") == "epsg" and not (data.get("epsg") or "").strip():
            self.add_error("epsg", "请填写 EPSG 代码，如 EPSG:4545")
        if not data.get("file") and not data.get("token"):
            self.add_error("file", "请选择要导入的文件")
        return data

    def declared_crs(self) -> str | None:
        crs = self.cleaned_data.get("crs") or ""
        if crs == "epsg":
            return self.cleaned_data["epsg"].strip()
        return crs or None


class GeoFileImportView(LoginRequiredMixin, View):
    """Upload (or a kept token) → dry run → confirm; subclasses set the attributes and :meth:`run`."""

    template_name = "generic/geofile_import.html"
    title = "导入地理数据"
    intro = ""
    match_label = "匹配字段"
    upload_kind = "geodata"
    job_kind: str | None = None
    back_url = "/"
    back_label = ""
    form_class = GeoFileImportForm

    def can_import(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def denial(self, request: HttpRequest) -> str:
        raise NotImplementedError

    def run(self, request: HttpRequest, path: Path, options: dict[str, Any], *, dry_run: bool, name: str) -> Any:
        raise NotImplementedError

    def extra_options(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        """Options of a subclass's own form fields, passed to :meth:`run` (and kept by the confirm form)."""
        return {}

    def job_params(self, options: dict[str, Any]) -> dict[str, Any]:
        return options

    def context(self, request: HttpRequest, form: GeoFileImportForm, **extra: Any) -> dict[str, Any]:
        return {"form": form, "title": self.title, "intro": self.intro, "back_url": self.back_url,
                "back_label": self.back_label, **extra}

    def forbidden(self, request: HttpRequest) -> HttpResponse:
        """The Chinese 403 page (as :func:`cityrenew.core.views.forbidden`), naming why."""
        return render(request, "403.html", {"message": self.denial(request), "back_url": self.back_url,
                                            "back_label": self.back_label}, status=403)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.can_import(request):
            return self.forbidden(request)
        return render(request, self.template_name, self.context(request, self.form_class(match_label=self.match_label)))

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.can_import(request):
            return self.forbidden(request)
        form = self.form_class(request.POST, request.FILES, match_label=self.match_label,
                                 layers=[request.POST.get("layer", "")], fields=[request.POST.get("match_field", "")])
        if not form.is_valid():
            return render(request, self.template_name, self.context(request, form), status=400)
        upload = form.cleaned_data.get("file")
        if upload is not None:
            token, path = stash_upload(upload, self.upload_kind)
            name = upload.name
        else:
            token = form.cleaned_data["token"]
            path = stashed_upload(self.upload_kind, token, SUFFIXES)
            name = form.cleaned_data.get("filename") or token
            if path is None:  # never a path from the client
                form.add_error("file", "导入文件已失效，请重新上传")
                return render(request, self.template_name, self.context(request, form), status=400)
        options = {"crs": form.declared_crs(), "layer": form.cleaned_data.get("layer") or None,
                   "match_field": form.cleaned_data.get("match_field") or None, **self.extra_options(form.cleaned_data)}
        dry_run = not request.POST.get("confirm")
        if self.job_kind and self._large(path):
            from cityrenew.jobs.runner import launch
            from cityrenew.jobs.views import launched

            job = launch(self.job_kind, owner=request.user, title=("试导入：" if dry_run else "导入：") + name[:100],
                         source="import", token=token, filename=name, dry_run=dry_run,
                         **self.job_params({k: v or "" for k, v in options.items()}))
            return launched(request, job)
        report = self.run(request, path, options, dry_run=dry_run, name=name)
        if report.ok and not dry_run:
            path.unlink(missing_ok=True)
        layers, fields = self._choices(path, options.get("layer"))
        kept = {k: v for k, v in form.cleaned_data.items() if k != "file"}
        again = self.form_class(match_label=self.match_label, layers=layers, fields=fields,
                                initial={**kept, "token": token, "filename": name})
        return render(request, self.template_name, self.context(
            request, again, report=report, token=token, filename=name, options=form.cleaned_data,
            committed=report.ok and not dry_run), status=200 if report.ok else 400)

    @staticmethod
    def _large(path: Path) -> bool:
        try:
            with readable(path) as p:
                return feature_count(p) > settings.CITYRENEW_IMPORT_JOB_ROWS
        except GeoFileError:
            return False  # the import itself reports why

    @staticmethod
    def _choices(path: Path, layer: str | None) -> tuple[list[str], list[str]]:
        """The file's layers and the chosen (or only) layer's attribute columns, for the choosers."""
        if not path.is_file():
            return [], []
        try:
            layers = list_layers(path)
        except GeoFileError:
            return [], []
        chosen = layer if layer in layers else (layers[0] if len(layers) == 1 else None)
        fields: list[str] = []
        if chosen:
            import pyogrio

            try:
                with readable(path) as p:
                    fields = [str(f) for f in pyogrio.read_info(p, layer=chosen)["fields"]]
            except Exception:  # noqa: BLE001 — a damaged file is reported by the import
                fields = []
        return layers, fields
