"""Forms of the joint review: an opinion, a district's department mapping, the city's settings."""

from __future__ import annotations

from django import forms

from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.models import Organisation, Region

from .choices import Opinion
from .matrix import MatrixError, parse_matrix
from .models import ReviewDepartment, ReviewSettings


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class OpinionForm(forms.Form):  # 出具审查意见
    opinion = forms.ChoiceField(label="审查意见", choices=Opinion.choices, widget=forms.RadioSelect)
    conditions = forms.CharField(label="同意的条件（有条件同意时必填）", required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}))
    reasons = forms.CharField(label="不同意的理由（不同意时必填）", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(label="附件（可多选）", required=False)
    description = forms.CharField(label="附件说明", required=False, max_length=300)


class ReviewDepartmentForm(FieldRulesFormMixin, forms.ModelForm):
    key = forms.ChoiceField(label="矩阵部门")

    class Meta:
        model = ReviewDepartment
        fields = ["district", "key", "organisation"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from cityrenew.core.permissions import editable_region_ids

        from .services import matrix_for

        districts = Region.objects.filter(level="district")
        ids = editable_region_ids(self.user) if getattr(self, "user", None) is not None else None
        if ids is not None:
            districts = districts.filter(pk__in=ids)
        self.fields["district"].queryset = districts
        self.fields["organisation"].queryset = Organisation.objects.order_by("name")
        district = self.instance.district if self.instance.pk else districts.first()
        matrix = matrix_for(district) if district is not None else None
        from .matrix import packaged_matrix

        self.fields["key"].choices = [(d.key, d.name) for d in (matrix or packaged_matrix()).departments]
        self.apply_field_rules()


class ReviewSettingsForm(forms.ModelForm):
    class Meta:
        model = ReviewSettings
        fields = ["matrix_toml", "due_workdays"]
        widgets = {"matrix_toml": forms.Textarea(attrs={"rows": 18, "cols": 100, "spellcheck": "false"})}

    def clean_matrix_toml(self):
        text = self.cleaned_data.get("matrix_toml", "")
        if text.strip():
            try:
                parse_matrix(text)
            except MatrixError as exc:
                raise forms.ValidationError(str(exc)) from exc
        return text

    def clean_due_workdays(self):
        n = self.cleaned_data.get("due_workdays")
        if n is not None and not 1 <= n <= 250:
            raise forms.ValidationError("审查时限应在1至250个工作日之间，或留空不设期限")
        return n
