"""The check-up report (城市体检报告) as a Word document (python-docx) with charts and a map figure
(matplotlib, no map tiles).

Layout: title; 一、总体情况; 二、指标体检结果 (one table per dimension: 序号/指标名称/单位/数值/标准/
评价/趋势 — all indicators of the set); 三、问题清单 (statistics by indicator, then the problems grouped by
街区 and 小区); 四、图表 (verdicts per dimension, problems per indicator); 五、问题分布图 (units and
problems on the district boundaries, WGS84 longitude/latitude).
"""

from __future__ import annotations

import functools
import io
import os
import subprocess
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Any

from cityrenew.catalogue.policies import cite
from cityrenew.core.geo import to_geojson

from .choices import Dimension, Severity, UnitKind, Verdict
from .models import AssessmentUnit, CheckupRun, Evaluation, FieldProblem, value_as_text
from .services.exports import problem_list_rows, problems_of
from .services.runs import CheckupError

REPORT_SOURCE = cite("MOHURD-CHECKUP-2025", "第一章三、（六）", "报告包括指标体检结果、问题清单和整治建议", rule="体检报告（Word）")
CJK_FONT_ENV = "CITYRENEW_CJK_FONT"  # a font file with Chinese glyphs, when fontconfig cannot find one
CJK_PROBE = "城市体检报告问题数量"  # characters every chart draws; a font lacking them is refused
CJK_FONTS = ["Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "SimHei", "Microsoft YaHei"]
SEVERITY_COLOURS = {Severity.GENERAL: "#f2c94c", Severity.SERIOUS: "#f2994a", Severity.SEVERE: "#eb5757"}
VERDICT_COLOURS = {Verdict.PASS: "#27ae60", Verdict.FAIL: "#eb5757", Verdict.NO_STANDARD: "#9b9b9b", Verdict.MISSING: "#d0d0d0"}


class ReportFontError(CheckupError):
    """No font with Chinese glyphs: the charts would show empty boxes (豆腐块), so no report is written."""


def _fontconfig_cjk_fonts() -> list[tuple[str, str, str]] | None:
    """(file, family, style) of every font fontconfig knows to cover Chinese; None without fontconfig."""
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "--format=%{file}\t%{family[0]}\t%{style[0]}\n"],
                             capture_output=True, text=True, timeout=60, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [tuple(line.split("\t")) for line in out.splitlines() if line.count("\t") == 2]


def _pick(fonts: list[tuple[str, str, str]]) -> tuple[str, str]:
    """The preferred family (CJK_FONTS order, then any), regular weight first: (file, family)."""
    def rank(f):
        return (CJK_FONTS.index(f[1]) if f[1] in CJK_FONTS else len(CJK_FONTS), f[2] != "Regular", f[0], f[1])

    best = min(fonts, key=rank)
    return best[0], best[1]


@functools.cache
def cjk_font() -> str:
    """Register the Chinese font FILE with matplotlib and return the family name the charts use.

    The file comes from ``CITYRENEW_CJK_FONT`` or fontconfig (``fc-list :lang=zh``; ``make fonts``
    installs fonts-noto-cjk). Registering the file itself, rather than trusting matplotlib's font
    cache (built once per machine), keeps the charts right when the font arrived after the cache was
    built. Raises ReportFontError (Chinese message) when there is no font with Chinese glyphs.
    """
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    configured = os.environ.get(CJK_FONT_ENV, "").strip()
    if configured:
        if not Path(configured).is_file():
            raise ReportFontError(f"{CJK_FONT_ENV} 指定的中文字体文件不存在：{configured}")
        path, family = configured, ""
    else:
        fonts = _fontconfig_cjk_fonts()
        if fonts is None:  # no fontconfig: fall back on the fonts matplotlib already knows
            known = [(f.fname, f.name, "Regular" if f.weight in (400, "normal", "regular") else str(f.weight))
                     for f in font_manager.fontManager.ttflist if f.name in CJK_FONTS]
            fonts = known
        if not fonts:
            raise ReportFontError("本机没有中文字体，报告图表中的中文将显示为方框，已停止生成报告。"
                                  f"请安装中文字体（make fonts，即 Debian 的 fonts-noto-cjk），或设置 {CJK_FONT_ENV} 为字体文件路径")
        path, family = _pick(fonts)
    missing = [ch for ch in CJK_PROBE if not FT2Font(path).get_char_index(ord(ch))]
    if missing:
        raise ReportFontError(f"字体文件 {Path(path).name} 不含中文字形（缺少“{''.join(missing)}”），无法绘制报告图表")
    font_manager.fontManager.addfont(path)
    registered = {f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == Path(path)}
    return family if family in registered else font_manager.FontProperties(fname=path).get_name()


