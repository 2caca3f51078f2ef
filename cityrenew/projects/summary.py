"""The library summary in the official layout (郑州市城市更新项目库 汇总表).

Region group → district → projects, with district subtotals, group totals and the grand total, as
seed 003 L7480–8443 prints them. Rules taken from the official table:

* a project spanning several districts (e.g. K202201001 中原区/二七区/金水区, 388 亿元) is counted in
  no district subtotal, but in its region group's total and the grand total;
* removed projects (调出) are not in the library;
* totals are rounded half up to 2 decimals (printed as ``"137.30"``).

Sums are taken in the database over the integer column ``investment_micro`` (1e-6 亿元), so they are
exact on SQLite and PostgreSQL alike; no float is involved anywhere.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Iterable

from django.db.models import Count, Q, QuerySet, Sum

from cityrenew.catalogue.policies import cite
from cityrenew.core.choices import RegionLevel
from cityrenew.core.models import Region, RegionGroup

from .choices import ProjectStatus
from .models import AdjustmentBatch, ProjectChange, RenewalProject, from_micro, to_micro

ProjectDistrict = RenewalProject.districts.through

LAYOUT_SOURCE = cite("ZZ-PROJECT-LIBRARY", "表头", "表头及分组：片区分组 → 区域 → 项目；跨区项目不计入各区小计",
                     rule="项目库汇总表的表式")
ROUNDING_SOURCE = cite("ZZ-PROJECT-LIBRARY", "合计", "区域总投资、合计：小计与合计按四舍五入保留两位小数", rule="汇总金额的舍入")

UNGROUPED = "其他区域"
CENT = Decimal("0.01")


def money(value: Decimal | int | str | None, *, micro: bool = False) -> str:
    """An amount in 亿元 as the official tables print it: 2 decimals, rounded half up."""
    d = from_micro(int(value or 0)) if micro else Decimal(str(value or 0))
    return str(d.quantize(CENT, rounding=ROUND_HALF_UP))


def batches_up_to(batch: AdjustmentBatch) -> QuerySet[AdjustmentBatch]:
    """The batches applied up to and including ``batch`` (in the order they were recorded)."""
    return AdjustmentBatch.objects.filter(city_id=batch.city_id, pk__lte=batch.pk)


# 谋划 → 储备 → 入库: only admitted projects are in the library (财办建〔2025〕11号 四、（二）2. 项目储备和生成机制).
NOT_ADMITTED = (ProjectStatus.PLANNING, ProjectStatus.RESERVE)
LIBRARY_SOURCE = cite("MOF-2025-11", "四、（二）", "谋划、储备阶段的项目未入库，不计入项目库汇总", rule="项目库汇总只计入库项目",
                      item="2.")


def library_queryset(
    projects: QuerySet[RenewalProject] | None = None,
    *,
    city: Region | None = None,
    as_of: AdjustmentBatch | None = None,
) -> QuerySet[RenewalProject]:
    """The projects in the library: admitted (入库 or later), not removed, and — with ``as_of`` — as
    the library stood right after that batch.

    Projects still at 谋划 or 储备 (e.g. a draft made from check-up problems) are not in the library
    yet (:data:`NOT_ADMITTED`) and count in no official table.
    """
    qs = RenewalProject.objects.all() if projects is None else projects
    qs = qs.exclude(status__in=NOT_ADMITTED)
    if city is not None:
        qs = qs.filter(city=city)
    if as_of is None:
        return qs.exclude(status=ProjectStatus.REMOVED).exclude(removed_batch__isnull=False)
    if city is None:
        qs = qs.filter(city_id=as_of.city_id)
    applied = batches_up_to(as_of).values("pk")
    qs = qs.filter(Q(batch__isnull=True) | Q(batch__in=applied))
    # removed later than as_of → still in the library then; removed without a batch → out
    removed_now = Q(removed_batch__in=applied) | Q(removed_batch__isnull=True, status=ProjectStatus.REMOVED)
    return qs.exclude(removed_now)


def _investment_overrides(ids_qs: QuerySet, as_of: AdjustmentBatch | None) -> dict[int, int]:
    """project id → investment (micro) it had right after ``as_of``, for projects adjusted later."""
    if as_of is None:
        return {}
    later = (
        ProjectChange.objects.filter(batch__city_id=as_of.city_id, batch_id__gt=as_of.pk, project_id__in=ids_qs)
        .filter(changes__has_key="total_investment")
        .order_by("batch_id", "id")
        .values_list("project_id", "changes")
    )
    out: dict[int, int] = {}
    for pid, changes in later:
        if pid not in out:  # the first later change holds the value as of ``as_of``
            out[pid] = to_micro(Decimal(str(changes["total_investment"][0])))
    return out


def _district_of(region_ids: Iterable[int]) -> dict[int, Region]:
    """Map each region id to its district-level region (a street's project counts in its district)."""
    regions = {r.pk: r for r in Region.objects.filter(pk__in=set(region_ids))}
    out: dict[int, Region] = {}
    need_codes: set[str] = set()
    for r in regions.values():
        if r.level != RegionLevel.DISTRICT:
            need_codes.update(c for c in r.path.strip("/").split("/") if c)
    by_code = {r.code: r for r in Region.objects.filter(code__in=need_codes, level=RegionLevel.DISTRICT)} if need_codes else {}
    for pk, r in regions.items():
        if r.level == RegionLevel.DISTRICT:
            out[pk] = r
        else:
            hit = next((by_code[c] for c in r.path.strip("/").split("/") if c in by_code), None)
            out[pk] = hit or r
    return out


def compute_summary(
    projects: QuerySet[RenewalProject] | None = None,
    *,
    city: Region | None = None,
    as_of: AdjustmentBatch | None = None,
    detail: bool = False,
    group_multi: bool = False,
) -> dict[str, Any]:
    """The library summary as the CLI prints it (``cityrenew projects summary --format json``).

    ``{"total": "7895.45", "count": 276, "groups": [{"name", "total", "count", "districts": [{"name",
    "total", "count"}]}], "multi_district": [{"code", "districts", "total"}]}``. With ``detail=True``
    each district also lists its ``projects`` and each group its cross-district projects
    (``multi_district``), in the official order, for the library layout. ``group_multi`` lists each
    group's cross-district projects without the per-district project lists (the summary page's
    totals view: the detail lists cost a pass over every project, about a second at 100,000).
    """
    qs = library_queryset(projects, city=city, as_of=as_of)
    ids = qs.values("pk")
    overrides = _investment_overrides(ids, as_of)
    base = RenewalProject.objects.filter(pk__in=ids)

    # district count per project (done once; a project with >1 district is a cross-district project)
    multi_ids_qs = (
        ProjectDistrict.objects.filter(renewalproject_id__in=ids)
        .values("renewalproject_id")
        .annotate(n=Count("region_id"))
        .filter(n__gt=1)
        .values("renewalproject_id")
    )
    # evaluated once (the grouping over every project–district link is the costliest part of the
    # summary); a list of ids, unless there are so many that a subquery is the safer parameter count
    multi_ids = [row["renewalproject_id"] for row in multi_ids_qs]
    multi_filter = multi_ids if len(multi_ids) <= 10_000 else multi_ids_qs

    def adjust(rows: dict[Any, list[int]], key_of_project: dict[int, Any]) -> None:
        for pid, micro in overrides.items():
            key = key_of_project.get(pid)
            if key in rows:
                rows[key][0] += micro - current_micro[pid]

    current_micro: dict[int, int] = (
        dict(RenewalProject.objects.filter(pk__in=list(overrides)).values_list("pk", "investment_micro"))
        if overrides
        else {}
    )

    # group totals (all projects, incl. cross-district ones)
    group_rows: dict[Any, list[int]] = {
        row["region_group_id"]: [row["m"] or 0, row["n"]]
        for row in base.values("region_group_id").annotate(m=Sum("investment_micro"), n=Count("pk")).order_by()
    }
    # district subtotals: single-district projects only, summed over the project–district link
    single = ProjectDistrict.objects.filter(renewalproject_id__in=ids).exclude(renewalproject_id__in=multi_filter)
    region_rows: dict[int, list[int]] = {
        row["region_id"]: [row["m"] or 0, row["n"]]
        for row in single.values("region_id")
        .annotate(m=Sum("renewalproject__investment_micro"), n=Count("renewalproject_id"))
        .order_by()
    }
    if overrides:
        group_of = dict(base.filter(pk__in=list(overrides)).values_list("pk", "region_group_id"))
        adjust(group_rows, group_of)
        region_of = dict(single.filter(renewalproject_id__in=list(overrides)).values_list("renewalproject_id", "region_id"))
        adjust(region_rows, region_of)

    # roll streets/communities up to their district
    district_of = _district_of(region_rows)
    district_rows: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    districts: dict[int, Region] = {}
    for rid, (m, n) in region_rows.items():
        d = district_of[rid]
        districts[d.pk] = d
        district_rows[d.pk][0] += m
        district_rows[d.pk][1] += n

    groups = {g.pk: g for g in RegionGroup.objects.filter(pk__in=[k for k in group_rows if k is not None])}
    group_order = sorted(groups.values(), key=lambda g: (g.order, g.pk))

    # cross-district projects
    # (the ids came from the library already: no need to test them against it again)
    multi_qs = RenewalProject.objects.filter(pk__in=multi_ids) if multi_filter is multi_ids else base.filter(pk__in=multi_filter)
    multi = list(multi_qs.order_by("seq", "code").values("pk", "code", "name", "seq", "investment_micro", "region_group_id"))
    multi_districts: dict[int, list[Region]] = defaultdict(list)
    for pid, region in (
        (link.renewalproject_id, link.region)
        for link in ProjectDistrict.objects.filter(renewalproject_id__in=[m["pk"] for m in multi]).select_related("region")
    ):
        multi_districts[pid].append(region)

    projects_by_district: dict[int, list[dict]] = defaultdict(list)
    if detail:
        # plain tuples, not model instances: 100,000 projects in about a second
        for region_id, pk, code, name, seq, micro in (
            single.order_by("renewalproject__seq", "renewalproject__code")
            .values_list("region_id", "renewalproject_id", "renewalproject__code", "renewalproject__name",
                         "renewalproject__seq", "renewalproject__investment_micro")
            .iterator(chunk_size=5000)
        ):
            d = district_of[region_id]
            micro = overrides.get(pk, micro)
            projects_by_district[d.pk].append(
                {"id": pk, "seq": seq, "code": code, "name": name,
                 "total": str(from_micro(micro).normalize()) if micro else "0", "total_exact": from_micro(micro)}
            )
        for rows in projects_by_district.values():
            rows.sort(key=lambda r: (r["seq"] is None, r["seq"] or 0, r["code"]))

    def district_entry(d: Region) -> dict[str, Any]:
        m, n = district_rows[d.pk]
        entry = {"name": d.display_name, "total": money(m, micro=True), "count": n}
        if detail:
            entry["projects"] = projects_by_district[d.pk]
        return entry

    def multi_entry(m: dict) -> dict[str, Any]:
        micro = overrides.get(m["pk"], m["investment_micro"])
        regs = sorted(multi_districts[m["pk"]], key=lambda r: (r.order, r.code))
        entry = {"code": m["code"], "districts": [r.display_name for r in regs], "total": money(micro, micro=True)}
        if detail:
            entry.update(id=m["pk"], seq=m["seq"], name=m["name"], total_exact=from_micro(micro))
        return entry

    result_groups = []
    placed: set[int] = set()
    for g in group_order + ([None] if None in group_rows else []):
        gid = g.pk if g is not None else None
        members = sorted(
            (d for d in districts.values() if (d.group_id if d.group_id in groups else None) == gid and d.pk not in placed),
            key=lambda d: (d.order, d.code),
        )
        placed.update(d.pk for d in members)
        m, n = group_rows.get(gid, [0, 0])
        entry: dict[str, Any] = {
            "name": g.name if g is not None else UNGROUPED,
            "total": money(m, micro=True),
            "count": n,
            "districts": [district_entry(d) for d in members],
        }
        if detail or group_multi:
            entry["multi_district"] = [multi_entry(x) for x in multi if x["region_group_id"] == gid]
        result_groups.append(entry)
    # districts whose projects carry another group than the district's own (rare): list them under 其他
    leftovers = [d for d in districts.values() if d.pk not in placed]
    if leftovers:
        other = next((e for e in result_groups if e["name"] == UNGROUPED), None)
        if other is None:
            other = {"name": UNGROUPED, "total": "0.00", "count": 0, "districts": []}
            if detail or group_multi:
                other["multi_district"] = []
            result_groups.append(other)
        other["districts"] += [district_entry(d) for d in sorted(leftovers, key=lambda d: (d.order, d.code))]

    total_m = sum(m for m, _ in group_rows.values())
    total_n = sum(n for _, n in group_rows.values())
    return {
        "total": money(total_m, micro=True),
        "count": total_n,
        "groups": result_groups,
        "multi_district": [multi_entry(x) for x in multi],
    }


def library_rows(projects: QuerySet[RenewalProject] | None = None, *, city=None, as_of=None) -> list[dict[str, Any]]:
    """The official layout as a flat list of rows for tables and exports.

    Each row is a dict with ``kind`` in ``group`` (banner with the group total), ``multi``
    (a cross-district project with its own 区域/区域总投资), ``project`` (with ``district``,
    ``district_total``, ``first`` — true on the first row of its district block — and ``block_size``),
    and a final ``total`` row. ``no`` is the running 序号 of the printed table.
    """
    s = compute_summary(projects, city=city, as_of=as_of, detail=True)
    rows: list[dict[str, Any]] = []
    no = 0
    for g in s["groups"]:
        rows.append({"kind": "group", "name": g["name"], "total": g["total"], "count": g["count"]})
        for m in g["multi_district"]:
            no += 1
            rows.append({"kind": "multi", "no": no, "code": m["code"], "name": m["name"], "investment": m["total_exact"],
                         "district": "/".join(m["districts"]), "district_total": m["total"], "id": m["id"]})
        for d in g["districts"]:
            for i, p in enumerate(d["projects"]):
                no += 1
                rows.append({"kind": "project", "no": no, "code": p["code"], "name": p["name"], "investment": p["total_exact"],
                             "district": d["name"], "district_total": d["total"], "first": i == 0,
                             "block_size": len(d["projects"]), "id": p["id"]})
    rows.append({"kind": "total", "name": "合计", "total": s["total"], "count": s["count"]})
    return rows


def summary_table(summary: dict[str, Any]) -> str:
    """A plain-text table of a summary (``--format table``)."""
    lines = [f"{'片区分组/区域':<16}{'项目数':>8}{'总投资（亿元）':>16}"]
    for g in summary["groups"]:
        lines.append(f"{g['name']:<16}{g['count']:>8}{g['total']:>16}")
        for d in g["districts"]:
            lines.append(f"  {d['name']:<14}{d['count']:>8}{d['total']:>16}")
    for m in summary["multi_district"]:
        lines.append(f"跨区 {m['code']} {'/'.join(m['districts'])}  {m['total']}")
    lines.append(f"{'合计':<16}{summary['count']:>8}{summary['total']:>16}")
    return "\n".join(lines)
