"""Forms of the project library: project edit form, funding formset, import upload."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cityrenew.core.choices import RegionLevel
from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.models import Region
from cityrenew.core.geofiles import CRS_CHOICES
from cityrenew.core.uploads import form_upload_error

from .choices import BatchType
from .models import ProjectFunding, RenewalProject
from .permissions import can_create_in

YEAR_MIN, YEAR_MAX = 1990, 2100


class DistrictChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return obj.display_name


class ProjectForm(FieldRulesFormMixin, forms.ModelForm):
    """Create or edit a 城市更新项目. ``user`` limits the districts a project may be put in, and the
    fields it may write (workflow fields are read-only for a 区级编辑: cityrenew.projects.fieldrules)."""

    districts = DistrictChoiceField(
        label="所在区域",
        queryset=Region.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="可多选（跨区域项目）；按住 Ctrl 选择多个",
        error_messages={"required": "请至少选择一个所在区域", "invalid_choice": "所选区域不存在：%(value)s"},
    )

    class Meta:
        model = RenewalProject
        fields = [
            "code", "name", "districts", "region_group", "total_investment", "category", "status",
            "implementing_entity", "start_year", "end_year", "batch", "seq", "description",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}
        error_messages = {
            "code": {"required": "请填写项目编号", "unique": "项目编号已存在，不能重复"},
            "name": {"required": "请填写项目名称"},
            "total_investment": {
                "required": "请填写项目总投资（亿元）",
                "invalid": "项目总投资必须是数字（亿元）",
                "max_decimal_places": "项目总投资最多 6 位小数（亿元）",
                "max_digits": "项目总投资位数过多",
            },
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["districts"].queryset = Region.objects.filter(level=RegionLevel.DISTRICT).order_by(
            "parent__code", "order", "code"
        )
        self.fields["region_group"].help_text = "留空时按所在区域的分组自动填写"
        for name in ("start_year", "end_year"):
            self.fields[name].widget.attrs.update(min=YEAR_MIN, max=YEAR_MAX)
        self.fields["total_investment"].widget.attrs.update(min="0", step="0.000001")
        if self.instance.pk:
            # The code identifies the project in URLs and official tables; it is not edited in place.
            self.fields["code"].disabled = True
        if user is not None:
            self.apply_field_rules()  # again, after the help texts above: a read-only field says why

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError("项目名称不能为空")
        return name

    def clean_total_investment(self) -> Decimal:
        value = self.cleaned_data.get("total_investment")
        if value is not None and value < 0:
            raise ValidationError("项目总投资不能为负数（实际为 %(v)s 亿元）", params={"v": value})
        return value

    def _clean_year(self, name: str) -> int | None:
        value = self.cleaned_data.get(name)
        if value is not None and not (YEAR_MIN <= value <= YEAR_MAX):
            raise ValidationError("年份应在 %(a)s–%(b)s 之间（实际为 %(v)s）", params={"a": YEAR_MIN, "b": YEAR_MAX, "v": value})
        return value

    def clean_start_year(self) -> int | None:
        return self._clean_year("start_year")

    def clean_end_year(self) -> int | None:
        return self._clean_year("end_year")

    def clean_districts(self):
        districts = self.cleaned_data.get("districts")
        if districts and self.user is not None and not can_create_in(self.user, list(districts)):
            names = "、".join(d.display_name for d in districts)
            raise ValidationError(f"您无权在所选区域（{names}）登记或修改项目：只能选择您负责的区域")
        cities = {d.parent_id for d in districts or []}
        if len(cities) > 1:
            raise ValidationError("所选区域属于不同城市，一个项目只能属于一个城市")
        return districts

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("start_year"), data.get("end_year")
        if start and end and end < start:
            self.add_error("end_year", f"完工年份（{end}）不能早于开工年份（{start}）")
        districts = data.get("districts")
        if districts and not data.get("region_group"):
            groups = {d.group_id for d in districts}
            if len(groups) == 1 and None not in groups:
                data["region_group"] = districts[0].group
        return data

    def _post_clean(self) -> None:
        # The city is derived from the districts before model validation runs.
        districts = self.cleaned_data.get("districts")
        if districts:
            self.instance.city = districts[0].parent
            if self.cleaned_data.get("region_group"):
                self.instance.region_group = self.cleaned_data["region_group"]
        super()._post_clean()


class FundingForm(forms.ModelForm):
    class Meta:
        model = ProjectFunding
        fields = ["source", "amount", "note"]
        error_messages = {
            "source": {"required": "请选择资金来源"},
            "amount": {"required": "请填写金额（亿元）", "invalid": "金额必须是数字（亿元）"},
        }

    def clean_amount(self) -> Decimal:
        value = self.cleaned_data.get("amount")
        if value is not None and value < 0:
            raise ValidationError("金额不能为负数（实际为 %(v)s 亿元）", params={"v": value})
        return value


class BaseFundingFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not getattr(form, "cleaned_data", None) or form.cleaned_data.get("DELETE"):
                continue
            source = form.cleaned_data.get("source")
            if source in seen:
                label = dict(form.fields["source"].choices).get(source, source)
                raise ValidationError(f"资金来源“{label}”重复填写，每种来源只填一行")
            if source:
                seen.add(source)


FundingFormSet = forms.inlineformset_factory(
    RenewalProject, ProjectFunding, form=FundingForm, formset=BaseFundingFormSet, extra=2, can_delete=True
)


class ImportForm(forms.Form):
    """Upload of a CSV (UTF-8 or GBK) or xlsx file of projects; the first step is always a dry run."""

    file = forms.FileField(
        label="项目清单文件（CSV 或 xlsx）",
        error_messages={"required": "请选择要导入的文件", "empty": "上传的文件是空的"},
    )
    batch_no = forms.CharField(label="批次文号", max_length=64, required=False, help_text="如 郑建文〔2025〕45号；留空则不登记批次")
    batch_type = forms.ChoiceField(label="调整类型", choices=BatchType.choices, initial=BatchType.ADD)
    update = forms.BooleanField(
        label="更新已有项目（--update）", required=False,
        help_text="勾选后，编号已存在但内容不同的行将更新该项目（每项变更都记入审计日志）；不勾选则报错",
    )

    crs = forms.ChoiceField(label="经纬度/几何列的坐标系", choices=CRS_CHOICES[1:], initial="wgs84", required=False,
                            help_text="文件含经度、纬度或几何（WKT/GeoJSON）列时适用")
    epsg = forms.CharField(label="EPSG 代码", max_length=40, required=False, help_text="坐标系选“其他 EPSG 代码”时填写，如 EPSG:4547")

    ALLOWED = (".csv", ".xlsx")

    def clean(self):
        data = super().clean()
        if data.get("crs") == "epsg" and not (data.get("epsg") or "").strip():
            self.add_error("epsg", "请填写 EPSG 代码，如 EPSG:4547")
        return data

    @staticmethod
    def declared_crs(crs: str, epsg: str) -> str:
        """The CRS the importer is given: a named one, or the EPSG code typed ("" = WGS84)."""
        return (epsg or "").strip() if crs == "epsg" else (crs or "")

    def clean_file(self):
        f = self.cleaned_data["file"]
        name = (f.name or "").lower()
        if not name.endswith(self.ALLOWED):
            raise ValidationError(f"不支持的文件类型“{f.name}”：请上传 .csv 或 .xlsx 文件")
        if (err := form_upload_error(f, "table")):  # size and xlsx unpacked size; rows are counted by the importer
            raise ValidationError(err)
        return f
