"""Map layers of the project library (项目库): every project with a location, by status."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from cityrenew.map.features import RecordURL, choice_label
from cityrenew.map.filters import (
    choice_filter,
    choice_options,
    district_ids,
    district_options,
    int_value,
)
from cityrenew.map.registry import GEOJSON, Layer, register

from .choices import STATUS_SOURCE, ProjectCategory, ProjectStatus
from .models import RenewalProject

STATUS_COLOURS = {
    ProjectStatus.PLANNING: "#9aa5b1",
    ProjectStatus.RESERVE: "#7b8fd1",
    ProjectStatus.LIBRARY: "#2f6fde",
    ProjectStatus.IMPLEMENTING: "#e8590c",
    ProjectStatus.COMPLETED: "#1b7f3b",
    ProjectStatus.REMOVED: "#5c5f66",
}

ProjectDistrict = RenewalProject.districts.through


def projects(request):
    """The projects a signed-in user reads: the whole library (as the project list shows it)."""
    return RenewalProject.objects.prefetch_related("districts")


def in_district(qs, value):
    inside = ProjectDistrict.objects.filter(renewalproject_id=OuterRef("pk"), region_id__in=district_ids(value))
    return qs.filter(Exists(inside))


def year_options(request):
    years = RenewalProject.objects.exclude(start_year=None).order_by("-start_year").values_list("start_year", flat=True).distinct()
    return [(str(y), f"{y}年") for y in years]


def district_names(project: RenewalProject) -> str:
    return "、".join(d.display_name for d in project.districts.all())


register(Layer(
    name="projects",
    title="城市更新项目",
    group="项目库",
    kind=GEOJSON,
    queryset=projects,
    geom_field="location",
    geometry="mixed",
    properties={
        "code": "code",
        "name": "name",
        "status": "status",
        "status_label": choice_label("status", ProjectStatus.choices),
        "category": "category",
        "category_label": choice_label("category", ProjectCategory.choices),
        "total_investment": "total_investment",
        "start_year": "start_year",
        "districts": district_names,
        "url": RecordURL("projects:project_detail", "code"),
    },
    popup=[("code", "项目编号"), ("name", "项目名称"), ("status_label", "项目状态"), ("category_label", "更新类型"),
           ("total_investment", "总投资（亿元）"), ("districts", "所在区域"), ("start_year", "开工年份")],
    filters={
        "district": in_district,
        "year": lambda qs, v: qs.filter(start_year=int_value(v, "year")),
        "status": choice_filter("status", "status", ProjectStatus.choices),
        "category": choice_filter("category", "category", ProjectCategory.choices),
    },
    filter_options={
        "district": district_options,
        "year": year_options,
        "status": choice_options(ProjectStatus.choices),
        "category": choice_options(ProjectCategory.choices),
    },
    search=("code", "name"),
    style={"colour_by": "status", "colours": {str(k): v for k, v in STATUS_COLOURS.items()}, "colour": "#2f6fde",
           "size_by": "total_investment"},
    legend=[{"label": str(label), "colour": STATUS_COLOURS[ProjectStatus(value)]} for value, label in ProjectStatus.choices],
    citation=str(STATUS_SOURCE),
    visible=True,
    order=20,
))
