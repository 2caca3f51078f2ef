"""Who may do what with a progress report, and its state machine (进度报告的生成、报送、退回、接收).

* generate — a 市级管理员 of the city (or a superuser): a new version from the records; refused when the
  year has no data (:func:`figures.has_data`), when a version is awaiting review or already accepted;
  a version not yet submitted is superseded by the new one;
* submit — the same users: 已生成 → 已报送;
* return (with comments) / accept — a province user: a role (市级管理员 or 只读用户) on the province that
  contains the city, or a superuser (ministries): 已报送 → 已退回 / 已接收 (财办建〔2025〕11号 五、).

Every refusal is a :class:`ReportError` with a Chinese message; nothing is written then.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from cityrenew.core.choices import RegionLevel, Role
from cityrenew.core.models import Region
from cityrenew.core.permissions import region_ids_for, roles_of

from .choices import REVIEWABLE, SUBMITTABLE, ReportKind, ReportState
from .figures import collect, has_data
from .models import ProgressReport

MIN_YEAR, MAX_YEAR = 2000, 2100
READ_ROLES = (Role.CITY_ADMIN, Role.DISTRICT_EDITOR, Role.VIEWER)
PROVINCE_ROLES = (Role.CITY_ADMIN, Role.VIEWER)


class ReportError(Exception):
    """A refused report action; ``str(exc)`` is the Chinese message."""


def cities() -> Any:
    return Region.objects.filter(level=RegionLevel.CITY).order_by("code")


def readable_cities(user: Any) -> list[Region]:
    """The cities whose reports, figures and statistics ``user`` reads: those where the user holds a
    role (市级管理员, 区级编辑, 只读用户) on the city itself or on the province above it."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.is_superuser:
        return list(cities())
    paths = [ra.region.path for ra in roles_of(user) if ra.role in READ_ROLES
             and ra.region.level in (RegionLevel.PROVINCE, RegionLevel.CITY)]
    return [c for c in cities() if any(c.path.startswith(p) for p in paths)]


def can_generate(user: Any, city: Region) -> bool:
    ids = region_ids_for(user, {Role.CITY_ADMIN})
    return ids is None or city.pk in ids


def can_review(user: Any, city: Region) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    return any(ra.role in PROVINCE_ROLES and ra.region.level == RegionLevel.PROVINCE and city.path.startswith(ra.region.path)
               for ra in roles_of(user))


def parse_year(value: Any) -> int:
    try:
        year = int(str(value).strip())
    except (TypeError, ValueError):
        raise ReportError(f"「年度」应为四位数字年份（实际为“{value}”）") from None
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ReportError(f"「年度」{year} 超出范围（{MIN_YEAR}–{MAX_YEAR}）")
    return year


TEXT_LIMIT = 20000  # characters per text field: a report's narrative, not an attachment


def _check_texts(texts: dict[str, str]) -> None:
    for name, value in texts.items():
        if len(value or "") > TEXT_LIMIT:
            label = ProgressReport._meta.get_field(name).verbose_name
            raise ReportError(f"「{label}」超过 {TEXT_LIMIT} 字（实际 {len(value)} 字）")


@transaction.atomic
def generate(user: Any, city: Region, year: Any, kind: str = ReportKind.YEARLY, *, progress: str = "",
             problems: str = "", practices: str = "") -> ProgressReport:
    year = parse_year(year)
    if kind not in ReportKind.values:
        raise ReportError(f"「报告类型」“{kind}”不存在")
    if not can_generate(user, city):
        raise ReportError(f"无权生成{city.display_name}的进度报告：只有该市的市级管理员可以生成和报送。")
    _check_texts({"progress": progress, "problems": problems, "practices": practices})
    if not has_data(city, year):
        raise ReportError(f"{city.display_name}{year}年没有可报送的数据（无该年度的资金计划、开工或完工项目、投用设施设备或城市体检），"
                          "不能生成报告。请先录入该年度的记录。")
    versions = ProgressReport.objects.select_for_update().filter(city=city, year=year, kind=kind)
    label = dict(ReportKind.choices)[kind]
    if versions.filter(state=ReportState.SUBMITTED).exists():
        raise ReportError(f"{city.display_name}{year}年{label}已报送、正在审核，审核退回后才能生成新版本。")
    if versions.filter(state=ReportState.ACCEPTED).exists():
        raise ReportError(f"{city.display_name}{year}年{label}已被接收，不能再生成新版本。")
    for old in versions.filter(state=ReportState.GENERATED):
        old.state = ReportState.SUPERSEDED
        old.save()
    version = (versions.aggregate(v=Max("version"))["v"] or 0) + 1
    report = ProgressReport(city=city, year=year, kind=kind, version=version, figures=collect(city, year),
                            title=f"{city.display_name}{year}年城市更新工作进展{label}", progress=progress.strip(),
                            problems=problems.strip(), practices=practices.strip(), generated_by=user if user.is_authenticated else None)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError:  # another generation of the same version won the race (the unique constraint)
        raise ReportError(f"{city.display_name}{year}年{label}第{version}版刚刚已由他人生成，请刷新后查看。") from None
    return report


def _latest(report: ProgressReport) -> None:
    newest = ProgressReport.objects.filter(city=report.city, year=report.year, kind=report.kind).aggregate(v=Max("version"))["v"]
    if report.version != newest:
        raise ReportError(f"{report}不是最新版本（最新为第{newest}版）。")


@transaction.atomic
def update_text(user: Any, report: ProgressReport, **texts: str) -> ProgressReport:
    """Change 工作进展 / 存在问题 / 经验做法 of a version not yet submitted (the figures stay as generated)."""
    from django.core.exceptions import PermissionDenied

    from cityrenew.core.fieldrules import check_fields

    if not can_generate(user, report.city):
        raise ReportError(f"无权修改{report}：只有{report.city.display_name}的市级管理员可以修改。")
    if report.state not in SUBMITTABLE:
        raise ReportError(f"{report}当前状态为“{report.get_state_display()}”，已报送的版本不能修改；如需修改请在退回后生成新版本。")
    try:
        check_fields(user, report, texts)
    except PermissionDenied as exc:
        raise ReportError(str(exc)) from None
    _check_texts(texts)
    for name, value in texts.items():
        setattr(report, name, (value or "").strip())
    report.save()
    return report


@transaction.atomic
def submit(user: Any, report: ProgressReport) -> ProgressReport:
    if not can_generate(user, report.city):
        raise ReportError(f"无权报送{report}：只有{report.city.display_name}的市级管理员可以报送。")
    _latest(report)
    if report.state not in SUBMITTABLE:
        raise ReportError(f"{report}当前状态为“{report.get_state_display()}”，不能报送。")
    report.state = ReportState.SUBMITTED
    report.submitted_by, report.submitted_at = user, timezone.now()
    report.save()
    return report


@transaction.atomic
def review(user: Any, report: ProgressReport, accept: bool, comment: str = "") -> ProgressReport:
    comment = (comment or "").strip()
    if not can_review(user, report.city):
        raise ReportError(f"无权审核{report}：只有该市所在省的省级用户可以接收或退回。")
    if report.state not in REVIEWABLE:
        raise ReportError(f"{report}当前状态为“{report.get_state_display()}”，不能{'接收' if accept else '退回'}。")
    if not accept and not comment:
        raise ReportError("退回时必须填写「审核意见」，说明需要修改的内容。")
    report.state = ReportState.ACCEPTED if accept else ReportState.RETURNED
    report.reviewed_by, report.reviewed_at, report.review_comment = user, timezone.now(), comment
    report.save()
    return report
