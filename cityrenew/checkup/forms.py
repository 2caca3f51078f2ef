"""Forms of the check-up pages (城市体检): runs, set copies, uploads, value entry, review, field problems.

Validation messages are Chinese and name the field; the back end validates again on save
(templates and API go through the same services).
"""

from __future__ import annotations

from typing import Any, Iterable

import django_filters
from django import forms
from django.db.models import QuerySet

from cityrenew.core.choices import RegionLevel
from cityrenew.core.filtersets import FilterSet
from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.models import Region
from cityrenew.core.uploads import ATTACHMENT_TYPES, IMAGE_TYPES, attachment_type, form_upload_error

from .choices import ProblemStatus, Severity, UnitKind
from .models import AssessmentUnit, CheckupRun, FieldProblem, Indicator, IndicatorSet, SubProblemType



def cities() -> QuerySet[Region]:
    return Region.objects.filter(level=RegionLevel.CITY).order_by("code")


class RunCreateForm(forms.Form):  # 新建城市体检
    city = forms.ModelChoiceField(label="城市", queryset=Region.objects.none(), empty_label=None)
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    indicator_set = forms.ModelChoiceField(label="指标体系", queryset=IndicatorSet.objects.all(), empty_label=None)
    deadline = forms.DateField(label="填报截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               help_text="各部门填报任务的统一截止日期，之后可逐个任务调整",
                               error_messages={"invalid": "请填写有效日期，如 2025-06-30"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = cities()
        self.fields["city"].label_from_instance = lambda r: r.display_name
        self.fields["indicator_set"].queryset = IndicatorSet.objects.order_by("-year", "code")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        city, year, iset = data.get("city"), data.get("year"), data.get("indicator_set")
        if city and year and CheckupRun.objects.filter(city=city, year=year).exists():
            self.add_error("year", f"{city.display_name}{year}年城市体检已存在，不能重复创建")
        if city and iset and iset.city_id and iset.city_id != city.pk:
            self.add_error("indicator_set", f"指标体系“{iset.name}”属于{iset.city.display_name}，不能用于{city.display_name}")
        return data


class TaskDeadlineForm(forms.Form):  # 调整填报截止日期
    deadline = forms.DateField(label="填报截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}),
                               error_messages={"invalid": "请填写有效日期，如 2025-06-30"})


class CopySetForm(forms.Form):  # 复制指标体系
    city = forms.ModelChoiceField(label="城市", queryset=Region.objects.none(), empty_label=None)
    code = forms.CharField(label="新体系编码", max_length=64, help_text="如 ZZ-2025")
    name = forms.CharField(label="新体系名称", max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["city"].queryset = cities()
        self.fields["city"].label_from_instance = lambda r: r.display_name

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if IndicatorSet.objects.filter(code=code).exists():
            raise forms.ValidationError(f"指标体系编码“{code}”已存在，请换一个编码")
        return code


class LocalIndicatorForm(FieldRulesFormMixin, forms.ModelForm):  # 增设地方指标（须注明依据文件和条款）
    class Meta:
        model = Indicator
        fields = ["dimension", "group", "name", "unit", "direction", "method", "standard", "threshold", "comparator",
                  "department", "evidence", "definition", "source_document", "source_article"]
        widgets = {"standard": forms.Textarea(attrs={"rows": 2}), "definition": forms.Textarea(attrs={"rows": 2}),
                   "evidence": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from cityrenew.catalogue.policies import DOCUMENTS

        super().__init__(*args, **kwargs)
        self.fields["source_document"] = forms.ChoiceField(
            label="依据文件", choices=[("", "---------")] + [(k, f"《{d.title}》{d.number}") for k, d in DOCUMENTS.items()],
        )
        self.fields["source_article"].required = True
        self.fields["source_article"].error_messages["required"] = "请填写依据条款（如“第三条”“二、（三）”），地方指标必须注明出处"
        self.fields["source_document"].error_messages["required"] = "请选择依据文件"
        self.fields["source_article"].help_text = "条款编号，如“第三条”“二、（三）”“四、”“（三）”“指标13”，与政策库中的条款一致"
        self.fields["unit"].required = True
        if self.user is not None:
            self.apply_field_rules()  # again: source_document was replaced above

    def clean_source_article(self) -> str:
        from cityrenew.catalogue.policies import check_ref

        ref = (self.cleaned_data.get("source_article") or "").strip()
        first, sep, last = ref.partition("至")  # one article, or a run such as 二、（一）至二、（三）
        problem = check_ref(first) or (check_ref(last) if sep else "")
        if problem:
            raise forms.ValidationError(problem)
        return ref

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("threshold") is not None and not data.get("comparator"):
            self.add_error("comparator", "填写了标准值时须选择比较方式（不低于/不高于）")
        if data.get("comparator") and data.get("threshold") is None:
            self.add_error("threshold", "选择了比较方式时须填写标准值")
        return data


class SetDiffForm(forms.Form):  # 比较两个指标体系
    old = forms.ModelChoiceField(label="原体系", queryset=IndicatorSet.objects.all(), empty_label=None)
    new = forms.ModelChoiceField(label="新体系", queryset=IndicatorSet.objects.all(), empty_label=None)


class TemplateUploadForm(forms.Form):  # 上传填报模板
    file = forms.FileField(label="填好的 Excel 模板（.xlsx）")

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(f"文件“{f.name}”不是 .xlsx 格式，请上传从本页下载并填写的 Excel 模板")
        if (err := form_upload_error(f, "table")):
            raise forms.ValidationError(err)
        return f


class EvidenceForm(forms.Form):  # 上传佐证材料
    file = forms.FileField(label="佐证材料文件", help_text="图片、PDF、Excel（.xlsx）、Word（.docx）、CSV 或文本文件",
                           widget=forms.ClearableFileInput(attrs={"accept": ",".join(s for t in ATTACHMENT_TYPES.values() for s in t.suffixes)}))
    description = forms.CharField(label="说明", max_length=300, required=False)
    indicator = forms.ModelChoiceField(label="对应指标（可选）", queryset=Indicator.objects.none(), required=False)

    def __init__(self, *args: Any, indicators: Iterable[Indicator] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = [i.pk for i in indicators]
        self.fields["indicator"].queryset = Indicator.objects.filter(pk__in=ids).order_by("number")

    def clean_file(self):
        f = self.cleaned_data["file"]
        attachment_type(f)  # size limit, then the type by content (HTML, SVG, scripts refused)
        return f


class ReturnForm(forms.Form):  # 退回（须填写原因）
    reason = forms.CharField(label="退回原因", widget=forms.Textarea(attrs={"rows": 3}), max_length=2000,
                             error_messages={"required": "请填写退回原因"})

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写退回原因")
        return reason


class ValueEntryForm(forms.Form):  # 网页填报：本任务自己的指标
    """One field per (indicator, unit) slot of the task: ``v_<indicator>`` for a city value,
    ``v_<indicator>_<unit>`` for a per-unit indicator. Computed indicators get no field."""

    def __init__(self, *args: Any, slots: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = slots
        for s in slots:
            ind: Indicator = s["indicator"]
            unit = s["unit"]
            where = unit.name if unit else "全市"
            self.fields[s["key"]] = forms.CharField(
                label=f"{ind.number}. {ind.name}（{where}）", required=False, initial=s["initial"],
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 10}),
            )

    def clean(self) -> dict[str, Any]:
        from .services.runs import check_value  # the same checks as the Excel upload

        data = super().clean()
        for s in self.slots:
            raw = (data.get(s["key"]) or "").strip()
            if raw == "":
                data[s["key"]] = None
                continue
            value, err = check_value(s["indicator"], raw)
            if err:
                where = s["unit"].name if s["unit"] else "全市"
                self.add_error(s["key"], f"{where}：{err}")
                continue
            data[s["key"]] = value
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class FieldProblemForm(FieldRulesFormMixin, forms.ModelForm):  # 现场问题记录
    gcj02 = forms.BooleanField(label="坐标取自高德/腾讯地图（GCJ-02），保存时转换为 WGS84", required=False)
    photos = MultipleFileField(label="照片（可多选）", required=False)

    class Meta:
        model = FieldProblem
        fields = ["unit", "indicator", "sub_problem", "severity", "description", "lon", "lat", "gcj02", "suggestion"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "suggestion": forms.Textarea(attrs={"rows": 2}),
            "lon": forms.NumberInput(attrs={"step": "0.000001"}),
            "lat": forms.NumberInput(attrs={"step": "0.000001"}),
        }

    def __init__(self, *args: Any, run: CheckupRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.run = run
        self.fields["unit"].queryset = (
            AssessmentUnit.objects.filter(city=run.city, kind__in=[UnitKind.BUILDING, UnitKind.COMPOUND, UnitKind.COMMUNITY, UnitKind.BLOCK])
            .order_by("kind", "code")
        )
        self.fields["unit"].label_from_instance = lambda u: f"{u.name}（{u.get_kind_display()}）"
        self.fields["indicator"].queryset = run.indicator_set.indicators.filter(retired=False).order_by("number")
        self.fields["sub_problem"].queryset = SubProblemType.objects.filter(indicator__indicator_set=run.indicator_set).select_related("indicator")
        # grouped by indicator (optgroups) so the page can show only the chosen indicator's items
        groups: dict[str, list[tuple[int, str]]] = {}
        for sp in self.fields["sub_problem"].queryset.order_by("indicator__number", "code"):
            groups.setdefault(f"{sp.indicator.number}. {sp.indicator.name}", []).append((sp.pk, f"{sp.code} {sp.name}"))
        self.fields["sub_problem"].choices = [("", "---------")] + list(groups.items())
        self.fields["lon"].help_text = "WGS84 经度，如 113.6254"
        self.fields["lat"].help_text = "WGS84 纬度，如 34.7466"

    def clean_photos(self):
        files = self.cleaned_data.get("photos") or []
        for f in files:
            attachment_type(f, allowed=IMAGE_TYPES)  # an image by content, not only by name
        return files

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ind, sub = data.get("indicator"), data.get("sub_problem")
        if ind and sub and sub.indicator_id != ind.pk:
            self.add_error("sub_problem", f"问题细项“{sub.code} {sub.name}”不属于指标{ind.number}“{ind.name}”")
        lon, lat = data.get("lon"), data.get("lat")
        if data.get("gcj02") and lon is not None and lat is not None:
            from cityrenew.engine.crs import gcj02_to_wgs84  # the project's one GCJ-02 conversion

            x, y = gcj02_to_wgs84([lon], [lat])
            lon, lat = round(float(x[0]), 7), round(float(y[0]), 7)
            data["lon"], data["lat"] = lon, lat
        if (lon is None) != (lat is None):
            self.add_error("lat" if lat is None else "lon", "经度和纬度须同时填写")
        if lon is not None and not (73 <= lon <= 136):
            self.add_error("lon", f"经度 {lon} 不在中国范围（73–136）内，请确认是 WGS84 经度")
        if lat is not None and not (3 <= lat <= 54):
            self.add_error("lat", f"纬度 {lat} 不在中国范围（3–54）内，请确认是 WGS84 纬度")
        return data


class ProblemFilterSet(FilterSet):  # 问题清单筛选
    indicator = django_filters.ModelChoiceFilter(label="指标", queryset=Indicator.objects.none())
    severity = django_filters.ChoiceFilter(label="严重程度", choices=Severity.choices)
    status = django_filters.ChoiceFilter(label="整治状态", choices=ProblemStatus.choices)
    area = django_filters.ModelChoiceFilter(label="街区/小区", queryset=AssessmentUnit.objects.none(), method="filter_area")
    region = django_filters.ModelChoiceFilter(label="区划", queryset=Region.objects.none(), method="filter_region")
    q = django_filters.CharFilter(label="关键词", method="filter_q")

    class Meta:
        model = FieldProblem
        fields = ["indicator", "severity", "status"]

    def __init__(self, *args: Any, run: CheckupRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filters["indicator"].queryset = run.indicator_set.indicators.order_by("number")
        self.filters["indicator"].field.label_from_instance = lambda i: f"{i.number}. {i.name}"
        self.filters["area"].queryset = AssessmentUnit.objects.filter(
            city=run.city, kind__in=[UnitKind.BLOCK, UnitKind.COMPOUND, UnitKind.COMMUNITY]
        ).order_by("kind", "name")
        self.filters["area"].field.label_from_instance = lambda u: f"{u.name}（{u.get_kind_display()}）"
        self.filters["region"].queryset = Region.objects.filter(path__startswith=run.city.path).exclude(pk=run.city.pk).filter(
            level__in=[RegionLevel.DISTRICT, RegionLevel.STREET]
        ).order_by("path")
        self.filters["region"].field.label_from_instance = lambda r: r.display_name

    def filter_area(self, qs, name, value):
        if not value:
            return qs
        ids = {value.pk}
        frontier = {value.pk}
        while frontier:  # the unit and every unit under it (小区 → 楼栋)
            frontier = set(AssessmentUnit.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)) - ids
            ids |= frontier
        return qs.filter(unit_id__in=ids)

    def filter_region(self, qs, name, value):
        if not value:
            return qs
        return qs.filter(unit__region__path__startswith=value.path)

    def filter_q(self, qs, name, value):
        from django.db.models import Q

        value = (value or "").strip()
        if not value:
            return qs
        return qs.filter(Q(description__icontains=value) | Q(unit__name__icontains=value) | Q(sub_problem__name__icontains=value))
