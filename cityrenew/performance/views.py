"""Pages of the performance app (绩效), on the generic object views (``core/generic``).

/funding/performance/                     target tables (list, new, detail with results → indicators → periods)
/funding/performance/<pk>/file/           盖章备案 (upload the sealed scan; targets read-only afterwards)
/funding/performance/<pk>/export/         the table as Excel
/funding/performance/periods/<pk>/actual/ 填报实际值 (with evidence)
/funding/performance/evaluations/         年度绩效评价
/funding/performance/residents/           效果共评
/funding/performance/release/             what a central-subsidy tranche of a city and year still lacks
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views import View

from cityrenew.core import permissions
from cityrenew.core.choices import RegionLevel
from cityrenew.core.generic import Column, ObjectDeleteView, ObjectEditView, ObjectListView, ObjectView, Table
from cityrenew.core.models import Region
from cityrenew.core.views import forbidden
from cityrenew.core.xlsx import xlsx_response

from . import services
from .choices import (EVALUATION_SOURCE, OVERALL_YEARS_SOURCE, RELEASE_SOURCE, RESIDENT_FEEDBACK_SOURCE, RESIDENT_SOURCE,
                      TABLES_SOURCE)
from .exports import table_workbook
from .filtersets import EvaluationFilterSet, ResidentEvaluationFilterSet, TargetTableFilterSet
from .forms import (ActualForm, EvaluationForm, EvidenceForm, FileTableForm, IndicatorForm, ResidentEvaluationForm,
                    ResultForm, TargetTableForm)
from .models import Evaluation, Indicator, Period, ResidentEvaluation, Result, TargetTable
from .release import blockers_for
from .scope import can_read, readable

SOURCES = {"tables_source": TABLES_SOURCE, "overall_source": OVERALL_YEARS_SOURCE, "evaluation_source": EVALUATION_SOURCE,
           "release_source": RELEASE_SOURCE, "resident_source": RESIDENT_SOURCE,
           "resident_feedback_source": RESIDENT_FEEDBACK_SOURCE}


class ReadScopeMixin:
    """Lists show what the user may read; a page of something outside it is refused (403)."""

    scope_field = "city"

    def filter_queryset(self, request: HttpRequest, qs: models.QuerySet) -> Any:  # lists only; pages ask can_view
        return super().filter_queryset(request, readable(request.user, qs, self.scope_field))  # type: ignore[misc]

    def can_view(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_authenticated and (obj is None or can_read(request.user, obj))


# --- target tables --------------------------------------------------------------------------------

class TargetTableTable(Table):
    columns = [
        Column("name", "绩效目标表", accessor=str, link=True),
        Column("city", "城市", order_by="city__code"),
        Column("kind", "类型", order_by="kind"),
        Column("year", "年度（总体表为起始年）", order_by="year", css="num"),
        Column("project", "项目"),
        Column("state", "状态", order_by="state"),
        Column("filed_at", "备案时间", order_by="filed_at"),
    ]


class TableBase(ReadScopeMixin):
    queryset = TargetTable.objects.select_related("city", "project", "filed_by")
    url_base = "performance:targettable"


class TargetTableListView(TableBase, ObjectListView):
    filterset_class, table_class = TargetTableFilterSet, TargetTableTable
    template_name = "performance/targettable_list.html"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return dict(SOURCES)


class TargetTableView(TableBase, ObjectView):
    template_name = "performance/targettable.html"

    def can_edit(self, request: HttpRequest, obj: TargetTable) -> bool:
        return not obj.is_filed and super().can_edit(request, obj)

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        table: TargetTable = kwargs["object"]
        results = list(table.results.prefetch_related("indicators__periods__evidence"))
        may_write = permissions.can_edit_regions(request.user, table.region_ids())
        return SOURCES | {
            "results": results, "years": table.years(), "may_write": may_write,
            "may_edit_targets": may_write and not table.is_filed,
            "may_record": may_write and table.is_filed,
            "missing": services.missing_targets(table) if not table.is_filed else [],
            "file_form": FileTableForm() if may_write and not table.is_filed else None,
        }


class TargetTableEditView(TableBase, ObjectEditView):
    form_class = TargetTableForm

    def can_add(self, request: HttpRequest) -> bool:
        return permissions.can_edit_any(request.user) and TargetTableForm(user=request.user).fields["city"].queryset.exists()

    def can_edit(self, request: HttpRequest, obj: TargetTable) -> bool:
        return not obj.is_filed and super().can_edit(request, obj)

    def denial_message(self, action: str, obj: Any = None) -> str:
        if obj is not None and getattr(obj, "is_filed", False):
            return str(services_sealed(obj))
        return super().denial_message(action, obj)


class TargetTableDeleteView(TableBase, ObjectDeleteView):
    def can_delete(self, request: HttpRequest, obj: TargetTable) -> bool:
        return not obj.is_filed and super().can_delete(request, obj)

    def denial_message(self, action: str, obj: Any = None) -> str:
        if obj is not None and getattr(obj, "is_filed", False):
            return str(services_sealed(obj))
        return super().denial_message(action, obj)


def services_sealed(table: TargetTable) -> str:
    from .models import _sealed

    return _sealed(table).messages[0]


class TableActionView(LoginRequiredMixin, View):
    """A POST (or page) on one table by whoever may edit its city."""

    def table(self, request: HttpRequest, pk: int) -> TargetTable:
        return get_object_or_404(TargetTable.objects.select_related("city", "project"), pk=pk)

    def refuse(self, request: HttpRequest, table: TargetTable, why: str = "") -> HttpResponse | None:
        if not permissions.can_edit_regions(request.user, table.region_ids()):
            return forbidden(request, why or f"无权修改绩效目标表“{table}”：超出您的授权区划范围。",
                             back_url=table.get_absolute_url(), back_label="返回目标表")
        return None


class FileTableView(TableActionView):
    """盖章备案: the scan of the table stamped by the city government; afterwards the targets are read-only."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        table = self.table(request, pk)
        if (denied := self.refuse(request, table)) is not None:
            return denied
        form = FileTableForm(request.POST, request.FILES)
        errors: list[str] = []
        if form.is_valid():
            try:
                services.file_table(table, request.user, form.cleaned_data["sealed_scan"])
            except ValidationError as exc:
                errors = exc.messages
        else:
            errors = [e for errs in form.errors.values() for e in errs]
        if errors:
            table.refresh_from_db()
            view = TargetTableView()
            view.request = request
            ctx = view.base_context() | {"object": table, "history": [], **view.get_extra_context(request, object=table)}
            ctx.update({"file_errors": errors, "file_form": form})
            return render(request, "performance/targettable.html", ctx, status=400)
        messages.success(request, f"绩效目标表“{table}”已盖章备案，目标值此后不能修改")
        return redirect(table.get_absolute_url())


