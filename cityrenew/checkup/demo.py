"""Check-up demo data (城市体检演示数据), loaded by ``cityrenew demo`` after the projects demo.

郑州市 2024 (MOHURD-2024, 61 items) and 2025 (MOHURD-2025, 60 items) check-ups: assessment units in
中原区 and 二七区 (街区, 小区, buildings — plausible WGS84 coordinates), department tasks with values
for every reported indicator (deterministic), field problems, one 2024 problem group turned into a
project that is 竣工 (so the 2025 问题整治完成率 counts it), evaluation, and the Word report under
``CITYRENEW_DATA_DIR/reports``. Idempotent: a second run changes nothing.
"""

from __future__ import annotations

import datetime as dt

from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from cityrenew.core import geo
from cityrenew.core.choices import Role
from cityrenew.core.models import Region, RoleAssignment

from .catalogue import SET_2024, SET_2025, load_indicator_sets
from .choices import ProblemStatus, Severity, UnitKind, ValueSource
from .models import AssessmentUnit, CheckupRun, FieldProblem, IndicatorSet
from .services import (
    accept_task,
    create_run,
    department_organisation,
    evaluate_run,
    expected_rows,
    problems_to_project,
    problems_to_task,
    record_problem,
    return_task,
    submit_task,
)
from .services.runs import _write_value

CITY_CODE = "410100"
# 街区 (one per street) with its centre (WGS84 lon, lat); 小区 per community.
BLOCKS = [
    ("410102-S01", "绿东村街区", 113.6236, 34.7541),
    ("410102-S02", "桐柏路街区", 113.6330, 34.7620),
    ("410102-S03", "林山寨街区", 113.6125, 34.7685),
    ("410103-S01", "建中街街区", 113.6478, 34.7362),
    ("410103-S02", "淮河路街区", 113.6390, 34.7230),
]
COMPOUNDS = [  # community code, name, built, households, offset (dlon, dlat) from the block centre
    ("410102-S01-C01", "绿东村小区", 1989, 512, (-0.0021, 0.0012)),
    ("410102-S01-C02", "伏牛路小区", 1992, 420, (0.0018, -0.0010)),
    ("410102-S02-C01", "桐柏路小区", 1995, 366, (0.0012, 0.0015)),
    ("410102-S03-C01", "林山寨小区", 1998, 610, (-0.0015, -0.0012)),
    ("410103-S01-C01", "建中街小区", 1996, 380, (-0.0018, 0.0008)),
    ("410103-S02-C01", "淮河路小区", 1990, 455, (0.0016, 0.0011)),
]
BUILDINGS_PER_COMPOUND = 3

DEMO_DEPT_USERS = [  # username, password, name, role, department
    ("jiaoyu", "cityrenew-jiaoyu", "市教育局填报员", Role.DEPT_EDITOR, "education"),
    ("shuiwu", "cityrenew-shuiwu", "市水务部门填报员", Role.DEPT_EDITOR, "water"),
    ("shenhe", "cityrenew-shenhe", "体检审核员", Role.DEPT_REVIEWER, None),
    ("diaocha", "cityrenew-diaocha", "现场调查员", Role.SURVEYOR, None),
]

# Field problems: (year, indicator name, sub-problem index (1-based, None = none), unit code, severity, description)
PROBLEMS = [
    (2024, "存在燃气安全隐患的住宅数量", 1, "B01", Severity.SEVERE, "燃气立管运行超过20年，锈蚀严重"),
    (2024, "存在燃气安全隐患的住宅数量", 1, "B02", Severity.SEVERE, "引入管锈蚀破损"),
    (2024, "存在燃气安全隐患的住宅数量", 1, "B04", Severity.SERIOUS, "水平干管锈蚀"),
    (2024, "存在楼道安全隐患的住宅数量", 3, "B05", Severity.GENERAL, "消防门无法关闭"),
    (2024, "存在围护安全隐患的住宅数量", 1, "B07", Severity.SERIOUS, "外墙保温层局部脱落约15平方米"),
    (2024, "需要进行适老化改造的住宅数量", 1, "B10", Severity.GENERAL, "六层住宅未加装电梯"),
    (2024, "未配建电动自行车充电设施的小区数量", 2, "X03", Severity.SERIOUS, "楼道飞线充电"),
    (2024, "未实施物业管理的小区数量", 1, "X06", Severity.GENERAL, "无物业服务，环境脏乱"),
    (2025, "存在结构安全隐患的住宅数量", 1, "B03", Severity.SEVERE, "楼梯间承重墙贯穿裂缝"),
    (2025, "存在结构安全隐患的住宅数量", 3, "B11", Severity.SERIOUS, "砖砌体砂浆粉化"),
    (2025, "存在燃气安全隐患的住宅数量", 1, "B04", Severity.SERIOUS, "水平干管锈蚀（上年问题未整治）"),
    (2025, "存在燃气安全隐患的住宅数量", 1, "B13", Severity.SEVERE, "燃气立管锈蚀严重"),
    (2025, "存在楼道安全隐患的住宅数量", 8, "B05", Severity.GENERAL, "楼道停放电动自行车"),
    (2025, "存在楼道安全隐患的住宅数量", 5, "B08", Severity.GENERAL, "灭火器缺失"),
    (2025, "存在围护安全隐患的住宅数量", 3, "B16", Severity.GENERAL, "窗玻璃破损"),
    (2025, "存在管线管道破损的住宅数量", 2, "B09", Severity.SERIOUS, "排水立管渗漏"),
    (2025, "需要进行适老化改造的住宅数量", 1, "B10", Severity.GENERAL, "六层住宅未加装电梯"),
    (2025, "需要进行节能改造的住宅数量", 1, "B14", Severity.GENERAL, "1990年建成，外墙无保温"),
    (2025, "未达标配建养老服务设施的小区数量", 1, "X01", Severity.SERIOUS, "无社区养老服务站"),
    (2025, "未达标配建的公共活动场地的小区数量", 3, "X04", Severity.GENERAL, "健身器材破损"),
    (2025, "未实施生活垃圾分类的小区数量", 2, "X05", Severity.GENERAL, "无分类投放点"),
    (2025, "存在乱停乱放车辆问题的道路数量", 2, "J02", Severity.GENERAL, "桐柏路人行道停车"),
]


