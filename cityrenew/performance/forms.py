"""Forms of the performance app, built with ``user=`` (field rules) and choices limited to what the user may edit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from cityrenew.core.choices import RegionLevel
from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.models import Region
from cityrenew.core.permissions import editable_region_ids
from cityrenew.core.uploads import validate_attachment
from cityrenew.ledgers.models import OldCommunity
from cityrenew.projects.models import RenewalProject

from .models import Evaluation, Indicator, Period, ResidentEvaluation, Result, TargetTable

VALUE_FIELD = {"required": False, "min_value": Decimal("0"), "max_digits": 18, "decimal_places": 4,
               "error_messages": {"min_value": "不能为负数", "invalid": "请输入数字"}}


def _limit(qs: Any, user: Any, field: str = "pk") -> Any:
    allowed = editable_region_ids(user) if user is not None else None
    return qs if allowed is None else qs.filter(**{f"{field}__in": allowed})


def _cities(user: Any) -> Any:
    return _limit(Region.objects.filter(level=RegionLevel.CITY).order_by("code"), user)


class TargetTableForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = TargetTable
        fields = ["city", "kind", "year", "project", "title", "note"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["city"].queryset = _cities(user)
        self.fields["city"].error_messages["invalid_choice"] = "所选城市不在您的授权区划范围内"
        self.fields["project"].queryset = _limit(RenewalProject.objects.order_by("code"), user, "city")
        self.fields["project"].required = False
        if self.fields["city"].queryset.count() == 1 and not self.instance.pk:
            self.initial.setdefault("city", self.fields["city"].queryset.first().pk)
        self.apply_field_rules() if user is not None else None


class ResultForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = Result
        fields = ["title", "description", "order"]


class IndicatorForm(FieldRulesFormMixin, forms.ModelForm):
    """The indicator, its baseline and one target field per year of its table (written as :class:`Period` rows)."""

    baseline = forms.DecimalField(label="基线值", **VALUE_FIELD)

    class Meta:
        model = Indicator
        fields = ["name", "unit", "direction", "order", "note"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        table = self.instance.result.table
        periods = {p.year: p for p in self.instance.periods.all()} if self.instance.pk else {}
        if periods:
            self.initial.setdefault("baseline", next(iter(periods.values())).baseline)
        for year in table.years():
            name = f"target_{year}"
            self.fields[name] = forms.DecimalField(label=f"{year} 年目标值", **VALUE_FIELD)
            if year in periods:
                self.initial.setdefault(name, periods[year].target)

    def targets(self) -> dict[int, Decimal | None]:
        table = self.instance.result.table
        return {y: self.cleaned_data.get(f"target_{y}") for y in table.years()}


class ActualForm(forms.Form):
    actual = forms.DecimalField(label="实际值", **(VALUE_FIELD | {"required": True}))
    actual_note = forms.CharField(label="实际值说明", max_length=300, required=False)
    evidence = forms.FileField(label="佐证材料", required=False, validators=[validate_attachment])
    evidence_note = forms.CharField(label="材料说明", max_length=300, required=False)

    def __init__(self, *args: Any, period: Period, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["actual"].label = f"实际值（{period.indicator.unit}）"
        if period.actual is not None:
            self.initial.setdefault("actual", period.actual)
            self.initial.setdefault("actual_note", period.actual_note)


class FileTableForm(forms.Form):
    sealed_scan = forms.FileField(label="盖章文件扫描件", validators=[validate_attachment],
                                  help_text="加盖城市人民政府公章的目标表扫描件（PDF 或图片）",
                                  error_messages={"required": "请上传加盖城市人民政府公章的目标表扫描件"})


class EvidenceForm(forms.Form):
    file = forms.FileField(label="文件", validators=[validate_attachment], error_messages={"required": "请选择文件"})
    description = forms.CharField(label="说明", max_length=300, required=False)


class EvaluationForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = Evaluation
        fields = ["city", "year", "evaluator", "score", "grade", "conclusion", "evaluated_on"]
        widgets = {"evaluated_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["city"].queryset = _cities(user)
        self.fields["city"].error_messages["invalid_choice"] = "所选城市不在您的授权区划范围内"
        if self.fields["city"].queryset.count() == 1 and not self.instance.pk:
            self.initial.setdefault("city", self.fields["city"].queryset.first().pk)
        self.apply_field_rules() if user is not None else None


class ResidentEvaluationForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = ResidentEvaluation
        fields = ["region", "community", "project", "year", "held_on", "respondents", "satisfied", "basically_satisfied",
                  "dissatisfied", "comments", "response"]
        widgets = {"held_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        regions = Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.STREET])
        self.fields["region"].queryset = _limit(regions.order_by("path"), user)
        self.fields["region"].error_messages["invalid_choice"] = "所选区域不在您的授权区划范围内"
        self.fields["community"].queryset = _limit(OldCommunity.objects.order_by("code"), user, "region")
        self.fields["project"].queryset = _limit(RenewalProject.objects.order_by("code"), user, "districts").distinct()
        self.apply_field_rules() if user is not None else None

    def clean(self) -> Any:
        data = super().clean()
        community = data.get("community")
        region = data.get("region")
        if community is not None and region is not None and not community.region.path.startswith(region.path) \
                and not region.path.startswith(community.region.path):
            self.add_error("community", f"小区“{community.name}”不在所选区域{region.name}内")
        return data