class ExportTableView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        table = get_object_or_404(TargetTable.objects.select_related("city", "project"), pk=pk)
        if not can_read(request.user, table):
            return forbidden(request, f"无权查看绩效目标表“{table}”：超出您的授权区划范围。")
        return xlsx_response(table_workbook(table), f"{table}.xlsx")


# --- results and indicators (rows of a draft table) -------------------------------------------------

class RowEditMixin:
    """Rows of a table: editable while the table is a draft, by whoever edits its city."""

    def can_edit(self, request: HttpRequest, obj: Any) -> bool:
        table = obj.target_table()
        return not table.is_filed and permissions.can_edit_regions(request.user, table.region_ids())

    def can_add(self, request: HttpRequest) -> bool:  # creation goes through get_object → can_edit
        return True

    def can_delete(self, request: HttpRequest, obj: Any) -> bool:
        return self.can_edit(request, obj)

    def denial_message(self, action: str, obj: Any = None) -> str:
        if obj is not None and obj.target_table().is_filed:
            return services_sealed(obj.target_table())
        return super().denial_message(action, obj)  # type: ignore[misc]

    def _check(self, request: HttpRequest, obj: Any) -> HttpResponse | None:
        if not self.can_edit(request, obj):
            return self.forbidden(request, self.denial_message("edit", obj))  # type: ignore[attr-defined]
        return None

    def get_success_url(self, obj: Any) -> str:
        return obj.get_absolute_url()  # the table's page, at the row

    def get_list_url(self) -> str:
        return "/funding/performance/"


class ResultEditView(RowEditMixin, ObjectEditView):
    queryset = Result.objects.select_related("table__city")
    form_class = ResultForm
    url_base = "performance:result"

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Result:
        if "table" in kwargs:
            return Result(table=get_object_or_404(TargetTable, pk=kwargs["table"]))
        return super().get_object(request, **kwargs)


