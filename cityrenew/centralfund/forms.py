"""Forms of the central-fund pages (built with ``user=``: field rules disable what the user may not write)."""

from __future__ import annotations

from django import forms

from cityrenew.core.choices import RegionLevel, Role
from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.models import Region
from cityrenew.core.permissions import roles_of
from cityrenew.projects.models import RenewalProject

from . import rules
from .models import Application, ApplicationFile, EligibilityCondition, FlagshipItem, MechanismItem, ProvinceCapRegion, SelectionRound


class ApplicationForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = Application
        fields = ["city", "year", "size_class", "key_basin", "old_city_scope", "objectives", "requested_subsidy",
                  "authenticity_commitment"]
        widgets = {"old_city_scope": forms.Textarea(attrs={"rows": 3}), "objectives": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cities = Region.objects.filter(level=RegionLevel.CITY)
        if self.user is not None and not self.user.is_superuser:
            paths = [ra.region.path for ra in roles_of(self.user)  # the city's own 市级管理员, not the province's
                     if ra.role == Role.CITY_ADMIN and ra.region.level != RegionLevel.PROVINCE]
            cities = cities.filter(pk__in=[c.pk for c in cities if any(c.path.startswith(p) for p in paths)])
        self.fields["city"].queryset = cities
        if self.instance.pk:
            for name in ("city", "year"):
                self.fields[name].disabled = True
        self.fields["requested_subsidy"].help_text = f"不超过所在区域上限（{rules.CAP_SOURCE}）"
        self.apply_field_rules()

    def clean(self):
        data = super().clean()
        city = self.instance.city if self.instance.pk else data.get("city")
        amount = data.get("requested_subsidy")
        if city is not None and amount is not None:
            from .caps import UnknownProvince, region_of

            try:
                cap = region_of(city.parent.name if city.parent_id else city.name)
            except UnknownProvince:
                cap = None
            if cap is not None and amount > cap.cap_yi:
                self.add_error("requested_subsidy", f"超过{cap.province}（{cap.region_label}）每个城市补助总额上限 {cap.cap_yi} 亿元"
                                                    f"（{rules.CAP_SOURCE}）")
        return data


class ConditionForm(FieldRulesFormMixin, forms.ModelForm):
    met = forms.TypedChoiceField(label="是否满足", choices=[("", "未填写"), ("1", "满足"), ("0", "不满足")],
                                 coerce=lambda v: v == "1", empty_value=None, required=False)

    class Meta:
        model = EligibilityCondition
        fields = ["met", "note"]
        widgets = {"note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        met = self.instance.met
        self.initial["met"] = "" if met is None else ("1" if met else "0")


class FileForm(FieldRulesFormMixin, forms.ModelForm):
    size_gb = forms.DecimalField(label="登记大小（GB，按 10⁹ 字节）", required=False, min_value=0, max_digits=12, decimal_places=3,
                                 help_text="光盘等方式邮寄的材料登记其大小；上传的文件按实际大小计")

    class Meta:
        model = ApplicationFile
        fields = ["kind", "medium", "name", "file", "classified_checked"]

    def clean(self):
        data = super().clean()
        medium, upload, size_gb = data.get("medium"), data.get("file"), data.get("size_gb")
        if medium == "email" and not upload:
            self.add_error("file", "邮箱报送的材料须上传文件")
        if medium == "disc":
            if upload:
                self.add_error("file", "光盘等方式邮寄的材料不上传文件，请登记其大小")
            if size_gb is None:
                self.add_error("size_gb", "请登记邮寄材料的大小")
        if not data.get("name") and upload:
            data["name"] = upload.name
        return data

    def save(self, commit=True):
        obj = super().save(commit=False)
        if obj.file:
            obj.size = obj.file.size
        elif self.cleaned_data.get("size_gb") is not None:
            obj.size = int(self.cleaned_data["size_gb"] * 10**9)
        if commit:
            obj.save()
        return obj


class FlagshipForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = FlagshipItem
        fields = ["kind", "category", "name", "description", "investment", "projects"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, city=None, **kwargs):
        super().__init__(*args, **kwargs)
        qs = RenewalProject.objects.all()
        if city is not None:
            qs = qs.filter(city=city)
        self.fields["projects"].queryset = qs
        self.fields["projects"].required = False


class MechanismForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = MechanismItem
        fields = ["category", "name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


class RoundForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = SelectionRound
        fields = ["year", "places", "written_weight"]


class ScoresUploadForm(forms.Form):
    file = forms.FileField(label="书面评审得分（CSV：城市, 省份, 书面评审得分）")


class CapRegionForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = ProvinceCapRegion
        fields = ["region", "basis"]
