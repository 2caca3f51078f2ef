"""Who may read, plan, request and approve project funding (资金权限), written once for pages, API and inbox.

* **read** — whoever reads the project library (市级管理员, 区级编辑, 只读用户 over the project's districts,
  a province-wide viewer included), the finance reviewers of the project's city or district, and the
  implementing entity's clerks (实施主体填报员) for their own projects;
* **plan** (资金计划) — whoever may edit the project (:func:`cityrenew.projects.permissions.can_edit_project`);
* **request** a tranche (拨付申请) — the same, or the implementing entity's clerk;
* **district approval** (区级审核) — a 区级编辑 whose regions hold all the project's districts, or a 市级管理员
  of the city;
* **finance approval** (财政审核) and marking a tranche paid — a 部门审核员 of an organisation the
  project's city names as its finance approver (:class:`~cityrenew.funding.models.FundingSettings`, set by
  the 市级管理员 at ``/funding/settings/``, audited; the demo names 郑州市财政局) whose region holds the
  project's districts. A city that names none has no finance approval until it does (Chinese refusal).

Nobody approves a tranche they requested, and finance never approves what the same person approved for the
district (两级审核由不同人员完成). Superusers pass every region check but not these two.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cityrenew.core.choices import Role
from cityrenew.core.models import Region
from cityrenew.core.permissions import region_ids_for, roles_of
from cityrenew.projects.fieldrules import readable_projects as library_readable
from cityrenew.projects.models import RenewalProject
from cityrenew.projects.permissions import can_edit_project

from .choices import ReviewStage, TrancheState

NO_FINANCE_ORG = ("{city}尚未指定审核拨付申请的财政部门：请市级管理员在「资金 › 财政审核部门」中指定"
                  "（如 {city}财政局），之后由该部门的部门审核员进行财政审核和拨付登记。")


def finance_org_ids(city: Region | None = None) -> set[int]:
    """The organisations named as finance approvers by ``city`` (None: by any city)."""
    from .models import FundingSettings

    qs = FundingSettings.objects.all() if city is None else FundingSettings.objects.filter(city=city)
    return set(qs.values_list("finance_organisations", flat=True)) - {None}


def finance_not_set(city: Region) -> str:
    """The refusal when ``city`` names no finance approver ("" when it does)."""
    return "" if finance_org_ids(city) else NO_FINANCE_ORG.format(city=city.display_name)


def _finance_paths(user: Any, city: Region | None = None) -> list[str]:
    """The regions where ``user`` is a finance approver (of ``city``, or of any city)."""
    roles = [ra for ra in roles_of(user) if ra.role == Role.DEPT_REVIEWER and ra.organisation_id]
    if not roles:
        return []
    orgs = finance_org_ids(city)
    return [ra.region.path for ra in roles if ra.organisation_id in orgs]


def _entity_ids(user: Any) -> set[int]:
    return {ra.organisation_id for ra in roles_of(user) if ra.role == Role.ENTITY_EDITOR and ra.organisation_id}


def _district_ids(project: RenewalProject) -> set[int]:
    return set(project.districts.values_list("id", flat=True))


def _under(paths: list[str], region_ids: set[int]) -> bool:
    """True when every region of ``region_ids`` lies under one of ``paths`` (and there is at least one)."""
    if not paths or not region_ids:
        return False
    q = Q()
    for p in paths:
        q |= Q(path__startswith=p)
    return Region.objects.filter(q, pk__in=region_ids).count() == len(region_ids)


def readable_projects(user: Any) -> QuerySet[RenewalProject] | None:
    """The projects whose funding ``user`` may read; None: every project (superuser)."""
    base = library_readable(user)
    if base is None:
        return None
    q = Q(pk__in=base.values("pk"))
    paths = _finance_paths(user)
    if paths:
        pq = Q()
        for p in paths:
            pq |= Q(path__startswith=p)
        q |= Q(districts__in=Region.objects.filter(pq))
    entities = _entity_ids(user)
    if entities:
        q |= Q(implementing_entity_id__in=entities)
    return RenewalProject.objects.filter(q).distinct()


def can_read(user: Any, project: RenewalProject) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    scope = readable_projects(user)
    return scope is None or scope.filter(pk=project.pk).exists()


def can_plan(user: Any, project: RenewalProject) -> bool:
    """May write ``project``'s funding plan (资金计划)."""
    return can_edit_project(user, project)