class ResultDeleteView(RowEditMixin, ObjectDeleteView):
    queryset = Result.objects.select_related("table__city")
    url_base = "performance:result"

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        back = self.get_object(request, **kwargs).table.get_absolute_url()
        response = super().post(request, **kwargs)
        return redirect(back) if response.status_code == 302 else response


class IndicatorEditView(RowEditMixin, ObjectEditView):
    queryset = Indicator.objects.select_related("result__table__city")
    form_class = IndicatorForm
    url_base = "performance:indicator"
    template_name = "performance/indicator_edit.html"

    def get_object(self, request: HttpRequest, **kwargs: Any) -> Indicator:
        if "result" in kwargs:
            return Indicator(result=get_object_or_404(Result.objects.select_related("table"), pk=kwargs["result"]))
        return super().get_object(request, **kwargs)

    def save(self, request: HttpRequest, form: Any, formsets: dict[str, Any]) -> Indicator:
        obj = form.save()
        services.set_targets(obj, form.cleaned_data.get("baseline"), form.targets())
        return obj

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return {"table": kwargs["object"].result.table, "result": kwargs["object"].result}


class IndicatorDeleteView(RowEditMixin, ObjectDeleteView):
    queryset = Indicator.objects.select_related("result__table__city")
    url_base = "performance:indicator"

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        back = self.get_object(request, **kwargs).result.table.get_absolute_url()
        response = super().post(request, **kwargs)
        return redirect(back) if response.status_code == 302 else response


# --- actual values ----------------------------------------------------------------------------------

class ActualView(LoginRequiredMixin, View):
    """填报实际值 of one indicator in one year, with an evidence file (a filed table only)."""

    template_name = "performance/period_actual.html"

    def period(self, pk: int) -> Period:
        return get_object_or_404(Period.objects.select_related("indicator__result__table__city"), pk=pk)

    def refuse(self, request: HttpRequest, period: Period) -> HttpResponse | None:
        table = period.target_table()
        if not permissions.can_edit_regions(request.user, table.region_ids()):
            return forbidden(request, f"无权填报“{period}”的实际值：超出您的授权区划范围。", back_url=table.get_absolute_url(),
                             back_label="返回目标表")
        if not table.is_filed:
            return forbidden(request, f"绩效目标表“{table}”尚未盖章备案：请先备案目标，再填报实际值。",
                             back_url=table.get_absolute_url(), back_label="返回目标表")
        return None

    def render_form(self, request: HttpRequest, period: Period, form: ActualForm, status: int = 200) -> HttpResponse:
        return render(request, self.template_name, {"period": period, "table": period.target_table(), "form": form,
                                                    "evidence": period.evidence.all()}, status=status)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        period = self.period(pk)
        if (denied := self.refuse(request, period)) is not None:
            return denied
        return self.render_form(request, period, ActualForm(period=period))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        period = self.period(pk)
        if (denied := self.refuse(request, period)) is not None:
            return denied
        form = ActualForm(request.POST, request.FILES, period=period)
        if not form.is_valid():
            return self.render_form(request, period, form, status=400)
        try:
            services.record_actual(period, form.cleaned_data["actual"], form.cleaned_data["actual_note"], request.user,
                                   form.cleaned_data.get("evidence"), form.cleaned_data.get("evidence_note", ""))
        except ValidationError as exc:
            for e in exc.messages:
                form.add_error(None, e)
            return self.render_form(request, period, form, status=400)
        messages.success(request, f"已填报“{period}”的实际值 {period.actual} {period.indicator.unit}")
        return redirect(period.target_table().get_absolute_url() + f"#indicator-{period.indicator_id}")


# --- evaluations ------------------------------------------------------------------------------------

class EvaluationTable(Table):
    columns = [
        Column("name", "年度绩效评价", accessor=str, link=True),
        Column("city", "城市", order_by="city__code"),
        Column("year", "评价年度", order_by="year", css="num"),
        Column("evaluator", "评价方"),
        Column("score", "评价得分", order_by="score", css="num"),
        Column("grade", "评价等级"),
        Column("evaluated_on", "评价日期", order_by="evaluated_on"),
    ]


class EvaluationBase(ReadScopeMixin):
    queryset = Evaluation.objects.select_related("city")
    url_base = "performance:evaluation"