def _matplotlib():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = cjk_font()
    plt.rcParams["font.family"] = "sans-serif"
    plt.rcParams["font.sans-serif"] = [font, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt, font


def _png(fig) -> io.BytesIO:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    buf.seek(0)
    return buf


def chart_verdicts(evaluations: list[Evaluation]) -> io.BytesIO:
    plt, _ = _matplotlib()
    dims = [label for _, label in Dimension.choices]
    counts = {v: [0] * len(dims) for v, _ in Verdict.choices}
    for e in evaluations:
        counts[e.verdict][list(Dimension.values).index(e.indicator.dimension)] += 1
    fig, ax = plt.subplots(figsize=(7, 3.6))
    left = [0] * len(dims)
    for v, label in Verdict.choices:
        ax.barh(dims, counts[v], left=left, color=VERDICT_COLOURS[v], label=label)
        left = [a + b for a, b in zip(left, counts[v])]
    ax.invert_yaxis()
    ax.set_xlabel("指标数（项）")
    ax.set_title("各维度指标评价结果")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=4, fontsize=8, frameon=False)
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def chart_problems(problems: list[FieldProblem]) -> io.BytesIO:
    plt, _ = _matplotlib()
    c = Counter(f"{p.indicator.number}. {p.indicator.name}" for p in problems)
    items = sorted(c.items(), key=lambda kv: int(kv[0].split(".")[0]))
    fig, ax = plt.subplots(figsize=(7, max(2.0, 0.4 * len(items) + 1)))
    ax.barh([k for k, _ in items] or ["（无）"], [v for _, v in items] or [0], color="#2f80ed")
    ax.invert_yaxis()
    ax.set_xlabel("问题数（个）")
    ax.set_title("各指标问题数量")
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def _rings(geojson: dict[str, Any] | None) -> list[list[list[float]]]:
    if not geojson:
        return []
    g = geojson.get("geometry", geojson) if geojson.get("type") == "Feature" else geojson
    if g.get("type") == "FeatureCollection":
        return [r for f in g.get("features", []) for r in _rings(f)]
    if g.get("type") == "Polygon":
        return [g["coordinates"][0]]
    if g.get("type") == "MultiPolygon":
        return [p[0] for p in g["coordinates"]]
    return []


