"""Forms of implementation plans: the plan, a new version, a material, a revision request and its
answers, an expert review, a permit, a state change."""

from __future__ import annotations

from typing import Any

from django import forms

from cityrenew.core.choices import OrganisationKind, RegionLevel, Role
from cityrenew.core.fieldrules import FieldRulesFormMixin
from cityrenew.core.models import Organisation, Region
from cityrenew.core.permissions import region_ids_for
from cityrenew.core.uploads import validate_attachment
from cityrenew.projects.models import RenewalProject

from .choices import MaterialKind
from .models import ExpertReview, ImplementationPlan, PermitRecord
from .permissions import CONTENT_STATES, LAND_STATES, entity_org_ids, is_authority

CONTENT_FIELDS = ("title", "coordinator", "category", "summary", "other_rights")
LAND_FIELDS = ("land_first_done", "land_all_done")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProjectChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RenewalProject) -> str:
        return f"{obj.code} {obj.name}"


class PlanForm(FieldRulesFormMixin, forms.ModelForm):
    """Create or edit a 实施方案. The field rules disable what the user's role may not write; the
    plan's state disables the rest: content only while 编制中/意见征询中/退回修改, land dates after the notice."""

    project = ProjectChoiceField(label="所属项目", queryset=RenewalProject.objects.order_by("code"),
                                 error_messages={"required": "请选择所属项目", "invalid_choice": "所选项目不存在"})

    class Meta:
        model = ImplementationPlan
        fields = ["code", "title", "project", "district", "entity", "coordinator", "category", "summary",
                  "other_rights", "expert_review_required", "land_first_done", "land_all_done"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 5}), "land_first_done": DATE, "land_all_done": DATE}
        error_messages = {
            "code": {"required": "请填写方案编号", "unique": "方案编号已存在，不能重复"},
            "title": {"required": "请填写方案名称"},
            "district": {"required": "请选择所在区"},
            "entity": {"required": "请选择实施主体"},
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["district"].queryset = Region.objects.filter(level=RegionLevel.DISTRICT).order_by("code")
        entities = Organisation.objects.filter(kind=OrganisationKind.ENTITY).order_by("name")
        self.fields["coordinator"].queryset = entities
        mine = entity_org_ids(user) if user is not None else set()
        plan = self.instance
        if plan.pk is None and mine and not is_authority_anywhere(user):
            entities = entities.filter(pk__in=mine)
            scope = region_ids_for(user, [Role.ENTITY_EDITOR])
            if scope is not None:  # an entity registers plans in the districts of its role only
                self.fields["district"].queryset = self.fields["district"].queryset.filter(pk__in=scope)
                self.fields["district"].error_messages["invalid_choice"] = "所选区超出您的授权区划范围"
                self.fields["project"].error_messages["invalid_choice"] = "所选项目不在您的授权区划范围内"
                self.fields["project"].queryset = RenewalProject.objects.filter(districts__in=scope).distinct().order_by("code")
            if len(mine) == 1:
                self.initial["entity"] = next(iter(mine))
                self.fields["entity"].empty_label = None
        self.fields["entity"].queryset = entities
        if plan.pk is not None:
            authority = user is not None and is_authority(user, plan)
            if plan.state not in CONTENT_STATES and not authority:
                self._lock(CONTENT_FIELDS, f"方案当前状态为“{plan.get_state_display()}”，退回修改前不能修改")
            if plan.state not in LAND_STATES:
                self._lock(LAND_FIELDS, "公示期满、办理许可和土地手续时填写（第十八条）")
        else:
            for name in LAND_FIELDS:
                self.fields.pop(name)

    def _lock(self, names: tuple[str, ...], why: str) -> None:
        for name in names:
            f = self.fields.get(name)
            if f is not None and not f.disabled:
                f.disabled, f.required, f.help_text = True, False, why
                f.widget.attrs.update({"readonly": True, "title": why, "data-field-rule": "read-only"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        project, district = data.get("project"), data.get("district")
        if project is not None and district is not None and self.instance.pk is None:
            if not project.districts.filter(pk=district.pk).exists():
                names = "、".join(d.display_name for d in project.districts.all()) or "（未登记）"
                self.add_error("district", f"所在区必须是项目{project.code}的所在区域之一：{names}")
        first, whole = data.get("land_first_done"), data.get("land_all_done")
        if first and whole and whole < first:
            self.add_error("land_all_done", "全部用地手续办结日期不能早于首期用地手续办结日期")
        opinion = self.instance.opinion_date
        for name in LAND_FIELDS:
            if data.get(name) and opinion and data[name] < opinion:
                self.add_error(name, f"不能早于联合审查意见日期 {opinion.isoformat()}")
        return data


def is_authority_anywhere(user: Any) -> bool:
    from cityrenew.core.permissions import can_edit_any

    return can_edit_any(user)


class VersionForm(forms.Form):
    document = forms.FileField(label="方案文本", validators=[validate_attachment],
                               error_messages={"required": "请选择方案文本文件（PDF、Word 等）"})
    change_note = forms.CharField(label="修改说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label="材料类别", choices=[c for c in MaterialKind.choices if c[0] != MaterialKind.PLAN])
    file = forms.FileField(label="文件", validators=[validate_attachment], error_messages={"required": "请选择要上传的文件"})
    description = forms.CharField(label="说明", max_length=300, required=False)


class RevisionRequestForm(forms.Form):
    items = forms.CharField(label="需修改、补充、完善的内容（每行一项）", widget=forms.Textarea(attrs={"rows": 5}),
                            error_messages={"required": "请至少列出一项需修改、补充、完善的内容"})
    note = forms.CharField(label="总体意见", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def item_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["items"].splitlines() if line.strip()]


class TransitionForm(forms.Form):
    target = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label="说明", required=False, max_length=2000)


class ExpertReviewForm(forms.ModelForm):
    class Meta:
        model = ExpertReview
        fields = ["held_on", "experts", "conclusion", "opinion", "file"]
        widgets = {"held_on": DATE, "opinion": forms.Textarea(attrs={"rows": 3})}
        error_messages = {"held_on": {"required": "请填写评审日期", "invalid": "评审日期格式应为 YYYY-MM-DD"},
                          "experts": {"required": "请填写评审专家"}, "opinion": {"required": "请填写评审意见"}}


class PermitForm(forms.ModelForm):
    class Meta:
        model = PermitRecord
        fields = ["kind", "mode", "name", "number", "issuer", "issued_on", "file"]
        widgets = {"issued_on": DATE}
        error_messages = {"issued_on": {"required": "请填写办结日期", "invalid": "办结日期格式应为 YYYY-MM-DD"},
                          "name": {"required": "请填写许可或备案名称"}}