def _say(stdout, text: str) -> None:
    if stdout is not None:
        stdout.write(text)


def _units(city: Region) -> dict[str, AssessmentUnit]:
    """Create the demo 街区/小区/buildings (codes DEMO-J01…, DEMO-X01…, DEMO-B01…)."""
    out: dict[str, AssessmentUnit] = {}

    def upsert(code, **values):
        u = AssessmentUnit.objects.filter(code=code).first()
        if u is None:
            u = AssessmentUnit(code=code, city=city, source="演示数据", **values)
            u.save()
        return u

    blocks = {}
    for i, (street, name, lon, lat) in enumerate(BLOCKS, start=1):
        d = 0.006
        ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
        u = upsert(f"DEMO-J{i:02d}", kind=UnitKind.BLOCK, name=name, region=Region.objects.get(code=street),
                   geometry=geo.parse({"type": "Polygon", "coordinates": [ring]}), centroid_lon=lon, centroid_lat=lat)
        blocks[street] = u
        out[f"J{i:02d}"] = u
    b = 0
    for i, (community, name, built, households, (dlon, dlat)) in enumerate(COMPOUNDS, start=1):
        region = Region.objects.get(code=community)
        block = blocks[region.parent.code]
        lon, lat = round(block.centroid_lon + dlon, 6), round(block.centroid_lat + dlat, 6)
        x = upsert(f"DEMO-X{i:02d}", kind=UnitKind.COMPOUND, name=name, region=region, parent=block,
                   geometry=geo.point(lon, lat), centroid_lon=lon, centroid_lat=lat,
                   attributes={"year_built": built, "households": households})
        out[f"X{i:02d}"] = x
        for k in range(1, BUILDINGS_PER_COMPOUND + 1):
            b += 1
            blon, blat = round(lon + 0.0004 * (k - 2), 6), round(lat + 0.0003 * (k % 2), 6)
            out[f"B{b:02d}"] = upsert(
                f"DEMO-B{b:02d}", kind=UnitKind.BUILDING, name=f"{name}{k}号楼", region=region, parent=x,
                geometry=geo.point(blon, blat), centroid_lon=blon, centroid_lat=blat,
                attributes={"year_built": built, "households": 24 + 12 * k, "floors": 6})
    return out


def demo_value(indicator, year: int, unit_code: str = "") -> Decimal:
    """A plausible, deterministic value: percentages 62–98 (2025 a little better), small counts."""
    seed = (sum(map(ord, indicator.name)) * 7 + sum(map(ord, unit_code))) % 97  # same name → same seed in both years
    if indicator.unit == "%":
        base = Decimal(62) + Decimal(seed % 30) + (Decimal("3.5") if year >= 2025 else 0)
        return min(base, Decimal(100))
    if indicator.unit in ("平方米/人",):
        return Decimal("1.6") + Decimal(seed % 12) / 10
    if indicator.unit in ("千米/平方千米",):
        return Decimal("6.8") + Decimal(seed % 20) / 10
    if indicator.unit in ("千米/小时", "公里/小时"):
        return Decimal(22 + seed % 12)
    if indicator.unit.startswith("万立方米"):
        return Decimal(seed % 9) / 10 + Decimal("0.4")
    if indicator.unit == "件/平方千米":
        return Decimal(seed % 40) + 10
    if indicator.unit == "千米":
        return Decimal(seed % 8) / 2
    base = seed % 6
    return Decimal(max(base - (1 if year >= 2025 else 0), 0))