class EvaluationListView(EvaluationBase, ObjectListView):
    filterset_class, table_class = EvaluationFilterSet, EvaluationTable
    template_name = "performance/evaluation_list.html"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return dict(SOURCES)


class EvidenceMixin:
    """A detail page with evidence files and an upload form (POST) for whoever may edit the record."""

    owner_field = ""
    template_name = ""

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        obj = kwargs["object"]
        return SOURCES | {"files": obj.files.all(), "evidence_form": kwargs.get("evidence_form") or EvidenceForm(),
                          "may_upload": permissions.can_edit_regions(request.user, obj.region_ids())}

    def post(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        obj = self.get_object(request, **kwargs)  # type: ignore[attr-defined]
        if not permissions.can_edit_regions(request.user, obj.region_ids()):
            return forbidden(request, f"无权为“{obj}”上传材料：超出您的授权区划范围。")
        form = EvidenceForm(request.POST, request.FILES)
        if not form.is_valid():
            self.kwargs = kwargs
            ctx = self.base_context() | {"object": obj, "fields": self.field_rows(obj), "history": [],  # type: ignore[attr-defined]
                                         "can_edit": True, "edit_url": ""}
            ctx.update(self.get_extra_context(request, object=obj, evidence_form=form))
            return render(request, self.template_name, ctx, status=400)
        with transaction.atomic():
            services.add_evidence(request.user, form.cleaned_data["file"], form.cleaned_data["description"],
                                  **{self.owner_field: obj})
        messages.success(request, f"已上传材料 {form.cleaned_data['file'].name}")
        return redirect(obj.get_absolute_url())


class EvaluationView(EvidenceMixin, EvaluationBase, ObjectView):
    owner_field = "evaluation"
    template_name = "performance/evaluation.html"


class EvaluationEditView(EvaluationBase, ObjectEditView):
    form_class = EvaluationForm


class EvaluationDeleteView(EvaluationBase, ObjectDeleteView):
    pass


# --- 效果共评 ---------------------------------------------------------------------------------------

class ResidentTable(Table):
    columns = [
        Column("name", "效果共评", accessor=str, link=True),
        Column("region", "所在区域"),
        Column("year", "年度", order_by="year", css="num"),
        Column("held_on", "评价日期", order_by="held_on"),
        Column("respondents", "参评居民（户）", order_by="respondents", css="num"),
        Column("rate", "满意度（满意＋基本满意，%）", accessor=lambda o: o.satisfaction_rate, css="num"),
    ]


class ResidentBase(ReadScopeMixin):
    queryset = ResidentEvaluation.objects.select_related("region", "community", "project")
    url_base = "performance:residentevaluation"
    scope_field = "region"


class ResidentListView(ResidentBase, ObjectListView):
    filterset_class, table_class = ResidentEvaluationFilterSet, ResidentTable
    template_name = "performance/residentevaluation_list.html"

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        return dict(SOURCES)


class ResidentView(EvidenceMixin, ResidentBase, ObjectView):
    owner_field = "resident_evaluation"
    template_name = "performance/residentevaluation.html"


class ResidentEditView(ResidentBase, ObjectEditView):
    form_class = ResidentEvaluationForm


class ResidentDeleteView(ResidentBase, ObjectDeleteView):
    pass


# --- release check ----------------------------------------------------------------------------------

class ReleaseCheckView(LoginRequiredMixin, View):
    """What the performance records still lack before a central-subsidy tranche of a city and year may be released."""

    def get(self, request: HttpRequest) -> HttpResponse:
        cities = readable(request.user, Region.objects.filter(level=RegionLevel.CITY).order_by("code"), "")
        ctx: dict[str, Any] = SOURCES | {"cities": cities, "checked": False}
        city_id, year = request.GET.get("city", ""), request.GET.get("year", "")
        if city_id.isdigit() and year.isdigit():
            city = cities.filter(pk=int(city_id)).first()
            if city is None:
                return forbidden(request, "无权查看该城市的绩效记录：超出您的授权区划范围。")
            ctx.update({"checked": True, "city": city, "year": int(year), "blockers": blockers_for(city.pk, int(year))})
        elif city_id or year:
            ctx["error"] = "请选择城市并填写年度（四位数字）"
        return render(request, "performance/release_check.html", ctx)
