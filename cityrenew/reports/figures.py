"""The figures of a progress report and of the national statistics, computed from the records (报送数据).

Every figure names the records and fields it comes from (:data:`SOURCES`), shown next to it on the pages
and in the Excel and Word files. Amounts are Decimal, written to JSON as text: project investment in
亿元 (the library's unit, summed exactly through ``investment_micro``), funding in 万元 (``FundingLine``).

National statistics (全国城市更新统计, the five figures MOHURD publishes, seed 000 第3段):

* 新开工改造城镇老旧小区 — library projects of category 城镇老旧小区改造 whose 开工年份 is the year (a count of
  projects: the ledger of old communities has no start date, so communities are not counted by year);
* 加装电梯 — ledger 设施设备 rows of category 住宅电梯 whose 投用日期 falls in the year;
* 建设改造地下管网 — sum of 长度（公里） of ledger 设施设备 pipe rows (燃气/供水/污水/排水/供热管道) whose 投用日期
  falls in the year;
* 口袋公园, 城市绿道 — no record type holds them yet: reported as "无此类记录", never as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum

from cityrenew.catalogue.policies import cite
from cityrenew.core.models import Region
from cityrenew.projects.choices import FundingSource, ProjectCategory, ProjectStatus

NATIONAL_SOURCE = cite("NEWS-XINHUA-2026-RENEWAL", "第3段",
                       "住房城乡建设部数据：新开工改造城镇老旧小区、加装电梯、口袋公园、城市绿道、建设改造地下管网",
                       rule="全国城市更新统计口径（五项）")
MICRO = Decimal("1000000")
NO_RECORDS = "无此类记录"


def text(value: Decimal | int | None) -> str:
    """A Decimal as text without trailing zeros (12.500000 → 12.5); None → ""."""
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    s = format(value, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


@dataclass(frozen=True)
class Stat:  # 全国统计项
    key: str
    label: str
    unit: str
    source: str  # which records and fields; "" when no record type exists


NATIONAL_STATS = [
    Stat("communities_started", "新开工改造城镇老旧小区项目", "个",
         "项目库：更新类型 = 城镇老旧小区改造，开工年份 = 该年（按项目计；老旧小区台账没有开工日期，不按小区计）"),
    Stat("elevators_added", "加装电梯", "部", "台账·设施设备：设备类别 = 住宅电梯，投用日期在该年（每行计 1 部）"),
    Stat("pocket_parks", "口袋公园", "个", ""),
    Stat("greenways_km", "城市绿道", "公里", ""),
    Stat("pipes_km", "建设改造地下管网", "公里",
         "台账·设施设备：设备类别 = 燃气/供水/污水/排水/供热管道，投用日期在该年，长度（公里）之和"),
]

SOURCES = {
    "projects": "项目库：城市 = 本市的全部项目（项目总投资，亿元）；总数不含已调出项目",
    "projects_started": "项目库：开工年份 = 该年",
    "projects_completed": "项目库：完工年份 = 该年",
    "communities": "台账·城镇老旧小区：所在区域在本市，按状态计",
    "equipment": "台账·设施设备：所在区域在本市，投用日期在该年",
    "checkup": "城市体检：本市该年度及以前最近一次体检的指标评价结果",
    "funding": "资金计划：本市项目该年度各渠道的计划、到位、支出金额（万元）",
}


def _city_rows(model, city: Region):
    return model.objects.filter(region__path__startswith=city.path)


def national_row(city: Region, year: int) -> dict[str, str | None]:
    """The five national figures of ``city`` in ``year`` (text; None where no record type exists)."""
    from cityrenew.ledgers.choices import PIPE_CATEGORIES, EquipmentCategory
    from cityrenew.ledgers.models import Equipment
    from cityrenew.projects.models import RenewalProject

    started = RenewalProject.objects.filter(city=city, category=ProjectCategory.OLD_COMMUNITY, start_year=year).count()
    eq = _city_rows(Equipment, city).filter(commissioned__year=year)
    elevators = eq.filter(category=EquipmentCategory.ELEVATOR).count()
    pipes = eq.filter(category__in=PIPE_CATEGORIES).aggregate(s=Sum("length_km"))["s"] or Decimal("0")
    return {"communities_started": str(started), "elevators_added": str(elevators), "pocket_parks": None,
            "greenways_km": None, "pipes_km": text(pipes)}


def has_data(city: Region, year: int) -> bool:
    """True when any record of ``city`` is dated in ``year``: a funding line, a project started or completed,
    equipment commissioned, or a check-up of that year. Snapshots without a year (statuses) do not count."""
    from cityrenew.checkup.models import CheckupRun
    from cityrenew.funding.models import FundingLine
    from cityrenew.ledgers.models import Equipment
    from cityrenew.projects.models import RenewalProject

    return (
        FundingLine.objects.filter(project__city=city, year=year).exists()
        or RenewalProject.objects.filter(Q(start_year=year) | Q(end_year=year), city=city).exists()
        or _city_rows(Equipment, city).filter(commissioned__year=year).exists()
        or CheckupRun.objects.filter(city=city, year=year).exists()
    )


def collect(city: Region, year: int) -> dict[str, Any]:
    """Every figure of ``city``'s progress report for ``year``, JSON-ready (Decimals as text)."""
    from cityrenew.checkup.choices import Verdict
    from cityrenew.checkup.models import CheckupRun, Evaluation
    from cityrenew.funding.models import FundingLine
    from cityrenew.ledgers.choices import LedgerStatus
    from cityrenew.ledgers.models import Equipment, OldCommunity
    from cityrenew.projects.models import RenewalProject

    projects = RenewalProject.objects.filter(city=city)
    counted = projects.exclude(status=ProjectStatus.REMOVED)
    agg = counted.aggregate(n=Count("id"), micro=Sum("investment_micro"))
    by_status = {r["status"]: r for r in projects.values("status").annotate(n=Count("id"), micro=Sum("investment_micro"))}
    by_category = {r["category"]: r for r in counted.values("category").annotate(n=Count("id"), micro=Sum("investment_micro"))}

    def money(micro: int | None) -> str:
        return text(Decimal(micro or 0) / MICRO)

    communities = {r["status"]: r["n"] for r in _city_rows(OldCommunity, city).values("status").annotate(n=Count("id"))}
    equipment = (_city_rows(Equipment, city).filter(commissioned__year=year).values("category")
                 .annotate(n=Count("id"), km=Sum("length_km")).order_by("category"))

    run = CheckupRun.objects.filter(city=city, year__lte=year).order_by("-year").first()
    checkup = None
    if run is not None:
        verdicts = dict(Evaluation.objects.filter(run=run).values_list("verdict").annotate(n=Count("id")))
        checkup = {"run": str(run), "year": run.year, "status": run.get_status_display(),
                   "verdicts": [{"verdict": label, "count": verdicts.get(value, 0)} for value, label in Verdict.choices]}

    lines = (FundingLine.objects.filter(project__city=city, year=year).values("channel")
             .annotate(planned=Sum("planned"), received=Sum("received"), spent=Sum("spent")))
    by_channel = {r["channel"]: r for r in lines}
    labels = dict(FundingSource.choices)
    channels = [{"channel": labels.get(ch, ch), "planned": text(r["planned"]), "received": text(r["received"]),
                 "spent": text(r["spent"])} for ch, r in sorted(by_channel.items(), key=lambda kv: _order(kv[0]))]
    totals = {k: text(sum((r[k] for r in by_channel.values()), Decimal("0"))) for k in ("planned", "received", "spent")}

    return {
        "city": city.display_name, "city_code": city.code, "year": year,
        "projects": {
            "count": agg["n"] or 0, "investment": money(agg["micro"]),
            "started": projects.filter(start_year=year).count(), "completed": projects.filter(end_year=year).count(),
            "by_status": [{"status": label, "count": by_status[v]["n"], "investment": money(by_status[v]["micro"])}
                          for v, label in ProjectStatus.choices if v in by_status],
            "by_category": [{"category": label, "count": by_category[v]["n"], "investment": money(by_category[v]["micro"])}
                            for v, label in ProjectCategory.choices if v in by_category],
        },
        "ledgers": {
            "communities_total": sum(communities.values()),
            "communities_by_status": [{"status": label, "count": communities.get(v, 0)} for v, label in LedgerStatus.choices],
            "equipment": [{"category": r["category"], "count": r["n"], "length_km": text(r["km"])} for r in equipment],
        },
        "checkup": checkup,
        "funding": {"by_channel": channels, "totals": totals},
        "national": national_row(city, year),
    }