def _fill_run(run: CheckupRun, admin, reviewer) -> None:
    for task in run.tasks.select_related("organisation"):
        for ind, unit in expected_rows(task):
            _write_value(task, ind, unit, demo_value(ind, run.year, unit.code if unit else ""), "演示数据", admin,
                         ValueSource.REPORTED)
        if run.year < 2025 or task.department not in ("culture", "commerce"):
            submit_task(task, admin)
            if run.year >= 2025 and task.department == "water":
                return_task(task, reviewer, "污水集中收集率与年度统计数据不一致，请核实后重新提交")
                submit_task(task, admin)
            accept_task(task, reviewer)


def _problems(run: CheckupRun, units: dict[str, AssessmentUnit], surveyor) -> list[FieldProblem]:
    made = []
    for year, name, sub_idx, code, severity, description in PROBLEMS:
        if year != run.year:
            continue
        ind = run.indicator_set.indicators.get(name=name)
        subs = list(ind.sub_problems.order_by("code"))
        sub = subs[sub_idx - 1] if sub_idx and len(subs) >= sub_idx else None
        made.append(record_problem(run, ind, units[code], surveyor, sub_problem=sub, severity=severity, description=description))
    return made


def _users(city: Region):
    User = get_user_model()
    logins = []
    for username, password, full_name, role, dept in DEMO_DEPT_USERS:
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": full_name})
        if created:
            user.set_password(password)
            user.save()
        org = department_organisation(city, dept) if dept else None
        RoleAssignment.objects.get_or_create(user=user, role=role, region=city, organisation=org)
        logins.append((username, password, full_name))
    return logins


def report_path(run: CheckupRun) -> Path:
    return Path(settings.DATA_DIR) / "reports" / f"{run.city.display_name}{run.year}年城市体检报告.docx"


def load(stdout=None):
    load_indicator_sets()
    city = Region.objects.get(code=CITY_CODE)
    User = get_user_model()
    admin = User.objects.filter(username="admin").first() or User.objects.filter(is_superuser=True).first()
    with transaction.atomic():
        units = _units(city)
        logins = _users(city)
        reviewer = User.objects.get(username="shenhe")
        surveyor = User.objects.get(username="diaocha")
        for year, code in ((2024, SET_2024), (2025, SET_2025)):
            run = CheckupRun.objects.filter(city=city, year=year).first()
            if run is not None:
                continue
            # demo deadline: the middle of the check-up year (a city sets its own when it starts a run)
            run = create_run(city, year, IndicatorSet.objects.get(code=code), admin, deadline=dt.date(year, 6, 30))
            _fill_run(run, admin, reviewer)
            problems = _problems(run, units, surveyor)
            if year == 2024:
                # 2024's gas-riser problems were remedied by the gas utility (task done), so they count
                # as fixed in 2025's 问题整治完成率 (指标60).
                gas = [p for p in problems if p.indicator.name == "存在燃气安全隐患的住宅数量" and p.unit.code in ("DEMO-B01", "DEMO-B02")]
                task = problems_to_task(gas, admin, title="伏牛路小区燃气立管更新改造")
                task.status = ProblemStatus.FIXED
                task.save()
                problems_to_task([p for p in problems if p.indicator.name == "未配建电动自行车充电设施的小区数量"], admin)
            else:
                problems_to_task([p for p in problems if p.indicator.name == "存在结构安全隐患的住宅数量"], admin)
                # 2025's gas problems become a draft project (谋划), linked back; a draft is not yet in
                # the library, so the official totals (7895.45 亿元) stay as printed.
                gas = [p for p in problems if p.indicator.name == "存在燃气安全隐患的住宅数量"]
                problems_to_project(gas, admin, name="中原区老旧小区燃气管道更新改造项目", total_investment=Decimal("0.0260"))
            evaluate_run(run, admin)
    run25 = CheckupRun.objects.get(city=city, year=2025)
    path = report_path(run25)
    if not path.exists():
        from .report import build_report

        build_report(run25, path)
    if run25.report_file != str(path):
        run25.report_file = str(path)
        run25.save()
    n = FieldProblem.objects.filter(run__city=city).count()
    _say(stdout, f"城市体检演示：{city.display_name}2024、2025年体检，体检单元{AssessmentUnit.objects.filter(city=city).count()}个，"
                 f"现场问题{n}个；报告：{path}")
    _say(stdout, "城市体检演示账号：" + "；".join(f"{u} / {p}（{name}）" for u, p, name in logins))
    return logins