def map_figure(run: CheckupRun, problems: list[FieldProblem]) -> io.BytesIO:
    """Units and problems (WGS84 lon/lat) over the district boundaries where Region.boundary is set."""
    plt, _ = _matplotlib()
    fig, ax = plt.subplots(figsize=(7, 6))
    districts = [r for r in run.city.children.all() if r.boundary]
    for d in districts:
        for ring in _rings(to_geojson(d.boundary)):
            xs, ys = zip(*[(pt[0], pt[1]) for pt in ring])
            ax.plot(xs, ys, color="#888888", linewidth=0.6)
        if d.centroid_lon is not None:
            ax.annotate(d.display_name, (d.centroid_lon, d.centroid_lat), fontsize=7, color="#666666", ha="center")
    units = AssessmentUnit.objects.filter(city=run.city, centroid_lon__isnull=False)
    for kind, marker, size in ((UnitKind.BLOCK, "s", 40), (UnitKind.COMPOUND, "o", 18), (UnitKind.BUILDING, ".", 6)):
        pts = [(u.centroid_lon, u.centroid_lat) for u in units if u.kind == kind]
        if pts:
            ax.scatter(*zip(*pts), s=size, marker=marker, facecolors="none", edgecolors="#4f6d8f", linewidths=0.6,
                       label=dict(UnitKind.choices)[kind])
    for sev, label in Severity.choices:
        pts = [(p.lon, p.lat) for p in problems if p.severity == sev and p.lon is not None]
        if pts:
            ax.scatter(*zip(*pts), s=22, color=SEVERITY_COLOURS[sev], label=f"问题（{label}）", zorder=3)
    pts = [(u.centroid_lon, u.centroid_lat) for u in units] + [(p.lon, p.lat) for p in problems if p.lon is not None]
    if pts:  # zoom to the surveyed area; the district lines stay as context
        xs, ys = zip(*pts)
        pad = max(0.01, 0.15 * max(max(xs) - min(xs), max(ys) - min(ys)))
        ax.set_xlim(min(xs) - pad, max(xs) + pad)
        ax.set_ylim(min(ys) - pad, max(ys) + pad)
    ax.set_xlabel("经度（WGS84）")
    ax.set_ylabel("纬度（WGS84）")
    ax.set_title(f"{run.city.display_name}{run.year}年城市体检问题分布")
    ax.set_aspect("equal", adjustable="box")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=7)
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def _table(doc, headers: list[str], rows: list[list[Any]]):
    from docx.shared import Pt

    t = doc.add_table(rows=1, cols=len(headers))
    t.style = "Table Grid"
    for i, h in enumerate(headers):
        cell = t.rows[0].cells[i]
        cell.text = h
        for r in cell.paragraphs[0].runs:
            r.bold = True
            r.font.size = Pt(9)
    for row in rows:
        cells = t.add_row().cells
        for i, v in enumerate(row):
            cells[i].text = "" if v is None else str(v)
            for r in cells[i].paragraphs[0].runs:
                r.font.size = Pt(9)
    return t


