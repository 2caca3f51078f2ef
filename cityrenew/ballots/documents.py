"""Printable documents of a vote (python-docx): the owners' code letters and the result certificate."""

from __future__ import annotations

import io
from collections import defaultdict

from django.utils import timezone
from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Pt

from cityrenew.consent import tally as consent
from cityrenew.core.audit import beijing_time

from .choices import ELEVATOR_RULE, ELEVATOR_THRESHOLDS, Matter
from .models import OwnerUnit, Vote
from .services import VoteError

FONT = "SimSun"


def _document() -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    return doc


def _bytes(doc: Document) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _period(vote: Vote) -> str:
    return f"{beijing_time(vote.opens_at)} 至 {beijing_time(vote.closes_at)}（北京时间）"


def letters_docx(vote: Vote, issued: list[tuple[OwnerUnit, str]], vote_url: str) -> bytes:
    """One letter (表决告知书) per person listing their units and codes; a page break between letters."""
    by_person: dict[str, list[tuple[OwnerUnit, str]]] = defaultdict(list)
    for unit, code in issued:
        by_person[unit.person].append((unit, code))
    doc = _document()
    for i, (person, items) in enumerate(sorted(by_person.items())):
        if i:
            doc.paragraphs[-1].add_run().add_break(WD_BREAK.PAGE)
        doc.add_heading("业主表决告知书", level=1)
        doc.add_paragraph(f"尊敬的业主 {person}：")
        doc.add_paragraph(
            f"实施方案“{vote.plan.title}”（{vote.plan.code}）的业主表决事项“{vote.title}”"
            f"（{vote.get_matter_display()}）表决时间为 {_period(vote)}。")
        doc.add_paragraph(
            f"请访问 {vote_url} ，输入下列任一表决码并选择同意、反对或弃权。同一业主拥有多个专有部分的按一人计算"
            "（《最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释》第九条），"
            "以任一表决码投票即为您全部专有部分的表决，后一次表决替代前一次。每个表决码只能使用一次；"
            "投票后页面显示回执码，截止前可凭回执码修改表决意见。也可填写纸质表决票交实施主体录入。")
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
        for cell, text in zip(table.rows[0].cells, ("专有部分", "专有部分面积（平方米）", "表决码")):
            cell.text = text
        for unit, code in sorted(items, key=lambda x: (x[0].building, x[0].unit, x[0].room)):
            row = table.add_row().cells
            row[0].text, row[1].text, row[2].text = unit.label, str(unit.area), code
        doc.add_paragraph(f"实施主体：{vote.plan.entity}　　发放时间：{beijing_time(timezone.now())}")
        doc.add_paragraph("请妥善保管本告知书；表决码遗失的，可向实施主体申请重新发放，原表决码随即作废。")
    return _bytes(doc)


def certificate_docx(vote: Vote) -> bytes:
    """The result certificate (表决结果证明): the tally, the rules applied and the ballot list's SHA-256."""
    if vote.tallied_at is None:
        raise VoteError("表决尚未截止计票，不能出具结果证明")
    r = vote.result
    doc = _document()
    doc.add_heading("业主表决结果证明", level=1)
    doc.add_paragraph(f"实施方案：{vote.plan.code} {vote.plan.title}")
    doc.add_paragraph(f"实施主体：{vote.plan.entity}")
    doc.add_paragraph(f"表决事项：{vote.title}（{vote.get_matter_display()}）")
    if vote.matter == Matter.ELEVATOR:
        doc.add_paragraph(f"表决范围：{vote.building}栋{vote.unit}单元的业主（{ELEVATOR_RULE}）；"
                          f"计票门槛按改建事项（{ELEVATOR_THRESHOLDS}）")
    doc.add_paragraph(f"表决时间：{_period(vote)}；计票时间：{beijing_time(vote.tallied_at)}")
    doc.add_paragraph(f"表决结果：{'通过' if r['passed'] else '未通过'}")
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ("项目", "人数", "专有部分面积（平方米）")):
        cell.text = text
    for label, n, area in (("业主总计", r["owners_total"], r["area_total"]),
                           ("参与表决", r["owners_voted"], r["area_voted"]),
                           ("同意", r["owners_agree"], r["area_agree"])):
        row = table.add_row().cells
        row[0].text, row[1].text, row[2].text = label, str(n), str(area)
    doc.add_paragraph(f"参与表决是否达到三分之二以上：{'是' if r['participation_ok'] else '否'}")
    for reason in r.get("reasons", []):
        doc.add_paragraph(f"未达到：{reason}")
    doc.add_paragraph("计票规则：" + "；".join(str(c) for c in (
        consent.PARTICIPATION, consent.MAJOR_RULE if r["matter"] == consent.MAJOR else consent.ORDINARY_RULE,
        consent.THRESHOLD_READING, consent.AREA_RULE, consent.OWNERS_RULE)))
    doc.add_paragraph(f"表决清单（CSV，UTF-8）SHA-256：{vote.ballots_sha256}")
    doc.add_paragraph("表决清单可在平台下载，其 SHA-256 与上值一致即证明清单未被改动。")
    doc.add_heading("表决清单", level=2)
    from .services import BALLOT_LIST_COLUMNS, ballot_rows

    table = doc.add_table(rows=1, cols=len(BALLOT_LIST_COLUMNS))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, BALLOT_LIST_COLUMNS):
        cell.text = text
    for row_data in ballot_rows(vote):
        row = table.add_row().cells
        for cell, c in zip(row, BALLOT_LIST_COLUMNS):
            cell.text = row_data[c]
    return _bytes(doc)
