"""The notice record (公示记录, Word): proof of when a plan was published and for how long.

It states what was published (the plan, the period, the basis), when (the publication time, Beijing
time), the SHA-256 of the frozen content (recomputed from the stored content, so a changed row shows
as “不一致”), the material's SHA-256, the days shown (calendar and working days from publication to
today or to the end), the comments received and moderated, and when the period was closed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt

from cityrenew.core.audit import beijing_time, user_display_name
from cityrenew.workdays.calendar import workdays_between

from .choices import CommentKind, CommentStatus
from .models import Notice
from .rules import NOTICE_PERIOD
from .services import canonical, today


def days_shown(notice: Notice, on: dt.date) -> tuple[int, int]:
    """(calendar days, working days) of the period already shown on ``on`` (the start day not counted)."""
    last = min(on, notice.end_date)
    if last <= notice.start_date:
        return 0, 0
    return (last - notice.start_date).days, workdays_between(notice.start_date, last)


def record_facts(notice: Notice, on: dt.date | None = None) -> list[tuple[str, str]]:
    on = on or today()
    c = notice.content
    stored = notice.content_sha256
    actual = hashlib.sha256(canonical(c)).hexdigest()
    cal, work = days_shown(notice, on)
    comments = notice.comments.all()
    n_opinion = comments.filter(kind=CommentKind.OPINION).count()
    n_objection = comments.filter(kind=CommentKind.OBJECTION).count()
    n_reply = comments.filter(kind=CommentKind.REPLY).count()
    n_hidden = comments.filter(status=CommentStatus.HIDDEN).count()
    doc = c.get("document") or {}
    return [
        ("公示标题", notice.title),
        ("方案编号", c.get("plan_code", "")),
        ("方案名称", c.get("plan_title", "")),
        ("所在区", c.get("district", "")),
        ("实施主体", c.get("entity", "")),
        ("所属项目", f"{c.get('project_code', '')} {c.get('project_name', '')}".strip()),
        ("公示依据", f"{c.get('basis', '')}：{NOTICE_PERIOD.note}"),
        ("发布时间（北京时间）", beijing_time(notice.published_at, "%Y-%m-%d %H:%M:%S")),
        ("发布人", user_display_name(notice.published_by) if notice.published_by_id else "—"),
        ("公示期", f"{notice.days}个工作日：{notice.start_date.isoformat()}发布，自次日起算，{notice.end_date.isoformat()}24时届满"),
        ("截至记录日已公示", f"{cal}个自然日，其中{work}个工作日（记录日：{on.isoformat()}）"),
        ("公示状态", "公示期满" if on > notice.end_date else ("公示中" if on >= notice.start_date else "即将公示")),
        ("期满处理时间", beijing_time(notice.closed_at, "%Y-%m-%d %H:%M:%S") if notice.closed_at else "—"),
        ("公示内容SHA-256（发布时）", stored),
        ("公示内容SHA-256（记录时重算）", actual + ("（一致）" if actual == stored else "（不一致：公示内容在发布后被改动）")),
        ("公示材料", f"{doc.get('name')}，SHA-256 {doc.get('sha256')}" if doc else "无单独材料，公示内容为方案概要"),
        ("收到意见", f"意见{n_opinion}条，异议{n_objection}条；实施主体答复{n_reply}条；隐藏{n_hidden}条"),
    ]


def build_record(notice: Notice, on: dt.date | None = None) -> bytes:
    """The 公示记录 as .docx bytes."""
    document = Document()
    style = document.styles["Normal"]
    style.font.name = "宋体"
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "宋体")
    document.add_heading("实施方案公示记录", level=1)
    facts = record_facts(notice, on)
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in facts:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, str(value)
    document.add_paragraph()
    document.add_paragraph(
        "说明：公示内容SHA-256为发布时固定的公示内容（方案概要、位置、公示期、材料散列等，按键排序的UTF-8 JSON）的散列；"
        "任何人可从公示页面下载公示内容（JSON）自行计算核对。期间按《中华人民共和国民法典》第二百零一条至第二百零三条计算："
        "发布当日不计入，自次日起算，期间最后一日24时届满。"
    )
    document.add_paragraph(f"生成时间（北京时间）：{beijing_time(dt.datetime.now(dt.UTC), '%Y-%m-%d %H:%M:%S')}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def record_filename(notice: Notice) -> str:
    return f"公示记录-{notice.content.get('plan_code', notice.pk)}.docx"


def facts_dict(notice: Notice, on: dt.date | None = None) -> dict[str, Any]:
    return dict(record_facts(notice, on))
