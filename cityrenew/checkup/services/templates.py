"""Excel templates per department (部门填报模板) and their upload, validated row by row.

The template has one row per indicator the department reports (one per assessment unit where the
indicator is reported per unit). Column A holds a hidden key ``任务:指标:单元`` and the sheet is
protected except the 数值/备注 cells, so the department types numbers only. The upload is checked
completely before anything is written: every problem is reported with its row and column, and one
bad row means nothing is saved.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import DatabaseError, transaction
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font, PatternFill, Protection

from cityrenew.core.tabular import RowError, cell_text, read_upload, write_failed
from cityrenew.core.uploads import UploadLimitError
from cityrenew.core.xlsx import neutralise, write_table

from ..choices import ValueSource
from ..models import AssessmentUnit, DepartmentTask, Indicator, IndicatorValue
from .permissions import can_fill_task
from .runs import _ensure_actor, _write_value, check_value, expected_rows

SHEET = "填报表"
TASK_MARK = "CITYRENEW-CHECKUP-TASK"
HEADERS = ["键值（勿改）", "序号", "维度", "分组", "指标名称", "计量单位", "标准或参考值", "体检单元", "单元编码", "数值", "备注"]
HEADER_ROW = 3
LOCKED_FILL = PatternFill("solid", fgColor="EEEEEE")
INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
NO_STANDARD = "手册未列参考标准"
INFO_SHEET = "说明"
INFO_HEADERS = ["序号", "指标名称", "计量单位", "填报方式", "指标解释", "体检方法", "参考标准", "佐证材料", "出处"]


def _key(task: DepartmentTask, ind: Indicator, unit: AssessmentUnit | None) -> str:
    return f"{task.pk}:{ind.pk}:{unit.pk if unit else 0}"


def manual_texts(ind: Indicator) -> tuple[str, str, str]:
    """指标解释、体检方法、参考标准 as the manual prints them (a city's own indicator: what the city wrote)."""
    definition = ind.definition_zh or (ind.definition if ind.is_local else "")
    standard = ind.standard_zh or (ind.standard if ind.is_local else "")
    return definition, ind.method_zh, standard


def standard_cell(ind: Indicator) -> str:
    """The 标准或参考值 cell: the number the evaluation uses; the manual's 参考标准 is on the 说明 sheet."""
    number = ind.standard_display()
    if not manual_texts(ind)[2]:
        return number or NO_STANDARD
    see = f"参考标准见“{INFO_SHEET}”表"
    return f"{number}（{see}）" if number else see


def department_template(task: DepartmentTask) -> Workbook:
    """The Excel template of one department task (填报表 + 说明 + 体检单元)."""
    run = task.run
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    ws["B1"] = f"{run.city.display_name}{run.year}年城市体检 · {task.organisation.name} 指标填报表"
    ws["B1"].font = Font(name="宋体", bold=True, size=14)
    ws["A2"] = f"{TASK_MARK}:{task.pk}"
    ws["B2"] = f"指标体系：{run.indicator_set.name}（{run.indicator_set.code}）。只填写黄色“数值”“备注”两列；灰色列请勿修改。"
    values = {(v.indicator_id, v.unit_id): v for v in IndicatorValue.objects.filter(run=run, indicator__in=task.indicators.all())}
    rows = []
    for ind, unit in expected_rows(task):
        v = values.get((ind.pk, unit.pk if unit else None))
        rows.append([
            _key(task, ind, unit), ind.number, ind.get_dimension_display(), ind.group, ind.name, ind.unit,
            standard_cell(ind),
            unit.name if unit else "全市", unit.code if unit else "",
            float(v.value) if v is not None else None, v.note if v is not None else "",
        ])
    end = write_table(ws, HEADERS, rows, start_row=HEADER_ROW, widths=[14, 6, 12, 14, 36, 12, 20, 18, 18, 12, 24])
    ws.column_dimensions["A"].hidden = True
    for r in range(HEADER_ROW + 1, end):
        for c in range(1, len(HEADERS) + 1):
            cell = ws.cell(row=r, column=c)
            if c in (10, 11):
                cell.protection = Protection(locked=False)
                cell.fill = INPUT_FILL
            else:
                cell.fill = LOCKED_FILL
        ws.cell(row=r, column=10).number_format = "0.####"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # widths may be changed

    info = wb.create_sheet(INFO_SHEET)
    lines = [
        f"{run.city.display_name}{run.year}年城市体检 · {task.organisation.name}",
        "",
        "填写说明：",
        "1. 在“填报表”的“数值”列填写数值，计量单位以“计量单位”列为准；百分比填数字（如 85.5 表示 85.5%）。",
        "2. 按体检单元填报的指标，每个单元一行；全市指标只有一行（体检单元为“全市”）。",
        "3. 不要增删行、不要修改灰色列；上传时系统逐行核对，任何一行有误则整份文件不保存，并提示行号和原因。",
        "4. 佐证材料在系统的任务页面上传。",
        "5. 下表的指标解释、体检方法和参考标准摘自住房和城乡建设部《城市体检工作手册（试行）》（2025年5月）。",
        "",
        "本部门负责的指标：",
    ]
    info_rows = []
    for ind in task.indicators.filter(retired=False).order_by("number"):
        how = "系统根据现场问题记录自动计算，无需填报" if ind.is_computed else (
            f"按{ind.get_report_level_display()}逐个填报" if ind.report_level else "按全市填报")
        definition, method, standard = manual_texts(ind)
        info_rows.append([ind.number, ind.name, ind.unit, how, definition, method, standard or NO_STANDARD,
                          ind.evidence, ind.texts_source or ind.source])
    for i, line in enumerate(lines, start=1):
        info.cell(row=i, column=1, value=line)
    info["A1"].font = Font(name="宋体", bold=True, size=13)
    write_table(info, INFO_HEADERS, info_rows, start_row=len(lines) + 1, widths=[6, 30, 12, 24, 60, 40, 48, 30, 36])

    units_ws = wb.create_sheet("体检单元")
    kinds = {ind.report_level for ind in task.indicators.all() if ind.report_level}
    unit_rows = [
        [u.code, u.name, u.get_kind_display(), u.region.display_name, u.parent.name if u.parent_id else ""]
        for u in AssessmentUnit.objects.filter(city=run.city, kind__in=kinds).select_related("region", "parent").order_by("kind", "code")
    ]
    write_table(units_ws, ["单元编码", "名称", "类型", "所在区划", "上级单元"], unit_rows, widths=[18, 24, 12, 14, 20])
    for sheet in wb.worksheets:  # unit names and earlier notes are user text: never a formula
        neutralise(sheet)
    return wb


# --- upload ------------------------------------------------------------------------------------


@dataclass
class UploadReport:  # 上传结果
    task: DepartmentTask
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    empty: int = 0
    rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, row: int, fld: str, message: str) -> None:
        self.errors.append(RowError(row, fld, message))

    @property
    def messages(self) -> list[str]:
        return [str(e) for e in self.errors]

    def summary_text(self) -> str:
        if not self.ok:
            return "\n".join([f"上传失败：发现{len(self.errors)}处错误，未保存任何数据。"] + [f"  {e}" for e in self.errors])
        text = f"上传成功：共{self.rows}行，新增{self.created}项，更新{self.updated}项，不变{self.unchanged}项"
        return text + (f"，未填写{self.empty}项。" if self.empty else "。")

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "empty": self.empty, "rows": self.rows, "summary": self.summary_text(),
                "errors": [{"row": e.row, "field": e.field, "message": e.message, "text": str(e)} for e in self.errors]}