def can_plan_any(user: Any) -> bool:
    """May plan some project (市级管理员, 区级编辑): the import page."""
    from cityrenew.core.permissions import can_edit_any

    return can_edit_any(user)


def can_request(user: Any, project: RenewalProject) -> bool:
    """May request a tranche of ``project`` (拨付申请)."""
    if can_edit_project(user, project):
        return True
    return project.implementing_entity_id is not None and project.implementing_entity_id in _entity_ids(user)


def _reviewer_ids(tranche: Any, stage: str) -> set[int]:
    return set(tranche.reviews.filter(stage=stage).values_list("user_id", flat=True))


def can_approve_district(user: Any, tranche: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or user.pk == tranche.requested_by_id:
        return False
    if user.is_superuser:
        return True
    districts = _district_ids(tranche.project)
    editors = region_ids_for(user, [Role.DISTRICT_EDITOR]) or set()
    if districts and districts <= editors:
        return True
    admins = region_ids_for(user, [Role.CITY_ADMIN]) or set()
    return tranche.project.city_id in admins


def can_approve_finance(user: Any, tranche: Any) -> bool:
    if not getattr(user, "is_authenticated", False) or user.pk == tranche.requested_by_id:
        return False
    if user.pk in _reviewer_ids(tranche, ReviewStage.DISTRICT):
        return False
    if finance_not_set(tranche.project.city):
        return False
    if user.is_superuser:
        return True
    return _under(_finance_paths(user, tranche.project.city), _district_ids(tranche.project))


def stage_of(tranche: Any) -> str | None:
    """The review stage a tranche waits for (None: decided)."""
    return {
        TrancheState.REQUESTED: ReviewStage.DISTRICT,
        TrancheState.DISTRICT_APPROVED: ReviewStage.FINANCE,
        TrancheState.APPROVED: ReviewStage.PAYMENT,
    }.get(tranche.state)


def can_decide(user: Any, tranche: Any) -> bool:
    """May take the next decision on ``tranche`` (区级审核, 财政审核 or 拨付)."""
    stage = stage_of(tranche)
    if stage == ReviewStage.DISTRICT:
        return can_approve_district(user, tranche)
    if stage in (ReviewStage.FINANCE, ReviewStage.PAYMENT):
        return can_approve_finance(user, tranche)
    return False


def decision_denial(tranche: Any) -> str:
    stage = stage_of(tranche)
    if stage is None:
        return f"拨付申请“{tranche}”已{tranche.get_state_display()}，不能再审核。"
    if stage == ReviewStage.DISTRICT:
        return "无权进行区级审核：须由项目所在区的区级编辑或市级管理员审核，且申请人不能审核本人的申请。"
    missing = finance_not_set(tranche.project.city)
    if missing:
        return missing
    return "无权进行财政审核或登记拨付：须由本市指定的财政审核部门的部门审核员办理，且不能由申请人或区级审核人办理。"


def pending_for(user: Any, tranches: QuerySet) -> list[Any]:
    """The tranches of ``tranches`` waiting for ``user``'s decision (the inbox and the queue)."""
    states = [TrancheState.REQUESTED, TrancheState.DISTRICT_APPROVED, TrancheState.APPROVED]
    qs = tranches.filter(state__in=states).select_related("project").exclude(requested_by_id=user.pk)
    if not user.is_superuser:
        has_district = bool(region_ids_for(user, [Role.DISTRICT_EDITOR, Role.CITY_ADMIN]))
        has_finance = bool(_finance_paths(user))
        if not (has_district or has_finance):
            return []
        if not has_finance:
            qs = qs.filter(state=TrancheState.REQUESTED)
        if not has_district:
            qs = qs.exclude(state=TrancheState.REQUESTED)
    return [t for t in qs if can_decide(user, t)]


def can_read_attachment(user: Any, name: str) -> bool | None:
    """An attachment file (path under MEDIA_ROOT): readable by whoever reads its project; None: no such file."""
    from .models import TrancheAttachment

    att = TrancheAttachment.objects.filter(file=name).select_related("tranche__project").first()
    if att is None:
        return None
    return can_read(user, att.tranche.project)
