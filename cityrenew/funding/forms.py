"""Forms of the funding pages: a plan line, a tranche request, a review decision, the plan import."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.uploads import validate_attachment
from cityrenew.projects.choices import FundingSource

from .models import FundingLine

AMOUNT_ERRORS = {"required": "请填写金额（万元）", "invalid": "金额必须是数字（万元）",
                 "max_digits": "金额位数过多：最多 12 位整数（万元）", "max_decimal_places": "金额最多 6 位小数（万元）",
                 "max_whole_digits": "金额位数过多：最多 12 位整数（万元）"}


def _not_negative(label: str):
    def check(value: Decimal | None) -> Decimal | None:
        if value is not None and value < 0:
            raise ValidationError(f"{label}不能为负数（填写的是 {value} 万元）")
        return value
    return check


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Zero or more attachments (佐证材料), each checked by type and size (core/uploads)."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, (list, tuple)) else ([data] if data else [])
        out = []
        for f in files:
            f = super().clean(f, initial)
            validate_attachment(f)
            out.append(f)
        return out


class FundingLineForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = FundingLine
        fields = ["channel", "year", "planned", "received", "spent", "note"]
        error_messages = {
            "channel": {"required": "请选择资金渠道"},
            "year": {"required": "请填写年度", "invalid": "年度必须是整数，如 2025"},
            "planned": AMOUNT_ERRORS, "received": AMOUNT_ERRORS, "spent": AMOUNT_ERRORS,
        }

    def __init__(self, *args: Any, project: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.project = project or (self.instance.project if self.instance.pk else None)
        for name in ("planned", "received", "spent"):
            self.fields[name].widget.attrs.update({"step": "any", "inputmode": "decimal"})
        self.fields["year"].widget.attrs.update({"min": 2000, "max": 2100})

    def _clean_amount(self, name: str) -> Decimal | None:
        return _not_negative(str(self._meta.model._meta.get_field(name).verbose_name))(self.cleaned_data.get(name))

    def clean_planned(self) -> Decimal | None:
        from .services import FundingError, check_planned_covers_drawn

        value = self._clean_amount("planned")
        if value is not None and self.instance.pk:
            try:
                check_planned_covers_drawn(self.instance.project, self.instance.channel, self.instance.year, value)
            except FundingError as exc:
                raise ValidationError(exc.message) from None
        return value

    def clean_received(self) -> Decimal | None:
        return self._clean_amount("received")

    def clean_spent(self) -> Decimal | None:
        return self._clean_amount("spent")

    def clean_year(self) -> int | None:
        year = self.cleaned_data.get("year")
        if year is not None and not 2000 <= year <= 2100:
            raise ValidationError(f"年度 {year} 不在 2000–2100 之间")
        return year

    def clean(self) -> Any:
        data = super().clean()
        if self.instance.pk is None and self.project is not None:
            self.instance.project = self.project
            channel, year = data.get("channel"), data.get("year")
            if channel and year and FundingLine.objects.filter(project=self.project, channel=channel, year=year).exists():
                raise ValidationError(f"项目 {self.project.code} 已有 {year} 年“{FundingSource(channel).label}”的资金计划，请编辑该行")
        return data

    def validate_unique(self) -> None:  # the clean() above says it in Chinese; project is not a form field
        pass


class TrancheForm(forms.Form):
    channel = forms.ChoiceField(label="资金渠道", choices=FundingSource.choices, error_messages={"required": "请选择资金渠道"})
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100,
                              error_messages={"required": "请填写年度", "invalid": "年度必须是整数，如 2025",
                                              "min_value": "年度不能早于 2000", "max_value": "年度不能晚于 2100"})
    amount = forms.DecimalField(label="申请金额（万元）", max_digits=18, decimal_places=6,
                                error_messages=AMOUNT_ERRORS, widget=forms.NumberInput(attrs={"step": "any"}))
    purpose = forms.CharField(label="用途", max_length=300, required=False)
    attachments = AttachmentsField(label="申请材料（可多选）")

    def clean_amount(self) -> Decimal | None:
        value = _not_negative("申请金额")(self.cleaned_data.get("amount"))
        if value is not None and value == 0:
            raise ValidationError("申请金额必须大于 0 万元")
        return value


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(label="审核意见", choices=[("approve", "同意"), ("reject", "退回")],
                                 widget=forms.RadioSelect, error_messages={"required": "请选择同意或退回"})
    comment = forms.CharField(label="意见说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = AttachmentsField(label="附件（审核意见书、拨付凭证等，可多选）")

    def clean(self) -> Any:
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("comment") or "").strip():
            self.add_error("comment", "退回时必须写明退回原因")
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label="资金计划文件（xlsx 或 CSV）",
                           error_messages={"required": "请选择要导入的文件", "empty": "上传的文件是空的"})


class FundingSettingsForm(forms.Form):
    """本市财政审核部门: the departments (行业部门) of the city whose 部门审核员 take the finance approval."""

    finance_organisations = forms.ModelMultipleChoiceField(
        label="财政审核部门", required=False, queryset=None, widget=forms.CheckboxSelectMultiple,
        help_text="由所选部门的部门审核员进行拨付申请的财政审核和拨付登记；不选则本市拨付申请无法进行财政审核")

    def __init__(self, *args: Any, city: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from cityrenew.core.choices import OrganisationKind
        from cityrenew.core.models import Organisation

        self.fields["finance_organisations"].queryset = Organisation.objects.filter(
            kind=OrganisationKind.DEPARTMENT, region__path__startswith=city.path).order_by("name")
        self.fields["finance_organisations"].label_from_instance = lambda o: o.name  # the full name: 郑州市财政局
