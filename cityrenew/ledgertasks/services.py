"""Evaluate a city's ledger into stored verdicts, build renewal task lists and progress, turn ledger rows
into draft projects, and compute the check-up values the ledgers define (indicator 2).

Task lists (更新任务清单): the rows with a mandatory verdict (:data:`MANDATORY`) grouped by district and
category, measured in the category's unit (:func:`unit_of`: km of pipe, 台 of elevators and boilers, 只
of cylinders …); the remaining quantity is spread evenly over the years from the evaluation year to the
deadline of the city's province (:data:`DEADLINES`, each citing the article that sets its year; none where
no document sets one). Progress is the
quantity of those rows whose ledger status is 已完成更新 over the whole target.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from cityrenew.catalogue.policies import Citation, cite
from cityrenew.core.choices import RegionLevel, Role
from cityrenew.core.models import Region
from cityrenew.core.permissions import region_ids_for
from cityrenew.ledgers.choices import PIPE_CATEGORIES, LedgerKind, LedgerStatus
from cityrenew.ledgers.frame import ledger_frame
from cityrenew.ledgers.models import LEDGER_MODELS, Equipment
from cityrenew.ledgers.rules import RuleError, calendar_age, evaluate

from .models import CityRuleSettings, LedgerEvaluation, LedgerProjectLink, LedgerVerdict

KIND_LABELS = dict(LedgerKind.choices)
BATCH = 5_000
REASON_CHUNK = 20_000

# Verdicts that put a row on the renewal task list, per ledger kind.
MANDATORY: dict[str, tuple[str, ...]] = {
    "equipment": ("强制更新",),
    "building": ("第一类老旧楼宇", "第二类老旧楼宇"),
    "community": ("重点改造对象",),
    "dangerous_housing": ("一屋一策", "拆除改造", "加固改建重建"),
}


@dataclass(frozen=True)
class Deadline:  # 完成时限: the year and the article that sets it
    year: int
    citation: Citation


def _deadline(scope: str, year: int, document: str, article: str, note: str, *, item: str = "") -> Deadline:
    return Deadline(year, cite(document, article, note, rule=f"台账更新任务截止年限：{scope}{year}年底", item=item))


_HEBEI = _deadline("河北省设备更新（未另定年限的类别）", 2027, "HE-2024-EQUIPMENT", "一、", "到2027年，对不满足有关强制性标准规范、节能环保不达标、国家或行业规定需淘汰的设备，按计划完成更新改造")
_SHANXI = _deadline("山西省设备更新（未另定年限的类别）", 2027, "SX-2024-EQUIPMENT", "一、", "到2027年，对技术落后、不满足有关标准规范、节能环保不达标的设备按计划完成更新改造（方案总目标，各类设备未另定年限的均按此）")
_GUANGDONG = _deadline("广东省设备更新", 2027, "GD-2024-EQUIPMENT", "一、", "到2027年，对技术落后、不满足有关标准规范、节能环保不达标的设备，按计划完成更新改造（方案总目标）")

# Deadlines of the mandatory renewal of equipment per province, each from the article of the province's
# equipment-renewal plan that sets it; "*" = every category the plan gives no year of its own (the plan's
# general target year, said in the note). A province not listed has no deadline here (None, "未规定").
DEADLINES: dict[str, dict[str, Deadline]] = {
    "河南省": {"*": _deadline("河南省设备强制性更新", 2028, "HA-2024-128", "一、（三）", "2028年底前按计划完成强制性更新改造（工作目标，不分设备类别）")},
    "河北省": {"*": _HEBEI,
               "燃气管道": _deadline("河北省燃气管道", 2025, "HE-2024-EQUIPMENT", "一、", "1835公里存量燃气老旧管网力争2024年底、确保2025年上半年完成更新改造并动态清零")},
    "山西省": {"*": _SHANXI,
               "供水管道": _deadline("山西省供水管道", 2025, "SX-2024-EQUIPMENT", "二、（三）", "到2025年底，完成现存的老旧供水管网改造任务", item="2."),
               "污水管道": _deadline("山西省污水管道", 2025, "SX-2024-EQUIPMENT", "二、（四）", "到2025年底，完成现存的老旧污水收集管网改造任务", item="2."),
               "供热管道": _deadline("山西省供热管道", 2025, "SX-2024-EQUIPMENT", "二、（五）", "到2025年底，完成现存的老旧供热管网改造任务"),
               "燃气管道": _deadline("山西省燃气管道", 2025, "SX-2024-EQUIPMENT", "二、（六）", "到2025年底，完成现存的老旧燃气管网改造任务")},
    "上海市": {"*": _deadline("上海市设备更新（未另定年限的类别）", 2027, "SH-2024-380", "一、", "至2027年按计划完成技术落后、不满足有关标准规范、节能环保不达标设备的更新改造（行动方案总目标）"),
               "燃气管道": _deadline("上海市燃气管道", 2027, "SH-2024-380", "二、（八）", "力争至2027年累计完成街坊和道路老旧燃气管道改造2500公里")},
    "广东省": {"*": _GUANGDONG},
}
# Provinces whose documents on a ledger kind were read and set no completion year: the task list says so
# (文件未规定完成年限) instead of inventing one. 《北京市老旧低效楼宇更新实施办法（试行）》（京建法〔2024〕14号）
# defines the two classes of 老旧低效楼宇 (第二条) but sets no year by which they must be renewed.
NO_DEADLINE: dict[str, frozenset[str]] = {"building": frozenset({"北京市"})}
NO_DEADLINE_TEXT = "文件未规定完成年限"
UNSET_DEADLINE_TEXT = "未规定"

COMMUNITY_DEADLINE = _deadline("城镇老旧小区改造", 2025, "GBF-2020-23", "一、（三）", "到“十四五”期末（2025年），力争基本完成2000年底前建成的需改造城镇老旧小区改造任务")


def deadline_for(province: str, kind: str, category: str) -> Deadline | None:
    """The year by which the renewal tasks of ``category`` must be done in ``province``, with its article;
    None where no document sets one (see :func:`no_deadline_text`)."""
    if kind == "community":
        return COMMUNITY_DEADLINE
    if kind != "equipment":
        return None
    table = DEADLINES.get(province)
    if table is None:
        return None
    return table.get(category) or table["*"]


def no_deadline_text(province: str, kind: str) -> str:
    """What the task list shows when :func:`deadline_for` is None: the document sets none, or none is known."""
    return NO_DEADLINE_TEXT if province in NO_DEADLINE.get(kind, ()) else UNSET_DEADLINE_TEXT


def unit_of(kind: str, category: str) -> str:
    """The unit a category's task is counted in (公里 of pipe, 台 of equipment …)."""
    if kind != "equipment":
        return {"community": "个", "building": "栋", "dangerous_housing": "处"}[kind]
    if category in PIPE_CATEGORIES:
        return "公里"
    if category in ("液化石油气钢瓶",):
        return "只"
    if category in ("生命线感知设备",):
        return "个"
    if category in ("换热站", "液化石油气充装站", "二次供水设施"):
        return "座"
    return "台"


