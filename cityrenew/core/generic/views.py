"""Generic object pages, parameterised by model (after NetBox's generic views).

A model's pages cost a queryset, a filterset, a :class:`~cityrenew.core.generic.tables.Table` and a
form — not new view code:

* :class:`ObjectListView` — queryset + django-filter filterset + table (labels, sorting) +
  pagination + HTMX refresh of the table alone + ``?export=xlsx`` of the whole filtered list;
* :class:`ObjectView` — the detail page with the object's change history (审计日志);
* :class:`ObjectEditView` — create/edit: the form is built with ``instance=obj, user=request.user``
  (so field rules can disable what the user may not write), extra formsets saved in the same
  transaction, and optimistic concurrency (a stale save is refused with what changed since, the
  user's input kept);
* :class:`ObjectDeleteView` — confirmation, then an audited delete;
* :class:`ObjectHistoryView` — the whole change history, paginated.

One permission hook per action — :meth:`~BaseObjectView.can_view`, :meth:`~BaseObjectView.can_add`,
:meth:`~BaseObjectView.can_edit`, :meth:`~BaseObjectView.can_delete` — by default the region scope of
:mod:`cityrenew.core.permissions` (the object's ``region_ids()``, else its ``region``/``city``).
Templates are found by the model's app and name (``projects/renewalproject_list.html``), falling
back to ``generic/object_list.html``, ``object.html``, ``object_edit.html``, ``object_delete.html``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db import models, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views import View
from openpyxl import Workbook

from cityrenew.core import permissions
from cityrenew.core.audit import display_entries
from cityrenew.core.concurrency import StaleObjectError, add_version_field, current_version, refresh_version, stale_message
from cityrenew.core.views import forbidden as core_forbidden
from cityrenew.core.xlsx import write_table, xlsx_response

from .tables import Table

STALE_STATUS = 409


def object_region_ids(obj: Any) -> list[int]:
    """The regions an object belongs to: ``obj.region_ids()``, else its ``region``, else its ``city``."""
    if hasattr(obj, "region_ids"):
        return list(obj.region_ids())
    for attname in ("region_id", "city_id"):
        value = getattr(obj, attname, None)
        if value is not None:
            return [value]
    return []


class BaseObjectView(LoginRequiredMixin, View):
    """What every generic page shares: the queryset, the permission hooks, templates, the 403 page."""

    queryset: models.QuerySet | None = None
    template_name: str | None = None
    template_suffix = ""  # "_list", "", "_edit", "_delete"
    generic_template = ""
    lookup_field = "pk"
    lookup_url_kwarg = "pk"
    url_base: str | None = None  # URL names are url_base + "_list"/"_add"/"_detail"/"_edit"/"_delete"; default "<app_label>:<model_name>"
    list_url_name: str | None = None  # when the list's name does not follow url_base

    # --- model and objects -------------------------------------------------------------------------

    @property
    def model(self) -> type[models.Model]:
        assert self.queryset is not None, f"{type(self).__name__}.queryset is not set"
        return self.queryset.model

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        assert self.queryset is not None, f"{type(self).__name__}.queryset is not set"
        return self.queryset.all()

    def get_object(self, request: HttpRequest, **kwargs: Any) -> models.Model:
        return get_object_or_404(self.get_queryset(request), **{self.lookup_field: kwargs[self.lookup_url_kwarg]})

    def url_name(self, suffix: str) -> str:
        meta = self.model._meta
        return f"{self.url_base or f'{meta.app_label}:{meta.model_name}'}_{suffix}"

    def get_list_url(self) -> str:
        try:
            return reverse(self.list_url_name or self.url_name("list"))
        except NoReverseMatch:
            return "/"

    def url_or_empty(self, suffix: str, *args: Any) -> str:
        try:
            return reverse(self.url_name(suffix), args=args)
        except NoReverseMatch:
            return ""

    def object_url(self, obj: models.Model) -> str:
        """The object's page: ``get_absolute_url()``, else the ``_detail`` URL of :attr:`url_base`."""
        get_url = getattr(obj, "get_absolute_url", None)
        if get_url is not None:
            try:
                return get_url()
            except NoReverseMatch:
                pass
        return self.url_or_empty("detail", getattr(obj, self.lookup_field))

    # --- permissions: one hook per action ----------------------------------------------------------

    def can_view(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return request.user.is_authenticated

    def can_add(self, request: HttpRequest) -> bool:
        return permissions.can_edit_any(request.user)

    def can_edit(self, request: HttpRequest, obj: models.Model) -> bool:
        return permissions.can_edit_regions(request.user, object_region_ids(obj))

    def can_delete(self, request: HttpRequest, obj: models.Model) -> bool:
        return self.can_edit(request, obj)

    def denial_message(self, action: str, obj: models.Model | None = None) -> str:
        name = self.model._meta.verbose_name
        verbs = {"view": "查看", "add": "新建", "edit": "修改", "delete": "删除"}
        target = f"{name}“{obj}”" if obj is not None else str(name)
        return f"无权{verbs.get(action, action)}{target}：超出您的授权区划范围。"

    def forbidden(self, request: HttpRequest, message: str) -> HttpResponse:
        return core_forbidden(request, message, back_url=self.get_list_url(), back_label="返回列表")

    # --- templates and context ---------------------------------------------------------------------

    def get_template_names(self) -> list[str]:
        if self.template_name:
            return [self.template_name]
        meta = self.model._meta
        return [f"{meta.app_label}/{meta.model_name}{self.template_suffix}.html", self.generic_template]

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        """Page-specific context (counts, citations…): override per model."""
        return {}

    def base_context(self) -> dict[str, Any]:
        meta = self.model._meta
        return {"model": self.model, "verbose_name": meta.verbose_name, "verbose_name_plural": meta.verbose_name_plural,
                "list_url": self.get_list_url()}


class ObjectListView(BaseObjectView):
    """Queryset + filterset + table + pagination + HTMX table refresh + xlsx export of the filtered list."""

    filterset_class: type | None = None
    table_class: type[Table] = Table
    paginate_by = 50
    template_suffix = "_list"
    generic_template = "generic/object_list.html"
    partial_template_name: str | None = None  # the table alone, for HTMX
    table_id: str | None = None  # HTML id of the table block; default "<model_name>-table"
    export_filename: str | None = None  # default "<verbose_name_plural>.xlsx"

    def get_table_id(self) -> str:
        return self.table_id or f"{self.model._meta.model_name}-table"

    def get_partial_template_names(self) -> list[str]:
        meta = self.model._meta
        return [self.partial_template_name or f"{meta.app_label}/_{meta.model_name}_table.html", "generic/_object_table.html"]

    def filter_queryset(self, request: HttpRequest, qs: models.QuerySet) -> tuple[Any, models.QuerySet]:
        if self.filterset_class is None:
            return None, qs
        fs = self.filterset_class(request.GET, queryset=qs, request=request)
        return fs, fs.qs

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        if not self.can_view(request):
            return self.forbidden(request, self.denial_message("view"))
        self.kwargs = kwargs
        fs, qs = self.filter_queryset(request, self.get_queryset(request))
        table = self.table_class(request)
        if fs is None or "ordering" not in getattr(fs, "filters", {}) or not request.GET.get("ordering"):
            qs = table.order(qs)
        if request.GET.get("export") == "xlsx":
            return self.export(request, qs, table)
        page = Paginator(qs, self.paginate_by).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
        query = request.GET.copy()
        query.pop("page", None)
        export_query = query.copy()
        export_query["export"] = "xlsx"
        ctx = self.base_context() | {
            "filter": fs, "table": table, "headers": table.headers(),
            "rows": lambda: table.rows(page.object_list, url_for=self.object_url),  # built only if a template reads it
            "page": page, "total_count": page.paginator.count, "query": query.urlencode(),
            "export_query": export_query.urlencode(), "table_id": self.get_table_id(),
            "can_add": self.can_add(request), "add_url": self.url_or_empty("add"),
        }
        ctx.update(self.get_extra_context(request, queryset=qs, page=page, filter=fs, table=table))
        htmx_partial = request.headers.get("HX-Request") and request.headers.get("HX-Target") == self.get_table_id()
        templates = self.get_partial_template_names() if htmx_partial else self.get_template_names()
        return render(request, templates, ctx)

    def export(self, request: HttpRequest, qs: models.QuerySet, table: Table) -> HttpResponse:
        wb = Workbook()
        ws = wb.active
        ws.title = str(self.model._meta.verbose_name_plural)[:31]
        write_table(ws, table.export_headers(), table.export_rows(qs.iterator(chunk_size=2000)))
        return xlsx_response(wb, self.export_filename or f"{self.model._meta.verbose_name_plural}.xlsx")


class ObjectView(BaseObjectView):
    """The detail page of one object, with its change history."""

    generic_template = "generic/object.html"
    history_limit = 50
    detail_fields: list[str] | None = None  # generic template: these model fields, in order (default: all)

    def field_rows(self, obj: models.Model) -> list[tuple[str, str]]:
        from .tables import as_text, resolve

        names = self.detail_fields or [f.name for f in obj._meta.concrete_fields
                                       if not f.primary_key and f.name != "row_version" and f.editable]
        return [(str(obj._meta.get_field(n).verbose_name), as_text(resolve(obj, n))) for n in names]

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.kwargs = kwargs
        obj = self.get_object(request, **kwargs)
        if not self.can_view(request, obj):
            return self.forbidden(request, self.denial_message("view", obj))
        can_edit = self.can_edit(request, obj)
        can_delete = self.can_delete(request, obj)
        ctx = self.base_context() | {
            "object": obj, "fields": self.field_rows(obj),
            "history": display_entries(permissions.visible_history(request.user, obj)[: self.history_limit]),
            "can_edit": can_edit, "can_delete": can_delete,
            "edit_url": self.url_or_empty("edit", getattr(obj, self.lookup_field)) if can_edit else "",
            "delete_url": self.url_or_empty("delete", getattr(obj, self.lookup_field)) if can_delete else "",
            "history_url": self.url_or_empty("history", getattr(obj, self.lookup_field)),
        }
        ctx.update(self.get_extra_context(request, object=obj))
        return render(request, self.get_template_names(), ctx)


class ObjectEditView(BaseObjectView):
    """Create (no lookup value in the URL) or edit one object, audited, with optimistic concurrency."""

    form_class: type | None = None
    template_suffix = "_edit"
    generic_template = "generic/object_edit.html"

    def get_object(self, request: HttpRequest, **kwargs: Any) -> models.Model:
        if self.lookup_url_kwarg in kwargs:
            return super().get_object(request, **kwargs)
        return self.model()

    def get_form(self, request: HttpRequest, obj: models.Model, data: Any = None, files: Any = None) -> Any:
        assert self.form_class is not None, f"{type(self).__name__}.form_class is not set"
        return self.form_class(data, files, instance=obj, user=request.user)

    def build_form(self, request: HttpRequest, obj: models.Model, data: Any = None, files: Any = None) -> Any:
        form = self.get_form(request, obj, data, files)
        add_version_field(form)  # optimistic concurrency: the version the user started from
        return form

    def build_formsets(self, request: HttpRequest, obj: models.Model, data: Any = None, files: Any = None) -> dict[str, Any]:
        formsets = self.get_formsets(request, obj, data, files)
        for fs in formsets.values():
            for form in fs.forms:  # each existing row carries its own version too
                add_version_field(form)
        return formsets

    def get_formsets(self, request: HttpRequest, obj: models.Model, data: Any = None, files: Any = None) -> dict[str, Any]:
        """Inline formsets saved with the object (``{"formset": FundingFormSet(...)}``)."""
        return {}

    def save(self, request: HttpRequest, form: Any, formsets: dict[str, Any]) -> models.Model:
        obj = form.save()
        for fs in formsets.values():
            fs.instance = obj
            fs.save()
        return obj

    def success_message(self, obj: models.Model, created: bool) -> str:
        return f"已新建{obj._meta.verbose_name} {obj}" if created else f"已保存{obj._meta.verbose_name} {obj} 的修改"

    def get_success_url(self, obj: models.Model) -> str:
        return self.object_url(obj) or self.get_list_url()

    def _check(self, request: HttpRequest, obj: models.Model) -> HttpResponse | None:
        if obj.pk is None:
            if not self.can_add(request):
                return self.forbidden(request, self.denial_message("add"))
        elif not self.can_edit(request, obj):
            return self.forbidden(request, self.denial_message("edit", obj))
        return None

    def render_form(self, request: HttpRequest, obj: models.Model, form: Any, formsets: dict[str, Any],
                    status: int = 200, stale: str = "") -> HttpResponse:
        ctx = self.base_context() | {"object": obj if obj.pk else None, "form": form, "stale_message": stale,
                                     "object_url": self.object_url(obj) if obj.pk else "", **formsets}
        ctx.update(self.get_extra_context(request, object=obj, form=form))
        return render(request, self.get_template_names(), ctx, status=status)

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.kwargs = kwargs
        obj = self.get_object(request, **kwargs)
        if (denied := self._check(request, obj)) is not None:
            return denied
        return self.render_form(request, obj, self.build_form(request, obj), self.build_formsets(request, obj))

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.kwargs = kwargs
        obj = self.get_object(request, **kwargs)
        if (denied := self._check(request, obj)) is not None:
            return denied
        created = obj.pk is None
        form = self.build_form(request, obj, request.POST, request.FILES)
        formsets = self.build_formsets(request, obj, request.POST, request.FILES)
        valid = form.is_valid()
        valid = all([fs.is_valid() for fs in formsets.values()]) and valid
        if not valid:
            return self.render_form(request, obj, form, formsets, status=400)
        try:
            with transaction.atomic():
                saved = self.save(request, form, formsets)
        except StaleObjectError as exc:  # the object, or one of its inline rows, was saved by someone else
            fresh = type(obj)._base_manager.get(pk=obj.pk)
            stale = type(exc.obj)._base_manager.filter(pk=exc.obj.pk).first() or exc.obj
            message = stale_message(stale, exc.expected)
            # resubmitting, after reading, saves: the kept input now carries the current versions
            refresh_version(form, current_version(fresh))
            for fs in formsets.values():
                for f in fs.forms:
                    if f.instance.pk is not None and hasattr(f.instance, "row_version"):
                        refresh_version(f, current_version(f.instance))
            # the page names the object as stored; the form keeps the user's input
            return self.render_form(request, fresh, form, formsets, status=STALE_STATUS, stale=message)
        messages.success(request, self.success_message(saved, created))
        return redirect(self.get_success_url(saved))


class ObjectDeleteView(BaseObjectView):
    """Confirmation page, then an audited delete (one transaction)."""

    template_suffix = "_delete"
    generic_template = "generic/object_delete.html"

    def delete_object(self, request: HttpRequest, obj: models.Model) -> None:
        obj.delete()

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.kwargs = kwargs
        obj = self.get_object(request, **kwargs)
        if not self.can_delete(request, obj):
            return self.forbidden(request, self.denial_message("delete", obj))
        ctx = self.base_context() | {"object": obj, "row_version": getattr(obj, "row_version", ""), "object_url": self.object_url(obj)}
        ctx.update(self.get_extra_context(request, object=obj))
        return render(request, self.get_template_names(), ctx)

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.kwargs = kwargs
        obj = self.get_object(request, **kwargs)
        if not self.can_delete(request, obj):
            return self.forbidden(request, self.denial_message("delete", obj))
        seen = request.POST.get("row_version", "")
        if seen.isdigit() and hasattr(obj, "row_version") and int(seen) != obj.row_version:
            message = stale_message(obj, int(seen), outcome="没有删除")
            ctx = self.base_context() | {"object": obj, "row_version": obj.row_version, "stale_message": message,
                                         "object_url": self.object_url(obj)}
            ctx.update(self.get_extra_context(request, object=obj))
            return render(request, self.get_template_names(), ctx, status=STALE_STATUS)
        label = str(obj)
        with transaction.atomic():
            self.delete_object(request, obj)
        messages.success(request, f"已删除{self.model._meta.verbose_name} {label}")
        return redirect(self.get_list_url())


class ObjectHistoryView(BaseObjectView):
    """The whole change history of one object, paginated (the detail page shows the latest entries)."""

    template_suffix = "_history"
    generic_template = "generic/object_history.html"
    paginate_by = 50

    def get(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        self.kwargs = kwargs
        obj = self.get_object(request, **kwargs)
        if not self.can_view(request, obj):
            return self.forbidden(request, self.denial_message("view", obj))
        page = Paginator(permissions.visible_history(request.user, obj), self.paginate_by).get_page(request.GET.get("page"))
        ctx = self.base_context() | {"object": obj, "object_url": self.object_url(obj), "page": page,
                                     "history": display_entries(page.object_list), "query": ""}
        ctx.update(self.get_extra_context(request, object=obj))
        return render(request, self.get_template_names(), ctx)


def object_urls(prefix: str, *, list_view: type | None = None, detail_view: type | None = None,
                edit_view: type | None = None, delete_view: type | None = None, history_view: type | None = None,
                lookup: str = "<int:pk>") -> list:
    """URL patterns for a model's pages: ``<prefix>_list``, ``_add``, ``_detail``, ``_edit``, ``_delete``, ``_history``."""
    from django.urls import path

    out = []
    if list_view is not None:
        out.append(path("", list_view.as_view(), name=f"{prefix}_list"))
    if edit_view is not None:
        out.append(path("new/", edit_view.as_view(), name=f"{prefix}_add"))
    if detail_view is not None:
        out.append(path(f"{lookup}/", detail_view.as_view(), name=f"{prefix}_detail"))
    if edit_view is not None:
        out.append(path(f"{lookup}/edit/", edit_view.as_view(), name=f"{prefix}_edit"))
    if delete_view is not None:
        out.append(path(f"{lookup}/delete/", delete_view.as_view(), name=f"{prefix}_delete"))
    if history_view is not None:
        out.append(path(f"{lookup}/history/", history_view.as_view(), name=f"{prefix}_history"))
    return out


__all__ = ["BaseObjectView", "ObjectListView", "ObjectView", "ObjectEditView", "ObjectDeleteView", "ObjectHistoryView",
           "object_urls",
           "object_region_ids", "Http404"]