def _order(channel: str) -> int:
    values = list(FundingSource.values)
    return values.index(channel) if channel in values else len(values)


def statistics(cities: list[Region], years: list[int]) -> list[dict[str, Any]]:
    """Rows (year, city, the five figures) for every city and year, then a 合计 row per year.

    The same figures as :func:`national_row`, in three grouped queries whatever the number of cities and
    years (a ministry's view over hundreds of cities), summed per city in Python from the region paths.
    """
    from django.db.models.functions import ExtractYear

    from cityrenew.ledgers.choices import PIPE_CATEGORIES, EquipmentCategory
    from cityrenew.ledgers.models import Equipment
    from cityrenew.projects.models import RenewalProject

    if not cities or not years:
        return []
    started = {(r["city_id"], r["start_year"]): r["n"] for r in RenewalProject.objects.filter(
        city__in=cities, category=ProjectCategory.OLD_COMMUNITY, start_year__in=years)
        .values("city_id", "start_year").annotate(n=Count("id"))}
    q = Q()
    for c in cities:
        q |= Q(path__startswith=c.path)
    city_of: dict[int, int] = {}
    for rid, path in Region.objects.filter(q).values_list("id", "path"):
        owner = max((c for c in cities if path.startswith(c.path)), key=lambda c: len(c.path))
        city_of[rid] = owner.pk
    elevators: dict[tuple[int, int], int] = {}
    pipes: dict[tuple[int, int], Decimal] = {}
    eq = (Equipment.objects.filter(region_id__in=list(city_of), commissioned__year__gte=min(years),
                                   commissioned__year__lte=max(years),
                                   category__in=[EquipmentCategory.ELEVATOR, *PIPE_CATEGORIES])
          .annotate(y=ExtractYear("commissioned")).values("region_id", "y", "category")
          .annotate(n=Count("id"), km=Sum("length_km")).order_by())
    for r in eq:
        key = (city_of[r["region_id"]], r["y"])
        if r["category"] == EquipmentCategory.ELEVATOR:
            elevators[key] = elevators.get(key, 0) + r["n"]
        else:
            pipes[key] = pipes.get(key, Decimal("0")) + (r["km"] or Decimal("0"))
    rows = []
    for year in years:
        per_city = []
        for c in cities:
            key = (c.pk, year)
            per_city.append({"communities_started": str(started.get(key, 0)), "elevators_added": str(elevators.get(key, 0)),
                             "pocket_parks": None, "greenways_km": None, "pipes_km": text(pipes.get(key, Decimal("0")))})
        rows += [{"year": year, "city": c.display_name, **r} for c, r in zip(cities, per_city)]
        total: dict[str, Any] = {"year": year, "city": "合计"}
        for st in NATIONAL_STATS:
            vals = [r[st.key] for r in per_city]
            total[st.key] = None if any(v is None for v in vals) else text(sum((Decimal(v) for v in vals), Decimal("0")))
        rows.append(total)
    return rows
