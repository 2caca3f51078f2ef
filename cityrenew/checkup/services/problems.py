"""Field problems (现场问题): recording, problem-count indicators, 问题整治完成率, and turning problems
into remediation tasks or draft projects in the library.

Project codes for projects generated from check-up problems
-----------------------------------------------------------
The Zhengzhou project code is ``K`` + year + 2-digit batch + 3-digit sequence (K202201001, see
:mod:`cityrenew.projects.models`). Batches are numbered from 01 by the city's adjustment notices;
CityRenew reserves batch **99** for draft projects created from check-up problems, so a draft made
from the 2025 check-up gets the next free code ``K202599001``, ``K202599002`` … . When the city adds
the project to a real batch it may re-code it; the problems keep their link by foreign key.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from cityrenew.catalogue.policies import cite
from cityrenew.core import geo
from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Organisation, Region
from cityrenew.core.uploads import validate_photo
from cityrenew.projects.choices import ProjectCategory, ProjectStatus
from cityrenew.projects.models import RenewalProject

from ..catalogue import DEFAULT_SUGGESTION, SUGGESTIONS_2025
from ..choices import Dimension, ProblemStatus, Severity, UnitKind
from ..models import AssessmentUnit, CheckupRun, FieldProblem, Indicator, ProblemPhoto, RemediationTask, SubProblemType
from .permissions import can_manage_city, can_record_problems
from .runs import CheckupError, _ensure_actor, department_organisation

RESERVED_BATCH = "99"  # project-code batch reserved for drafts generated from check-up problems
RESERVED_BATCH_NOTE = "项目编号批次99保留给由城市体检问题生成的谋划项目（K+年份+99+序号）"

# Distinct units counted by a problem-count indicator, per dimension: buildings for 住房, 小区 for 小区（社区）.
COUNT_LEVEL = {Dimension.HOUSING: UnitKind.BUILDING, Dimension.COMMUNITY: UnitKind.COMPOUND}

CATEGORY_BY_DIMENSION = {
    Dimension.HOUSING: ProjectCategory.OLD_COMMUNITY,
    Dimension.COMMUNITY: ProjectCategory.COMPLETE_COMMUNITY,
    Dimension.BLOCK: ProjectCategory.OLD_BLOCK,
    Dimension.CITY: ProjectCategory.INFRASTRUCTURE,
}
# Indicators whose problems belong to a more specific renewal task (2025 numbering, matched by name).
CATEGORY_BY_NAME = {
    "需要更新改造的老旧厂区数量": ProjectCategory.OLD_FACTORY,
    "城中村改造完成率": ProjectCategory.URBAN_VILLAGE,
    "历史文化街区、历史建筑挂牌建档率": ProjectCategory.HERITAGE,
    "历史建筑空置率": ProjectCategory.HERITAGE,
    "城市黑臭水体数量": ProjectCategory.ECOLOGY,
}
CATEGORY_SOURCE = cite("CPC-2025-URBAN-RENEWAL", "二、（一）", "问题所在维度对应的更新任务类型", rule="体检问题对应的更新任务类型",
                       through="二、（八）")

# China's bounding box (degrees, WGS84) — a coordinate outside it is a typing error.
LON_RANGE = (73.0, 136.0)
LAT_RANGE = (3.0, 54.0)


def suggestion_for(indicator: Indicator, sub_problem: SubProblemType | None = None) -> str:
    if sub_problem is not None and sub_problem.suggestion:
        return sub_problem.suggestion
    if indicator.indicator_set.year >= 2025 and not indicator.is_local:
        return SUGGESTIONS_2025.get(indicator.number, DEFAULT_SUGGESTION)
    return DEFAULT_SUGGESTION


@transaction.atomic
def record_problem(
    run: CheckupRun,
    indicator: Indicator,
    unit: AssessmentUnit,
    user: Any = None,
    *,
    sub_problem: SubProblemType | str | None = None,
    severity: str | None = None,
    description: str = "",
    lon: float | None = None,
    lat: float | None = None,
    suggestion: str = "",
    photos: Iterable[Any] = (),
) -> FieldProblem:
    """A surveyor records one problem on a building/小区/街区 (checked; Chinese messages)."""
    if user is not None and not can_record_problems(user, run, unit):
        raise CheckupError("您没有在该体检中记录问题的权限")
    if indicator.indicator_set_id != run.indicator_set_id:
        raise CheckupError(f"{indicator.label}不在本次体检的指标体系“{run.indicator_set.code}”中")
    if unit.city_id != run.city_id:
        raise CheckupError(f"体检单元“{unit.name}”不在{run.city.display_name}范围内")
    if isinstance(sub_problem, str):
        code = sub_problem
        sub_problem = indicator.sub_problems.filter(code=code).first()
        if sub_problem is None:
            raise CheckupError(f"{indicator.label}没有问题细项“{code}”")
    if sub_problem is not None and sub_problem.indicator_id != indicator.pk:
        raise CheckupError(f"问题细项“{sub_problem}”不属于{indicator.label}")
    if severity is None:
        severity = (sub_problem.default_severity if sub_problem else "") or Severity.GENERAL
    if severity not in Severity.values:
        raise CheckupError(f"严重程度“{severity}”无效，应为一般、较严重或严重")
    if lon is None and lat is None:
        lon, lat = unit.centroid_lon, unit.centroid_lat
    if (lon is None) != (lat is None):
        raise CheckupError("经度和纬度须同时填写")
    if lon is not None and not (LON_RANGE[0] <= lon <= LON_RANGE[1] and LAT_RANGE[0] <= lat <= LAT_RANGE[1]):
        raise CheckupError(f"坐标（{lon}, {lat}）不在中国范围内，请检查经纬度是否填反")
    photos = list(photos)
    for photo in photos:  # images by content, whoever calls (pages, API, scripts)
        try:
            validate_photo(photo)
        except ValidationError as exc:
            raise CheckupError("；".join(exc.messages)) from None
    with _ensure_actor(user, "web"):
        p = FieldProblem(
            run=run, indicator=indicator, sub_problem=sub_problem, unit=unit, severity=severity,
            description=description, lon=lon, lat=lat, recorded_by=user,
            suggestion=suggestion or suggestion_for(indicator, sub_problem),
        )
        p.save()
        for photo in photos:
            ProblemPhoto(problem=p, image=photo).save()
    return p


def counted_unit(problem: FieldProblem) -> AssessmentUnit:
    level = COUNT_LEVEL.get(problem.indicator.dimension)
    if level is None:
        return problem.unit
    return problem.unit.ancestor_of_kind(level) or problem.unit


def problem_count(run: CheckupRun, indicator: Indicator) -> int:
    """A problem-count indicator's value: distinct buildings (住房) or 小区 (小区（社区）) with a problem.

    E.g. 指标2 存在燃气安全隐患的住宅数量 = number of buildings with at least one gas problem record.
    """
    problems = FieldProblem.objects.filter(run=run, indicator=indicator).select_related("unit__parent__parent", "indicator")
    return len({counted_unit(p).pk for p in problems})


def is_fixed(problem: FieldProblem) -> bool:
    if problem.status == ProblemStatus.FIXED:
        return True
    if problem.project_id and problem.project.status == ProjectStatus.COMPLETED:
        return True
    if problem.remediation_task_id and problem.remediation_task.status == ProblemStatus.FIXED:
        return True
    return False


FIXED_Q = (
    Q(status=ProblemStatus.FIXED)
    | Q(project__status=ProjectStatus.COMPLETED)
    | Q(remediation_task__status=ProblemStatus.FIXED)
)


def completion_rate(run: CheckupRun) -> tuple[Decimal | None, int, int]:
    """问题整治完成率 (指标60) of ``run``: share of the previous check-up's problems fixed since.

    A problem counts as fixed when it is marked 已整治, or its project is 竣工, or its remediation
    task is 已整治. Returns ``(percent rounded half-up to 0.01, fixed, total)``; percent is None when
    the previous check-up recorded no problems.
    """
    prev = run.previous_run()
    if prev is None:
        return None, 0, 0
    qs = FieldProblem.objects.filter(run=prev)
    total = qs.count()
    if not total:
        return None, 0, 0
    fixed = qs.filter(FIXED_Q).count()
    rate = (Decimal(100) * fixed / total).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return rate, fixed, total


def _district_of(region: Region) -> Region | None:
    if region.level == RegionLevel.DISTRICT:
        return region
    return next((r for r in region.ancestors() if r.level == RegionLevel.DISTRICT), None)


def next_project_code(year: int) -> str:
    prefix = f"K{year}{RESERVED_BATCH}"
    codes = RenewalProject.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    used = [int(c[len(prefix):]) for c in codes if c[len(prefix):].isdigit()]
    n = max(used, default=0) + 1
    if n > 999:
        raise CheckupError(f"{year}年保留批次99的项目编号已用完（最多999个）")
    return f"{prefix}{n:03d}"


def _problems(problems: Iterable[FieldProblem] | Any) -> list[FieldProblem]:
    items = list(problems.select_related("run__city", "indicator__indicator_set", "unit__region") if hasattr(problems, "select_related") else problems)
    if not items:
        raise CheckupError("请至少选择一个问题")
    runs = {p.run_id for p in items}
    if len(runs) > 1:
        raise CheckupError("所选问题来自不同的城市体检，不能合并处理")
    return items


@transaction.atomic
def problems_to_project(
    problems: Iterable[FieldProblem] | Any,
    user: Any = None,
    *,
    name: str = "",
    total_investment: Decimal | str = Decimal("0"),
    category: str | None = None,
    implementing_entity: Organisation | None = None,
) -> RenewalProject:
    """Turn selected problems into a draft (谋划) project in the library; each problem links back.

    Code: next free ``K{year}99nnn`` (batch 99 reserved, see module docstring). Districts: those
    of the problems' units. Category: from the indicators' dimension.
    """
    items = _problems(problems)
    run = items[0].run
    linked = [p for p in items if p.project_id]
    if linked:
        raise CheckupError(f"问题“{linked[0]}”已关联项目{linked[0].project.code}，不能重复生成项目")
    districts = []
    for p in items:
        d = _district_of(p.unit.region)
        if d is None:
            raise CheckupError(f"体检单元“{p.unit.name}”没有所在区县，不能生成项目")
        if d not in districts:
            districts.append(d)
    if user is not None and not can_manage_city(user, run.city):
        from cityrenew.projects.permissions import can_create_in

        if not can_create_in(user, districts):
            raise CheckupError("您没有在这些区县创建项目的权限")
    if category is None:
        cats = {CATEGORY_BY_NAME.get(p.indicator.name) or CATEGORY_BY_DIMENSION[p.indicator.dimension] for p in items}
        category = cats.pop() if len(cats) == 1 else ProjectCategory.UNCLASSIFIED
    inds = sorted({p.indicator.name for p in items})
    if not name:
        where = "、".join(dict.fromkeys(p.unit.name for p in items[:3])) + ("等" if len(items) > 3 else "")
        name = f"{where}{inds[0] if len(inds) == 1 else '城市体检问题'}整治项目"
    groups = {d.group_id for d in districts}
    lines = [f"由{run}问题清单生成（{len(items)}个问题）："]
    lines += [f"{i}. {p.unit.name}：{p.sub_problem.name if p.sub_problem_id else p.indicator.name}"
              f"（{p.get_severity_display()}）{p.description}" for i, p in enumerate(items, start=1)]
    points = [[p.lon, p.lat] for p in items if p.lon is not None and p.lat is not None]
    with _ensure_actor(user, "web"):
        project = RenewalProject(
            code=next_project_code(run.year),
            name=name[:300],
            city=run.city,
            region_group=districts[0].group if len(groups) == 1 else None,
            total_investment=Decimal(str(total_investment)),
            category=category,
            status=ProjectStatus.PLANNING,
            implementing_entity=implementing_entity,
            start_year=run.year + 1,
            location=geo.parse({"type": "MultiPoint", "coordinates": points}) if points else None,
            description="\n".join(lines),
        )
        project.full_clean(exclude=["districts"])
        project.save()
        project.districts.set(districts)
        for p in items:
            p.project = project
            if p.status == ProblemStatus.OPEN:
                p.status = ProblemStatus.IN_PROGRESS
            p.save()
    return project


@transaction.atomic
def problems_to_task(
    problems: Iterable[FieldProblem] | Any,
    user: Any = None,
    *,
    title: str = "",
    organisation: Organisation | None = None,
    suggestion: str = "",
    due_year: int | None = None,
) -> RemediationTask:
    """Turn selected problems into one remediation task (整治任务) with a responsible unit."""
    items = _problems(problems)
    run = items[0].run
    if user is not None and not can_manage_city(user, run.city):
        raise CheckupError("只有市级管理员可以下达整治任务")
    taken = [p for p in items if p.remediation_task_id]
    if taken:
        raise CheckupError(f"问题“{taken[0]}”已属于整治任务“{taken[0].remediation_task}”")
    ind = items[0].indicator
    if organisation is None and ind.department:
        organisation = department_organisation(run.city, ind.department)
    if not suggestion:
        suggestion = "；".join(dict.fromkeys(p.suggestion or suggestion_for(p.indicator, p.sub_problem) for p in items))
    if not title:
        title = f"{ind.name}整治（{len(items)}处）"
    with _ensure_actor(user, "web"):
        task = RemediationTask(run=run, title=title[:300], organisation=organisation, suggestion=suggestion,
                               due_year=due_year or run.year + 1, created_by=user)
        task.save()
        for p in items:
            p.remediation_task = task
            if p.status == ProblemStatus.OPEN:
                p.status = ProblemStatus.IN_PROGRESS
            p.save()
    return task


def set_problem_status(problem: FieldProblem, status: str, user: Any = None) -> FieldProblem:
    if status not in ProblemStatus.values:
        raise CheckupError(f"整治状态“{status}”无效")
    with _ensure_actor(user, "web"):
        problem.status = status
        problem.save()
    return problem


def can_update_remediation(user: Any, task: RemediationTask) -> bool:
    """市级管理员, or a 部门填报员/审核员 of the task's responsible unit (责任单位)."""
    if can_manage_city(user, task.run.city):
        return True
    if not getattr(user, "is_authenticated", False) or task.organisation_id is None:
        return False
    from cityrenew.core.choices import Role
    from cityrenew.core.models import RoleAssignment

    return RoleAssignment.objects.filter(
        user=user, role__in=[Role.DEPT_EDITOR, Role.DEPT_REVIEWER], organisation_id=task.organisation_id
    ).exists()


def set_remediation_status(task: RemediationTask, status: str, user: Any = None) -> RemediationTask:
    """Mark a remediation task 待整治 / 整治中 / 已整治; its problems then count as fixed for
    问题整治完成率 (指标60, :func:`completion_rate`)."""
    if status not in ProblemStatus.values:
        raise CheckupError(f"整治状态“{status}”无效")
    if user is not None and not can_update_remediation(user, task):
        raise CheckupError(f"您没有更新整治任务“{task.title}”状态的权限：只有市级管理员或责任单位可以更新")
    with _ensure_actor(user, "web"):
        task.status = status
        task.save()
    return task