def build_report(run: CheckupRun, path: str | Path) -> dict[str, Any]:
    """Write the run's report to ``path`` (.docx); evaluates the run first if it never was.

    Returns facts about what was written (indicator rows, problem count, chart font, warnings).
    Raises ReportFontError when the machine has no Chinese font (the charts would show empty boxes).
    """
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    from .services.evaluation import evaluate_run

    font = cjk_font()  # before anything is evaluated or written: no Chinese font, no report
    if not run.evaluations.exists():
        evaluate_run(run)
    evaluations = list(Evaluation.objects.filter(run=run).select_related("indicator").order_by("indicator__number"))
    problems = list(problems_of(run))
    rows = problem_list_rows(run, problems_of(run))

    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.name = "宋体"
    normal.font.size = Pt(10.5)
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    title = doc.add_heading(f"{run.city.display_name}{run.year}年城市体检报告", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER

    verdicts = Counter(e.verdict for e in evaluations)
    units = AssessmentUnit.objects.filter(city=run.city)
    unit_counts = Counter(units.values_list("kind", flat=True))
    doc.add_heading("一、总体情况", level=1)
    doc.add_paragraph(
        f"本次体检采用{run.indicator_set.name}（{run.indicator_set.code}），共{len(evaluations)}项指标。"
        f"其中达标{verdicts[Verdict.PASS]}项、未达标{verdicts[Verdict.FAIL]}项、无数值标准{verdicts[Verdict.NO_STANDARD]}项、"
        f"缺少数据{verdicts[Verdict.MISSING]}项。"
    )
    doc.add_paragraph(
        "体检单元：" + "、".join(f"{label}{unit_counts[k]}个" for k, label in UnitKind.choices if unit_counts[k])
        + f"。现场共记录问题{len(problems)}个，涉及"
        + f"{len({p.unit_id for p in problems})}个体检单元。" if units.exists() else
        f"现场共记录问题{len(problems)}个。"
    )
    tasks = list(run.tasks.select_related("organisation"))
    doc.add_paragraph(
        f"参与填报部门{len(tasks)}个：" + "、".join(f"{t.organisation}（{t.get_status_display()}）" for t in tasks) + "。"
    )
    doc.add_paragraph(f"报告依据：{REPORT_SOURCE}；指标依据：{run.indicator_set.citation or run.indicator_set.name}。")

    doc.add_heading("二、指标体检结果", level=1)
    for dim, label in Dimension.choices:
        members = [e for e in evaluations if e.indicator.dimension == dim]
        if not members:
            continue
        doc.add_heading(f"{label}（{len(members)}项）", level=2)
        _table(doc, ["序号", "指标名称", "单位", "数值", "标准", "评价", "趋势"], [
            [e.indicator.number, e.indicator.name, e.indicator.unit, value_as_text(e.value) or "—",
             e.standard or "—", e.get_verdict_display(), e.get_trend_display()]
            for e in members
        ])
        warn = [e for e in members if e.warning and e.verdict != Verdict.MISSING]
        if warn:
            doc.add_paragraph("预警：" + "；".join(f"指标{e.indicator.number}{e.warning}" for e in warn))

    doc.add_heading("三、问题清单", level=1)
    doc.add_paragraph(f"共记录问题{len(problems)}个，按指标统计如下。")
    by_ind: OrderedDict[int, list[FieldProblem]] = OrderedDict()
    for p in sorted(problems, key=lambda p: p.indicator.number):
        by_ind.setdefault(p.indicator.number, []).append(p)
    _table(doc, ["序号", "指标名称", "问题数", "涉及单元数", "严重", "较严重", "一般"], [
        [n, ps[0].indicator.name, len(ps), len({p.unit_id for p in ps}),
         sum(p.severity == Severity.SEVERE for p in ps), sum(p.severity == Severity.SERIOUS for p in ps),
         sum(p.severity == Severity.GENERAL for p in ps)]
        for n, ps in by_ind.items()
    ])
    groups: OrderedDict[str, OrderedDict[str, list[dict]]] = OrderedDict()
    for r in sorted(rows, key=lambda r: (r["block"], r["compound"], r["seq"])):
        groups.setdefault(r["block"] or "（未划入街区）", OrderedDict()).setdefault(r["compound"] or "（街区层面）", []).append(r)
    for block, compounds in groups.items():
        doc.add_heading(f"{block}（{sum(len(v) for v in compounds.values())}个问题）", level=2)
        for compound, items in compounds.items():
            doc.add_heading(f"{compound}（{len(items)}个问题）", level=3)
            _table(doc, ["序号", "楼栋", "问题类型", "严重程度", "问题描述", "整治建议", "整治状态"], [
                [r["seq"], r["building"] or "—", r["type"], r["severity"], r["description"], r["suggestion"],
                 r["status"] + (f"（{r['project']}）" if r["project"] else "")]
                for r in items
            ])

    doc.add_heading("四、图表", level=1)
    doc.add_paragraph("图1 各维度指标评价结果")
    doc.add_picture(chart_verdicts(evaluations), width=Cm(15))
    doc.add_paragraph("图2 各指标问题数量")
    doc.add_picture(chart_problems(problems), width=Cm(15))
    doc.add_heading("五、问题分布图", level=1)
    doc.add_paragraph("图3 体检单元与问题分布（WGS84经纬度；底图为区县边界，无在线地图瓦片）")
    doc.add_picture(map_figure(run, problems), width=Cm(15))

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return {"path": str(path), "indicators": len(evaluations), "problems": len(problems), "font": font,
            "warnings": []}