# --- who sees what ------------------------------------------------------------------------------
def visible_region_ids(user: Any) -> set[int] | None:
    """Regions whose ledger rows ``user`` may see (None: all): a 区级 user sees their districts only."""
    return region_ids_for(user, [r.value for r in Role])


def city_of(user: Any) -> Region | None:
    """The city the user works in (the first city-level region of their roles; the only city otherwise)."""
    from cityrenew.core.permissions import roles_of

    for ra in roles_of(user):
        r = ra.region
        if r.level == RegionLevel.CITY:
            return r
        city = next((a for a in r.ancestors() if a.level == RegionLevel.CITY), None)
        if city is not None:
            return city
    return Region.objects.filter(level=RegionLevel.CITY).order_by("code").first()


def district_of(region: Region) -> Region | None:
    if region.level == RegionLevel.DISTRICT:
        return region
    return next((r for r in region.ancestors() if r.level == RegionLevel.DISTRICT), None)


def settings_for(city: Region) -> CityRuleSettings | None:
    return CityRuleSettings.objects.filter(city=city).first()


# --- evaluation into stored verdicts ------------------------------------------------------------------
def evaluate_ledger(kind: str, city: Region, *, province: str = "", as_of: date | None = None, user: Any = None,
                    progress: Callable[[int, int, str], None] | None = None) -> LedgerEvaluation:
    """Evaluate every row of ledger ``kind`` in ``city`` at once and store one verdict per row (replacing
    the previous ones in one transaction). The province and readings come from the city's rule settings
    unless ``province`` is given. Raises :class:`~cityrenew.ledgers.rules.RuleError` (Chinese)."""
    if kind not in LEDGER_MODELS:
        raise RuleError(f"未知的台账类型“{kind}”")
    step = progress or (lambda *a: None)
    conf = settings_for(city)
    config = conf.rule_config() if conf is not None else None
    province = province or (conf.province if conf is not None else "")
    if not province:
        raise RuleError(f"{city.display_name}尚未设置适用的省份规则目录，请市级管理员先在“规则配置”中选择")
    if config is not None and config.province != province:
        config = None if not (config.readings or config.local_rules) else type(config)(province, config.readings, config.local_rules, config.city, config.extra_readings)
    as_of = as_of or timezone.localdate()
    model = LEDGER_MODELS[kind]
    step(0, 0, "读取台账")
    frame = ledger_frame(kind, model.objects.filter(region__path__startswith=city.path))
    n = len(frame)
    step(0, n, f"按{province}规则判定 {n} 行")
    result = evaluate(frame, kind, province, as_of, config)
    masks = result.fired_bits | result.unknown_bits
    interesting = np.flatnonzero(masks != 0)
    rules_of: dict[int, list[dict]] = {}
    for start in range(0, len(interesting), REASON_CHUNK):
        part = interesting[start:start + REASON_CHUNK]
        for pos, entries in zip(part.tolist(), result.fired_many(part)):
            rules_of[pos] = [{k: e.get(k, "") for k in ("id", "title", "verdict", "source", "document", "article", "item", "reason")}
                             for e in entries]
        step(min(start + REASON_CHUNK, len(interesting)), len(interesting), "整理命中规则与理由")
    now = timezone.now()
    ids = frame["id"].to_numpy()
    codes = frame["code"].astype(str).to_numpy()
    regions = frame["region_id"].to_numpy()
    cats = frame["category"].fillna("").astype(str).to_numpy() if "category" in frame.columns else np.full(n, "")
    verdicts = result.verdicts["verdict"].astype(str).to_numpy()
    with transaction.atomic():
        run = LedgerEvaluation(kind=kind, city=city, province=province, ruleset_version=result.version[:200], as_of=as_of,
                               rows=n, counts={str(k): int(v) for k, v in result.counts.items()}, readings=dict(result.readings),
                               evaluated_by=user if getattr(user, "pk", None) else None)
        run.save()
        LedgerVerdict.objects.filter(kind=kind, region__path__startswith=city.path).delete()
        _insert_verdicts(kind, n, ids, codes, regions, cats, verdicts, rules_of, run, now, step)
    step(n, n, "判定完成")
    return run


