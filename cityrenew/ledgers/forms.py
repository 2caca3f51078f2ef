"""Forms of the ledgers: one edit form per ledger type (built by :func:`ledger_form`), with the field
rules (``user=``), the region limited to the user's editable regions, the 国办发〔2020〕23号 item lists
as check boxes, and the location as WGS84 longitude/latitude."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.gis.geos import Point

from cityrenew.core.choices import RegionLevel
from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.models import Region
from cityrenew.core.permissions import editable_region_ids

from .choices import RENOVATION_FIELDS, RENOVATION_ITEMS
from .models import LEDGER_MODELS, LedgerRecord

EXCLUDE = ["location", "demo", "import_batch", "created_at", "updated_at", "row_version"]


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Region) -> str:
        return obj.place_label() if obj.level != RegionLevel.DISTRICT else obj.display_name


class LedgerForm(FieldRulesFormMixin, forms.ModelForm):
    lon = forms.DecimalField(label="经度（WGS84）", required=False, min_value=73, max_value=136, decimal_places=7)
    lat = forms.DecimalField(label="纬度（WGS84）", required=False, min_value=3, max_value=54, decimal_places=7)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        regions = Region.objects.filter(level__in=[RegionLevel.DISTRICT, RegionLevel.STREET])
        allowed = editable_region_ids(user) if user is not None else None
        if allowed is not None:
            regions = regions.filter(pk__in=allowed)
        field = RegionChoiceField(queryset=regions.order_by("path", "order"), label="所在区域",
                                  error_messages={"invalid_choice": "所选区域不在您的授权区划范围内"})
        if "region" in self.fields:
            field.disabled = self.fields["region"].disabled
            self.fields["region"] = field
        for group, name in RENOVATION_FIELDS.items():
            if name in self.fields:
                self.fields[name] = forms.MultipleChoiceField(
                    label=f"{group}改造内容", required=False, widget=forms.CheckboxSelectMultiple,
                    choices=[(x, x) for x in RENOVATION_ITEMS[group]], help_text="国办发〔2020〕23号 二、（二）")
        loc = getattr(self.instance, "location", None)
        if loc is not None and loc.geom_type == "Point":
            self.initial.setdefault("lon", round(loc.x, 7))
            self.initial.setdefault("lat", round(loc.y, 7))
        if self.instance.pk:
            self.fields["code"].disabled = True
        if user is not None:
            self.apply_field_rules()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        lon, lat = data.get("lon"), data.get("lat")
        if (lon is None) != (lat is None):
            self.add_error("lon" if lon is None else "lat", "经度、纬度应同时填写")
        return data

    def save(self, commit: bool = True) -> LedgerRecord:
        obj = super().save(commit=False)
        lon, lat = self.cleaned_data.get("lon"), self.cleaned_data.get("lat")
        loc = obj.location
        if lon is not None and lat is not None:
            obj.location = Point(float(lon), float(lat), srid=4326)
        elif loc is not None and loc.geom_type == "Point" and "lon" in self.changed_data:
            obj.location = None  # the user cleared the point; lines and areas come from geodata imports
        if commit:
            obj.save()
        return obj


def ledger_form(kind: str) -> type[LedgerForm]:
    model = LEDGER_MODELS[kind]
    meta = type("Meta", (), {"model": model, "exclude": EXCLUDE,
                             "widgets": {"note": forms.Textarea(attrs={"rows": 3}),
                                         "heritage_plan": forms.Textarea(attrs={"rows": 3})}})
    return type(f"{model.__name__}Form", (LedgerForm,), {"Meta": meta})


class ImportForm(forms.Form):
    file = forms.FileField(label="台账文件（CSV 或 Excel）", help_text="请使用本页提供的导入模板；全部行校验通过才写入")
    dry_run = forms.BooleanField(label="只校验，不写入", required=False, initial=True)

    def clean_file(self):
        from cityrenew.core.uploads import form_upload_error

        f = self.cleaned_data["file"]
        error = form_upload_error(f, "table")
        if error:
            raise forms.ValidationError(error)
        if not f.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError("只支持 CSV 或 xlsx 文件")
        return f
