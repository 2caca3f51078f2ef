"""Forms of lifeline monitoring: devices (with a point as longitude/latitude), assets, alarm rules
(definition validated by :func:`cityrenew.lifeline.rules.parse_rule`), disposal steps."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib.gis.geos import Point

from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.uploads import validate_photo

from .choices import DisposalStep
from .models import AlarmRule, Device, MonitoredAsset, RetentionSettings
from .rules import RuleError, parse_rule


class PointFormMixin(forms.Form):
    lon = forms.DecimalField(label="经度（WGS84）", required=False, max_digits=10, decimal_places=7, min_value=-180, max_value=180)
    lat = forms.DecimalField(label="纬度（WGS84）", required=False, max_digits=10, decimal_places=7, min_value=-90, max_value=90)
    point_field = "location"

    def init_point(self) -> None:
        geom = getattr(self.instance, self.point_field, None)
        if geom is not None and geom.geom_type == "Point":
            self.initial.setdefault("lon", round(geom.x, 7))
            self.initial.setdefault("lat", round(geom.y, 7))

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lon, lat = data.get("lon"), data.get("lat")
        if (lon is None) != (lat is None):
            raise forms.ValidationError("经度和纬度须同时填写或同时留空")
        return data

    def apply_point(self, obj) -> None:
        lon, lat = self.cleaned_data.get("lon"), self.cleaned_data.get("lat")
        setattr(obj, self.point_field, Point(float(lon), float(lat), srid=4326) if lon is not None else None)


class DeviceForm(FieldRulesFormMixin, PointFormMixin, forms.ModelForm):
    class Meta:
        model = Device
        fields = ["code", "name", "description", "device_type", "asset", "sector", "district", "install_date",
                  "sync_design", "sync_construction", "sync_acceptance", "sync_handover", "status"]
        widgets = {"install_date": forms.DateInput(attrs={"type": "date"}), "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.init_point()

    def save(self, commit: bool = True):
        obj = super().save(commit=False)
        self.apply_point(obj)
        if commit:
            obj.save()
        return obj


class AssetForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = MonitoredAsset
        fields = ["code", "name", "kind", "sector", "district", "equipment", "operator"]


class AlarmRuleForm(FieldRulesFormMixin, forms.ModelForm):
    definition = forms.CharField(
        label="规则定义（JSON）", widget=forms.Textarea(attrs={"rows": 12, "class": "mono"}),
        help_text='等级与条件，如 {"levels": [{"name": "一级", "rank": 1, "conditions": [{"kind": "threshold", '
                  '"word": "超过", "value": 0.4, "duration_min": 10}]}]}；阈值用语按民法典第一千二百五十九条理解'
                  '（超过、不满不含本数，以上、以下含本数）；类型 threshold（阈值）、rate（变化率，须 window_min）、nodata（无数据分钟数）',
    )

    class Meta:
        model = AlarmRule
        fields = ["code", "name", "observed_property", "sector", "unit_symbol", "definition", "escalate_after_min",
                  "basis", "enabled"]

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        if self.instance.pk and isinstance(self.instance.definition, dict):
            self.initial["definition"] = json.dumps(self.instance.definition, ensure_ascii=False, indent=1)

    def clean_definition(self) -> dict:
        text = self.cleaned_data["definition"]
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）") from None
        if not isinstance(data, dict):
            raise forms.ValidationError("规则定义必须是 JSON 对象")
        try:
            parse_rule({"id": self.data.get("code") or self.instance.code or "rule", "name": "规则", **data})
        except RuleError as exc:
            raise forms.ValidationError(str(exc)) from None
        return data


class RetentionForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = RetentionSettings
        fields = ["raw_days", "hourly_days"]


class StepForm(forms.Form):
    step = forms.ChoiceField(label="处置步骤", choices=DisposalStep.choices)
    assignee = forms.CharField(label="处置单位/人员", required=False, max_length=200)
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    passed = forms.ChoiceField(label="复核结论", choices=[("1", "通过"), ("0", "未通过，退回处置")], required=False, initial="1")
    photo = forms.FileField(label="现场照片", required=False, validators=[validate_photo])


class DeviceImportForm(forms.Form):  # 感知设备导入
    file = forms.FileField(label="设备文件（Excel 或 CSV）", help_text="请使用本页提供的导入模板；全部行校验通过才写入")
    dry_run = forms.BooleanField(label="试导入（只校验，不写入）", required=False, initial=True)

    def clean_file(self):
        from cityrenew.core.uploads import form_upload_error, table_content_error

        f = self.cleaned_data["file"]
        if error := form_upload_error(f, "table") or table_content_error(f):  # size, zip directory, content = suffix
            raise forms.ValidationError(error)
        return f
