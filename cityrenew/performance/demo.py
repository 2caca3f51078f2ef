"""Demo performance records (演示绩效数据): Zhengzhou's three-year and 2025/2026 target tables, 2025 actual values,
the 2025 evaluation and two residents' evaluations. Every figure here is invented for the demo and says so;
the indicators follow the aims of 财办建〔2025〕11号 一、 (underground pipes, sewage collection, old areas).
Idempotent: nothing is added when the demo tables exist."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile

from cityrenew.core.models import Region

from . import services
from .choices import Direction, TableKind
from .models import Evaluation, Indicator, Period, ResidentEvaluation, Result, TargetTable

DEMO_NOTE = "演示数据：目标值与实际值均为虚构，仅供体验。"
CITY_CODE = "410100"  # 郑州市
# (result, [(indicator, unit, direction, baseline, targets 2025/2026/2027, actual 2025)])
TARGETS = [
    ("城市地下管网等基础设施水平明显提升", [
        ("更新改造地下管网长度", "公里", Direction.INCREASE, "0", ("120", "260", "400"), "131.5"),
        ("城市燃气管道老化更新改造完成率", "%", Direction.INCREASE, "35", ("60", "85", "100"), "58"),
    ]),
    ("生活污水收集处理效能进一步提高", [
        ("城市生活污水集中收集率", "%", Direction.INCREASE, "72", ("75", "78", "80"), "75.6"),
        ("污水管网混错接点位数", "处", Direction.DECREASE, "860", ("600", "300", "100"), "640"),
    ]),
    ("老旧片区宜居环境建设取得明显成效", [
        ("开工改造城镇老旧小区", "个", Direction.INCREASE, "0", ("150", "320", "500"), "162"),
    ]),
]


def _scan(name: str) -> ContentFile:
    """A one-page PDF that says it is a demo, standing in for the stamped scan."""
    text = b"CityRenew demo - not a real sealed document"
    stream = b"BT /F1 12 Tf 50 750 Td (" + text + b") Tj ET"
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = b"%PDF-1.4\n"
    offsets = []
    for i, body in enumerate(objs, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return ContentFile(out, name=name)


def _table(city: Region, kind: str, year: int, years: list[int]) -> TargetTable:
    table = TargetTable(city=city, kind=kind, year=year, note=DEMO_NOTE)
    table.save()
    for r_order, (title, indicators) in enumerate(TARGETS, start=1):
        result = Result(table=table, title=title, order=r_order)
        result.save()
        for i_order, (name, unit, direction, baseline, targets, _actual) in enumerate(indicators, start=1):
            ind = Indicator(result=result, name=name, unit=unit, direction=direction, order=i_order)
            ind.save()
            by_year = dict(zip([2025, 2026, 2027], targets))
            services.set_targets(ind, Decimal(baseline), {y: Decimal(by_year[y]) for y in years})
    return table


def load(stdout=None) -> dict[str, int]:
    city = Region.objects.filter(code=CITY_CODE).first()
    if city is None or TargetTable.objects.filter(city=city, note=DEMO_NOTE).exists():
        return {}
    overall = _table(city, TableKind.OVERALL, 2025, [2025, 2026, 2027])
    annual = _table(city, TableKind.ANNUAL, 2025, [2025])
    _table(city, TableKind.ANNUAL, 2026, [2026])  # still being drawn up (编制中)
    for table in (overall, annual):
        services.file_table(table, None, _scan(f"demo-sealed-{table.kind}-{table.year}.pdf"))
    actual = {name: Decimal(a) for _, inds in TARGETS for name, _u, _d, _b, _t, a in inds}
    for period in Period.objects.filter(indicator__result__table__in=[overall, annual], year=2025) \
            .select_related("indicator__result__table"):
        services.record_actual(period, actual[period.indicator.name], "演示数据", None)
    Evaluation(city=city, year=2025, evaluator="财政部、住房城乡建设部（演示）", score=Decimal("88.5"), grade="良",
               conclusion=DEMO_NOTE + "年度目标基本完成，污水管网混错接整治进度偏慢。",
               evaluated_on=date(2026, 3, 20)).save()
    made = 3
    from cityrenew.ledgers.models import OldCommunity

    for n, community in enumerate(OldCommunity.objects.filter(demo=True).order_by("code")[:2]):
        ResidentEvaluation(region=community.region, community=community, year=2025, held_on=date(2025, 11, 10 + n),
                           respondents=120 + 10 * n, satisfied=86 + n, basically_satisfied=20, dissatisfied=6,
                           comments=DEMO_NOTE + "加装电梯后出行方便；希望增加停车位。", response="已纳入 2026 年完善类改造内容。").save()
        made += 1
    if stdout is not None:
        stdout.write(f"演示绩效：绩效目标表 3 张（2 张已盖章备案），年度评价 1 条，效果共评 {made - 3} 条（均为虚构演示数据）\n")
    return {"tables": 3, "evaluations": 1, "resident_evaluations": made - 3}