VERDICT_COLUMNS = ("kind", "row_id", "code", "region", "category", "verdict", "rules", "evaluation", "province",
                   "ruleset_version", "as_of", "evaluated_at", "evaluated_by")


def _insert_verdicts(kind, n, ids, codes, regions, cats, verdicts, rules_of, run, now, step) -> None:
    """New verdict rows by ``executemany`` in batches (``bulk_create`` builds a model instance per row and
    spends most of a large evaluation preparing values); each value prepared by its field as Django would."""
    meta = LedgerVerdict._meta
    fields = [meta.get_field(name) for name in VERDICT_COLUMNS]
    q = connection.ops.quote_name
    sql = (f"INSERT INTO {q(meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    prep = {f.name: f for f in fields}
    empty_rules = prep["rules"].get_db_prep_save([], connection)
    const = [prep["province"].get_db_prep_save(run.province, connection), prep["ruleset_version"].get_db_prep_save(run.ruleset_version, connection),
             prep["as_of"].get_db_prep_save(run.as_of, connection), prep["evaluated_at"].get_db_prep_save(now, connection),
             run.evaluated_by_id]
    with connection.cursor() as cur:
        for start in range(0, n, BATCH):
            batch = []
            for i in range(start, min(start + BATCH, n)):
                fired = rules_of.get(i)
                batch.append([kind, int(ids[i]), codes[i], int(regions[i]), cats[i][:32], verdicts[i][:16],
                              prep["rules"].get_db_prep_save(fired, connection) if fired else empty_rules, run.pk, *const])
            cur.executemany(sql, batch)
            step(min(start + BATCH, n), n, "写入判定结果")


def verdict_of_row(kind: str, row_id: int) -> LedgerVerdict | None:
    return LedgerVerdict.objects.filter(kind=kind, row_id=row_id).select_related("evaluation", "evaluated_by").first()


def rules_with_articles(verdict: LedgerVerdict) -> list[dict]:
    """The verdict's fired rules, each with its article from the policy library (text and link) when it resolves."""
    from cityrenew.catalogue.policies import Citation
    from cityrenew.policies.citations import resolve_article

    out = []
    for r in verdict.rules:
        # a local rule citing a document outside the library has no article: shown without text
        art = resolve_article(Citation(r["document"], r["article"])) if r.get("document") and r.get("article") else None
        out.append({**r, "article_obj": art, "article_url": (f"/policies/{art.document.key}/{art.number}/#a{art.number}" if art else "")})
    return out


# --- task lists and progress --------------------------------------------------------------------
@dataclass
class TaskLine:  # 一个区县、一个类别的更新任务
    district: str
    district_id: int
    category: str
    unit: str
    target: float = 0.0
    completed: float = 0.0
    rows: int = 0
    rows_completed: int = 0
    deadline: Deadline | None = None
    no_deadline: str = ""  # shown instead of a year when no document sets one (no_deadline_text)
    per_year: dict[int, float] = field(default_factory=dict)
    overdue: bool = False  # the deadline passed before the evaluation year with work remaining

    @property
    def remaining(self) -> float:
        return max(self.target - self.completed, 0.0)

    @property
    def progress_pct(self) -> float | None:
        return round(100.0 * self.completed / self.target, 1) if self.target else None


def _quantity_field(kind: str, category: str) -> str | None:
    if kind == "equipment" and category in PIPE_CATEGORIES:
        return "length_km"
    if kind == "equipment" and category in ("液化石油气钢瓶", "生命线感知设备"):
        return "quantity"
    return None


def task_lines(kind: str, city: Region, *, user: Any = None, year: int | None = None) -> list[TaskLine]:
    """The renewal task list of ``kind`` in ``city`` (rows with a mandatory verdict), by district and category,
    with quantities, completed quantities and the yearly plan to the deadline. Limited to what ``user`` sees."""
    model = LEDGER_MODELS[kind]
    verdicts = LedgerVerdict.objects.filter(kind=kind, verdict__in=MANDATORY[kind], region__path__startswith=city.path)
    visible = visible_region_ids(user) if user is not None else None
    if visible is not None:
        verdicts = verdicts.filter(region_id__in=visible)
    run = LedgerEvaluation.objects.filter(kind=kind, city=city).first()
    province = run.province if run else (getattr(settings_for(city), "province", "") or "")
    start = year or (run.as_of.year if run else timezone.localdate().year)
    rows = model.objects.filter(pk__in=verdicts.values("row_id"))
    cat_field = "category" if kind == "equipment" else None
    group = ["region_id", "status"] + ([cat_field] if cat_field else [])
    agg = rows.values(*group).annotate(n=Count("id"), **({"km": Sum("length_km"), "q": Sum("quantity")} if kind == "equipment" else {}))
    districts: dict[int, Region | None] = {}
    lines: dict[tuple[int, str], TaskLine] = {}
    for a in agg:
        rid = a["region_id"]
        if rid not in districts:
            districts[rid] = district_of(Region.objects.get(pk=rid))
        d = districts[rid]
        if d is None:
            continue
        category = a.get(cat_field) if cat_field else KIND_LABELS[kind]
        qf = _quantity_field(kind, category) if cat_field else None
        qty = float((a["km"] if qf == "length_km" else a["q"]) or 0) if qf else float(a["n"])
        if qf == "quantity" and not qty:
            qty = float(a["n"])
        line = lines.setdefault((d.pk, category), TaskLine(d.display_name, d.pk, category, unit_of(kind, category),
                                                           deadline=deadline_for(province, kind, category)))
        line.target += qty
        line.rows += a["n"]
        if a["status"] == LedgerStatus.RENEWED:
            line.completed += qty
            line.rows_completed += a["n"]
    for line in lines.values():
        if line.deadline is None:  # no year to spread the work over, nothing can be overdue
            line.no_deadline = no_deadline_text(province, kind)
            line.target, line.completed = round(line.target, 3), round(line.completed, 3)
            continue
        last = max(line.deadline.year, start)
        line.overdue = line.deadline.year < start and line.remaining > 0
        years = list(range(start, last + 1))
        if line.unit == "公里":
            share = line.remaining / len(years)
            line.per_year = {y: round(share, 3) for y in years}
        else:  # whole units: the earlier years take the remainder (7 台 over 2 years → 4, 3)
            base, extra = divmod(round(line.remaining), len(years))
            line.per_year = {y: base + (1 if i < extra else 0) for i, y in enumerate(years)}
        line.target, line.completed = round(line.target, 3), round(line.completed, 3)
    return sorted(lines.values(), key=lambda x: (x.district, x.category))


def progress_by(lines: Iterable[TaskLine], key: str) -> list[dict]:
    """Progress summed by ``district`` or ``category`` (quantities in one unit only are summed together)."""
    acc: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for line in lines:
        k = (getattr(line, key), line.unit)
        acc[k][0] += line.target
        acc[k][1] += line.completed
    return [{"name": name, "unit": unit, "target": round(t, 3), "completed": round(c, 3),
             "pct": round(100 * c / t, 1) if t else None} for (name, unit), (t, c) in sorted(acc.items())]


# --- rows → draft project -----------------------------------------------------------------------
class LedgerTaskError(ValueError):
    """A request on ledger rows that cannot be done (Chinese message)."""


def rows_to_project(kind: str, row_ids: list[int], user: Any = None, *, name: str = ""):
    """Selected ledger rows → a draft (谋划) project in the library, each row linked back (as check-up problems do).

    Code: the next free ``K{year}99nnn`` (batch 99, reserved for generated drafts); districts: the rows'.
    """
    from cityrenew.checkup.services.problems import next_project_code
    from cityrenew.checkup.services.runs import _ensure_actor
    from cityrenew.core import geo
    from cityrenew.projects.choices import ProjectCategory, ProjectStatus
    from cityrenew.projects.models import RenewalProject
    from cityrenew.projects.permissions import can_create_in

    model = LEDGER_MODELS[kind]
    rows = list(model.objects.filter(pk__in=row_ids).select_related("region").order_by("code"))
    if not rows:
        raise LedgerTaskError("请至少选择一行台账")
    linked = set(LedgerProjectLink.objects.filter(kind=kind, row_id__in=[r.pk for r in rows]).values_list("code", flat=True))
    if linked:
        raise LedgerTaskError(f"台账行“{min(linked)}”已关联项目，不能重复生成项目")
    districts: list[Region] = []
    for r in rows:
        d = district_of(r.region)
        if d is None:
            raise LedgerTaskError(f"台账行“{r.code}”所在区域“{r.region}”不属于任何区县，不能生成项目")
        if d not in districts:
            districts.append(d)
    if user is not None and not can_create_in(user, districts):
        raise LedgerTaskError("您没有在这些区县创建项目的权限")
    city = next(a for a in [districts[0], *districts[0].ancestors()] if a.level == RegionLevel.CITY)
    verdicts = {v.row_id: v for v in LedgerVerdict.objects.filter(kind=kind, row_id__in=[r.pk for r in rows])}
    category = ProjectCategory.OLD_COMMUNITY if kind == "community" else (
        ProjectCategory.EXISTING_BUILDING if kind == "building" else ProjectCategory.INFRASTRUCTURE)
    label = KIND_LABELS[kind]
    if not name:
        cats = sorted({getattr(r, "category", "") or label for r in rows})
        name = f"{'、'.join(d.display_name for d in districts[:2])}{'、'.join(cats[:2])}{'等' if len(cats) > 2 else ''}更新改造项目"
    lines = [f"由{label}台账生成（{len(rows)}行）："]
    for i, r in enumerate(rows, 1):
        v = verdicts.get(r.pk)
        lines.append(f"{i}. {r.code} {r.name}".rstrip() + (f"：{v.verdict}（{'；'.join(x['source'] for x in v.rules[:2])}）" if v else ""))
    pts = []
    for r in rows:
        if r.location is not None:
            c = r.location.centroid
            pts.append([c.x, c.y])
    year = timezone.localdate().year
    with transaction.atomic(), _ensure_actor(user, "web"):
        project = RenewalProject(
            code=next_project_code(year), name=name[:300], city=city,
            region_group=districts[0].group if len({d.group_id for d in districts}) == 1 else None,
            total_investment=Decimal(0), category=category, status=ProjectStatus.PLANNING,
            start_year=year + 1, location=geo.parse({"type": "MultiPoint", "coordinates": pts}) if pts else None,
            description="\n".join(lines)[:5000],
        )
        project.full_clean(exclude=["districts"])
        project.save()
        project.districts.set(districts)
        for r in rows:
            LedgerProjectLink(kind=kind, row_id=r.pk, code=r.code, project=project).save()
            if r.status == LedgerStatus.IN_USE:
                r.status = LedgerStatus.PLANNED
                r.save()
    return project


# --- check-up values the ledgers define -----------------------------------------------------------
GAS_RISER_YEARS = 20  # 指标2：住宅燃气立管、引入管、水平管运行年限满20年，且存在锈蚀严重、破损等安全隐患
GAS_INDICATOR_SOURCE = cite("MOHURD-CHECKUP-2025", "指标2", "住宅燃气立管、引入管、水平管运行年限满20年，且存在锈蚀严重、破损等安全隐患",
                            rule="由设施设备台账计算体检指标2（存在燃气安全隐患的住宅数量）")


def gas_hazard_count(city: Region, as_of: date) -> tuple[int, int]:
    """指标2 from the equipment ledger: gas pipe rows (燃气管道) that reached 20 full years of service on
    ``as_of`` (满20年: on the 20th anniversary of 投用日期, not the day before) and have 安全隐患 = 是.
    Returns (count, gas pipe rows considered)."""
    qs = Equipment.objects.filter(category="燃气管道", region__path__startswith=city.path).exclude(status=LedgerStatus.RETIRED)
    data = list(qs.values_list("commissioned", "hazard"))
    if not data:
        return 0, 0
    import pandas as pd

    years, _ = calendar_age(pd.Series([d for d, _ in data]), as_of)
    hazard = np.array([h is True for _, h in data])
    return int(((years >= GAS_RISER_YEARS) & hazard).sum()), len(data)


def attach_gas_indicator(run, user: Any = None) -> dict[str, Any]:
    """Attach 指标2 (存在燃气安全隐患的住宅数量) computed from the equipment ledger as of 31 Dec of the run's
    year to check-up ``run``, with its source and citation; a value a department reported is kept."""
    from cityrenew.checkup.choices import ValueSource
    from cityrenew.checkup.models import IndicatorValue
    from cityrenew.checkup.services.evaluation import LEDGER_VALUE_NOTE, _target_indicator
    from cityrenew.checkup.services.runs import _ensure_actor

    ind = _target_indicator(run, 2)
    if ind is None:
        return {"attached": False, "reason": "本次体检的指标体系中没有指标2（存在燃气安全隐患的住宅数量）"}
    as_of = date(run.year, 12, 31)
    count, considered = gas_hazard_count(run.city, as_of)
    note = (f"{LEDGER_VALUE_NOTE}：截至{as_of.isoformat()}运行满{GAS_RISER_YEARS}年且存在安全隐患的燃气管道{count}处"
            f"（共{considered}处燃气管道）；依据《{GAS_INDICATOR_SOURCE.doc.title}》{GAS_INDICATOR_SOURCE.where}")[:300]
    row = IndicatorValue.objects.filter(run=run, indicator=ind, unit__isnull=True).first()
    if row is not None and row.source == ValueSource.REPORTED:
        return {"attached": False, "value": count, "reason": f"{ind.label}已有部门填报值，未覆盖"}
    with _ensure_actor(user, "system"):
        if row is None:
            row = IndicatorValue(run=run, indicator=ind, unit=None, value=Decimal(count), note=note,
                                 source=ValueSource.COMPUTED, entered_by=user if getattr(user, "pk", None) else None)
            row.save()
        else:
            row.value, row.note, row.source = Decimal(count), note, ValueSource.COMPUTED
            if row.audit_diff():
                row.save()
    return {"attached": True, "value": count, "considered": considered, "as_of": as_of.isoformat(), "indicator": ind.pk}
