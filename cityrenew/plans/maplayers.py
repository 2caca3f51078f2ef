"""Map layer of implementation plans (实施方案): each plan at its project's location, coloured by state."""

from __future__ import annotations

from django.db.models import F

from cityrenew.map.features import RecordURL, choice_label
from cityrenew.map.filters import (
    choice_filter,
    choice_options,
    district_ids,
    district_options,
)
from cityrenew.map.registry import GEOJSON, Layer, register

from .choices import PlanCategory
from .choices import PlanState as S
from .permissions import readable_plans
from .workflow import MOVES

STATE_COLOURS = {
    S.DRAFTING: "#9aa5b1", S.CONSULTATION: "#8c7ae6", S.CONSENTED: "#6c5ce7", S.SUBMITTED: "#2f6fde",
    S.PRE_REVIEW: "#1e90ff", S.REVISION: "#e67e22", S.EXPERT_REVIEW: "#00a8a8", S.JOINT_REVIEW: "#0b5ed7",
    S.APPROVED: "#1b7f3b", S.NOT_APPROVED: "#c0392b", S.NOTICE: "#d63384", S.PERMITS: "#198754",
    S.LAND: "#146c43", S.IMPLEMENTATION: "#0f5132", S.WITHDRAWN: "#5c5f66",
}


def plans(request):
    """The plans the user reads, with the project's location as the plan's geometry."""
    return readable_plans(request.user).annotate(plan_location=F("project__location"))


register(Layer(
    name="plans",
    title="城市更新实施方案",
    group="实施方案",
    kind=GEOJSON,
    queryset=plans,
    geom_field="plan_location",
    geometry="mixed",
    properties={
        "code": "code",
        "name": "title",
        "state": "state",
        "state_label": choice_label("state", S.choices),
        "category_label": choice_label("category", PlanCategory.choices),
        "project": "project__code",
        "district": "district__name",
        "entity": "entity__name",
        "url": RecordURL("plans:plan_detail", "code"),
    },
    popup=[("code", "方案编号"), ("name", "方案名称"), ("state_label", "状态"), ("project", "项目编号"),
           ("district", "所在区"), ("entity", "实施主体"), ("category_label", "项目类别")],
    filters={
        "district": lambda qs, v: qs.filter(district_id__in=district_ids(v)),
        "status": choice_filter("state", "status", S.choices),
    },
    filter_options={"district": district_options, "status": choice_options(S.choices)},
    search=("code", "title", "project__code"),
    style={"colour_by": "state", "colours": {str(k): v for k, v in STATE_COLOURS.items()}, "colour": "#2f6fde"},
    legend=[{"label": str(label), "colour": STATE_COLOURS[S(value)]} for value, label in S.choices],
    citation=str(MOVES[0].citation.doc.title),
    order=25,
))