def upload_department_values(task: DepartmentTask, file: Any, user: Any) -> UploadReport:
    """Check a filled department template and, if every row is right, save its values.

    Rejected (with row and column): a 计量单位 that differs from the indicator's; a value out of
    range (a percentage above 100); an indicator not in the run's set; an indicator of another
    department; a unit not in the city; a value for an indicator the system computes; a file made
    for another task. Nothing is written unless the whole file is right.
    """
    report = UploadReport(task=task)
    run = task.run
    if not can_fill_task(user, task):
        report.error(0, "权限", f"您不是“{task.organisation}”的填报人员，不能上传该任务的数据")
        return report
    if not task.editable:
        report.error(0, "任务状态", f"任务状态为“{task.get_status_display()}”，不能修改数值（退回后才可重新上传）")
        return report
    try:
        data = read_upload(file)
    except UploadLimitError as exc:
        report.error(0, "文件", exc.message)
        return report
    try:
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:
        report.error(0, "文件", "无法读取该文件，请上传从系统下载的 Excel（.xlsx）模板")
        return report
    if SHEET not in wb.sheetnames:
        report.error(0, "工作表", f"找不到工作表“{SHEET}”，请使用系统下载的模板")
        return report
    ws = wb[SHEET]
    mark = cell_text(ws["A2"].value)
    if mark.startswith(TASK_MARK + ":"):
        other_id = mark.split(":", 1)[1]
        if other_id != str(task.pk):
            other = DepartmentTask.objects.filter(pk=other_id).select_related("organisation", "run").first()
            who = f"“{other.organisation}”（{other.run}）" if other else f"任务编号{other_id}"
            report.error(0, "文件", f"该文件是{who}的填报模板，不能上传到“{task.organisation}”的任务")
            return report
    header = [cell_text(c.value) for c in ws[HEADER_ROW]]
    col = {h: i for i, h in enumerate(header) if h}
    missing = [h for h in ("序号", "指标名称", "计量单位", "单元编码", "数值") if h not in col]
    if missing:
        report.error(HEADER_ROW, "表头", f"缺少列：{'、'.join(missing)}（请勿修改模板表头）")
        return report

    set_inds = {i.number: i for i in run.indicator_set.indicators.all()}
    set_by_pk = {i.pk: i for i in set_inds.values()}
    own = set(task.indicators.values_list("pk", flat=True))
    owners = {}
    for t in run.tasks.select_related("organisation").prefetch_related("indicators"):
        for i in t.indicators.all():
            owners[i.pk] = t.organisation
    expected = {(i.pk, u.pk if u else None) for i, u in expected_rows(task)}
    per_unit_expected = {i.pk for i, u in expected_rows(task) if u is not None}
    units_by_code: dict[str, AssessmentUnit | None] = {}
    seen: dict[tuple[int, int | None], int] = {}
    to_write: list[tuple[Indicator, AssessmentUnit | None, Decimal, str]] = []

    def get(row, name):
        i = col.get(name)
        return row[i] if i is not None and i < len(row) else None

    for r_idx, row in enumerate(ws.iter_rows(min_row=HEADER_ROW + 1, values_only=True), start=HEADER_ROW + 1):
        cells = [cell_text(v) for v in row]
        if not any(cells):
            continue
        report.rows += 1
        key = cell_text(get(row, "键值（勿改）"))
        number_text = cell_text(get(row, "序号"))
        name_text = cell_text(get(row, "指标名称"))
        unit_text = cell_text(get(row, "计量单位"))
        code_text = cell_text(get(row, "单元编码"))
        raw_value = get(row, "数值")
        note = cell_text(get(row, "备注"))[:300]
        n_err = len(report.errors)

        ind: Indicator | None = None
        if key:
            parts = key.split(":")
            if len(parts) != 3 or not all(p.isdigit() for p in parts):
                report.error(r_idx, "键值", "隐藏键值列被修改，无法识别该行，请重新下载模板")
                continue
            t_id, i_id, _u_id = (int(p) for p in parts)
            if t_id != task.pk:
                other = DepartmentTask.objects.filter(pk=t_id).select_related("organisation").first()
                who = f"“{other.organisation}”" if other else f"任务编号{t_id}"
                report.error(r_idx, "键值", f"该行来自{who}的填报模板，不能上传到“{task.organisation}”的任务")
                continue
            ind = set_by_pk.get(i_id)
            if ind is None:
                report.error(r_idx, "序号", f"指标（编号{i_id}）不在本次体检的指标体系“{run.indicator_set.code}”中")
                continue
            if number_text and number_text != str(ind.number):
                report.error(r_idx, "序号", f"序号应为{ind.number}（{ind.name}），实际为“{number_text}”，请勿修改灰色列")
                continue
        else:
            if number_text.isdigit() and int(number_text) in set_inds:
                ind = set_inds[int(number_text)]
                if name_text and name_text != ind.name:
                    report.error(r_idx, "指标名称", f"序号{ind.number}的指标是“{ind.name}”，与所填“{name_text}”不一致")
                    continue
            else:
                by_name = next((i for i in set_inds.values() if i.name == name_text), None) if name_text else None
                if by_name is None:
                    what = f"“{name_text}”" if name_text else ""
                    report.error(r_idx, "序号", f"指标{number_text}{what}不在本次体检的指标体系“{run.indicator_set.code}”中")
                    continue
                ind = by_name
        if ind.retired:
            report.error(r_idx, "序号", f"{ind.label}已停用，不再填报")
            continue
        if ind.pk not in own:
            owner = owners.get(ind.pk)
            report.error(r_idx, "序号", f"{ind.label}由“{owner or '其他部门'}”负责填报，不属于“{task.organisation}”的任务")
            continue
        if ind.is_computed:
            report.error(r_idx, "数值", f"{ind.label}由系统根据{ind.get_computation_display()[1:]}，不接受填报，请删除该行数值")
            continue
        if unit_text != ind.unit:
            report.error(r_idx, "计量单位", f"{ind.label}的计量单位应为“{ind.unit}”，实际为“{unit_text or '空'}”")
        unit: AssessmentUnit | None = None
        if code_text:
            if code_text not in units_by_code:
                units_by_code[code_text] = AssessmentUnit.objects.filter(code=code_text).select_related("city").first()
            unit = units_by_code[code_text]
            if unit is None:
                report.error(r_idx, "单元编码", f"体检单元“{code_text}”不存在")
            elif unit.city_id != run.city_id:
                report.error(r_idx, "单元编码", f"体检单元“{unit.name}”（{code_text}）属于{unit.city.display_name}，不在{run.city.display_name}范围内")
            elif not ind.report_level:
                report.error(r_idx, "单元编码", f"{ind.label}按全市填报，不应填写体检单元")
            elif unit.kind != ind.report_level:
                report.error(r_idx, "单元编码", f"{ind.label}按{ind.get_report_level_display()}填报，“{unit.name}”是{unit.get_kind_display()}")
        elif ind.pk in per_unit_expected:
            report.error(r_idx, "单元编码", f"{ind.label}按{ind.get_report_level_display()}逐个填报，必须填写单元编码")
        if raw_value is None or cell_text(raw_value) == "":
            if len(report.errors) == n_err:
                report.empty += 1
            continue
        value, err = check_value(ind, raw_value)
        if err:
            report.error(r_idx, "数值", err)
        if len(report.errors) > n_err:
            continue
        k = (ind.pk, unit.pk if unit else None)
        if k not in expected:
            report.error(r_idx, "单元编码", f"{ind.label}没有“{unit.name if unit else '全市'}”这一填报行")
            continue
        if k in seen:
            report.error(r_idx, "序号", f"与第{seen[k]}行重复（{ind.label}，{unit.name if unit else '全市'}）")
            continue
        seen[k] = r_idx
        to_write.append((ind, unit, value, note))

    if report.errors:
        return report
    try:
        with transaction.atomic(), _ensure_actor(user, "import"):
            current = {(v.indicator_id, v.unit_id): v for v in IndicatorValue.objects.filter(run=run, indicator_id__in=own)}
            for ind, unit, value, note in to_write:
                old = current.get((ind.pk, unit.pk if unit else None))
                if old is None:
                    report.created += 1
                elif old.value == value and old.note == note and old.source == ValueSource.REPORTED:
                    report.unchanged += 1
                    continue
                else:
                    report.updated += 1
                _write_value(task, ind, unit, value, note, user, ValueSource.REPORTED)
    except DatabaseError as exc:  # all or nothing: the block above was rolled back
        report.created = report.updated = report.unchanged = 0
        report.error(0, "文件", write_failed(exc))
    return report
