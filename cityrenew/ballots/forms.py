from __future__ import annotations

from django import forms

from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.plans.models import ImplementationPlan
from cityrenew.plans.workflow import actors_of

from .choices import Choice, Matter
from .models import OwnerUnit, Vote

DT = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VoteForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = Vote
        fields = ["plan", "title", "matter", "building", "unit", "description", "opens_at", "closes_at"]
        widgets = {"opens_at": DT, "closes_at": DT, "description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if user is not None and "plan" in self.fields:
            plans = ImplementationPlan.objects.select_related("district").order_by("code")
            self.fields["plan"].queryset = plans.filter(pk__in=[p.pk for p in plans if actors_of(p, user)])
            if not self.is_bound and self.instance.pk is None and (initial := self.initial.get("plan")):
                self.fields["plan"].initial = initial
        self.apply_field_rules()

    def clean(self):
        data = super().clean()
        if self.instance.pk:  # the form shows minutes: an unchanged minute keeps the stored seconds
            stored = Vote.objects.get(pk=self.instance.pk)
            for f in ("opens_at", "closes_at"):
                old = getattr(stored, f)
                if data.get(f) and old and data[f] == old.replace(second=0, microsecond=0):
                    data[f] = old
        opens, closes = data.get("opens_at"), data.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", "截止时间须晚于开始时间")
        if data.get("matter") == Matter.ELEVATOR:
            for f in ("building", "unit"):
                if not data.get(f):
                    self.add_error(f, "加装电梯表决须填写电梯所在的楼栋和单元（同一单元的业主共同决定，河南附表A1序号2）")
        if self.instance.pk and "closes_at" in self.changed_data and closes:
            from django.utils import timezone

            before = Vote.objects.get(pk=self.instance.pk)
            if before.opens_at <= timezone.now() and closes < before.closes_at.replace(second=0, microsecond=0):
                self.add_error("closes_at", "表决开始后不能提前截止（可以延长，延长记入变更记录）")
        if self.instance.pk and self.instance.units.exclude(code_hash="").exists():
            stored = Vote.objects.get(pk=self.instance.pk)
            for f in ("matter", "building", "unit", "opens_at"):
                new, old = data.get(f), getattr(stored, f)
                if f == "opens_at" and new and old:  # the form shows minutes: compare at that precision
                    new, old = new.replace(second=0, microsecond=0), old.replace(second=0, microsecond=0)
                if f in data and new != old:
                    self.add_error(f, "表决码已发放，不能再修改事项类型、表决范围和开始时间")
        return data


class RegisterForm(forms.Form):
    file = forms.FileField(label="业主名册（CSV 或 xlsx）",
                           help_text="列：楼栋、单元、房号、业主、专有部分面积，可选列：建设单位未售（是/否）")


class PaperBallotForm(forms.Form):
    unit = forms.ModelChoiceField(label="专有部分", queryset=OwnerUnit.objects.none())
    choice = forms.ChoiceField(label="表决意见", choices=Choice.choices, widget=forms.RadioSelect)
    scan = forms.FileField(label="签字表决票扫描件（PDF 或图片）")

    def __init__(self, *args, vote: Vote, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = vote.units.all()
        self.fields["unit"].label_from_instance = lambda u: f"{u.label}（{u.person}）"


class ReissueForm(forms.Form):
    unit = forms.ModelChoiceField(label="专有部分", queryset=OwnerUnit.objects.none())

    def __init__(self, *args, vote: Vote, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = vote.units.filter(code_used_at__isnull=True).exclude(code_hash="")
        self.fields["unit"].label_from_instance = lambda u: f"{u.label}（{u.person}）"


class PublicBallotForm(forms.Form):
    code = forms.CharField(label="表决码", max_length=40)
    choice = forms.ChoiceField(label="表决意见", choices=Choice.choices, widget=forms.RadioSelect)


class ChangeBallotForm(forms.Form):
    receipt = forms.CharField(label="回执码", max_length=40)
    choice = forms.ChoiceField(label="新的表决意见", choices=Choice.choices, widget=forms.RadioSelect)
