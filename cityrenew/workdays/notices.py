"""Loading a State Council holiday notice (国务院办公厅关于某年部分节假日安排的通知) from a TOML file.

The file (UTF-8)::

    year = 2031
    number = "国办发明电〔2030〕9号"      # 文号
    title = "国务院办公厅关于2031年部分节假日安排的通知"
    issued = 2030-11-10                  # 印发日期
    source = \"\"\"通知原文……\"\"\"          # optional

    [[day]]                              # one entry per holiday or adjusted working day (run)
    name = "春节"
    kind = "放假"                        # 放假 or 调休上班
    from = 2031-01-22
    to = 2031-01-28                      # optional, the last day of a run

All or nothing: any error (named by entry and field, in Chinese) and nothing is written. Loading a
notice whose 文号 is already loaded replaces it; the notice row is audited (AuditedModel).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

from django.db import transaction

from cityrenew.core import audit

from .calendar import CalendarError
from .models import DayKind, HolidayNotice, HolidayNoticeDay

MAX_RUN = 31  # no holiday run is longer than a month


def _date(value, where: str, errors: list[str]) -> dt.date | None:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    errors.append(f"{where}：“{value}”不是有效日期（应为 YYYY-MM-DD）")
    return None


def read_notice(path: str | Path) -> tuple[dict, list[tuple[dt.date, str, str]]]:
    """The notice fields and its days (date, kind, name) from ``path``; CalendarError listing every problem."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalendarError(f"文件不存在：{path}") from None
    except UnicodeDecodeError:
        raise CalendarError(f"{path.name}：不是 UTF-8 编码的文本文件") from None
    except tomllib.TOMLDecodeError as exc:
        raise CalendarError(f"{path.name}：TOML 格式错误（{exc}）") from None
    errors: list[str] = []
    year = data.get("year")
    if not isinstance(year, int) or not 1949 < year < 2200:
        errors.append(f"字段 year：“{year}”不是有效年份")
        year = None
    fields = {"year": year}
    for key, label in (("number", "文号"), ("title", "标题")):
        value = str(data.get(key) or "").strip()
        if not value:
            errors.append(f"字段 {key}（{label}）不能为空")
        fields[key] = value
    fields["issued"] = _date(data.get("issued"), "字段 issued（印发日期）", errors) if "issued" in data else None
    if "issued" not in data:
        errors.append("字段 issued（印发日期）不能为空")
    fields["source_text"] = str(data.get("source") or "").strip()
    entries = data.get("day") or []
    if not isinstance(entries, list) or not entries:
        errors.append("没有任何 [[day]] 条目（放假或调休上班的日期）")
        entries = []
    days: list[tuple[dt.date, str, str]] = []
    seen: dict[dt.date, int] = {}
    for i, entry in enumerate(entries, 1):
        where = f"第{i}个 [[day]] 条目"
        if not isinstance(entry, dict):
            errors.append(f"{where}：格式错误")
            continue
        name = str(entry.get("name") or "").strip()
        if not name:
            errors.append(f"{where}：字段 name（节日名称）不能为空")
        kind = str(entry.get("kind") or "").strip()
        if kind not in DayKind.values:
            errors.append(f"{where}：字段 kind “{kind}”无效，应为 放假 或 调休上班")
        first = _date(entry.get("from"), f"{where}：字段 from", errors) if "from" in entry else None
        if "from" not in entry:
            errors.append(f"{where}：字段 from（日期）不能为空")
        last = _date(entry["to"], f"{where}：字段 to", errors) if "to" in entry else first
        if first is None or last is None:
            continue
        if last < first or (last - first).days >= MAX_RUN:
            errors.append(f"{where}：日期范围 {first}–{last} 无效（to 不能早于 from，且不超过{MAX_RUN}天）")
            continue
        day = first
        while day <= last:
            if year is not None and day.year != year:
                errors.append(f"{where}：{day} 不在通知年份 {year} 内")
            if day in seen:
                errors.append(f"{where}：{day} 与第{seen[day]}个条目重复")
            elif kind == DayKind.WORKDAY and day.weekday() < 5:
                errors.append(f"{where}：{day} 是周一至周五，本来就是工作日，不能列为调休上班")
            else:
                seen[day] = i
                days.append((day, kind, name))
            day += dt.timedelta(days=1)
    if errors:
        raise CalendarError(f"{path.name}：节假日安排通知有误，未导入任何内容：\n" + "\n".join(errors))
    return fields, days


def load_notice(path: str | Path, *, user=None) -> HolidayNotice:
    """Read and store the notice in ``path`` (replacing a loaded notice with the same 文号), all or nothing."""
    fields, days = read_notice(path)
    with audit.actor(user, source="cli", note=f"导入节假日安排通知 {fields['number']}"), transaction.atomic():
        notice = HolidayNotice.objects.filter(number=fields["number"]).first() or HolidayNotice(number=fields["number"])
        for key, value in fields.items():
            setattr(notice, key, value)
        notice.save()
        notice.days.all().delete()
        clash = HolidayNoticeDay.objects.filter(date__in=[d for d, _, _ in days]).select_related("notice").first()
        if clash:
            raise CalendarError(f"{clash.date} 已由通知 {clash.notice.number} 规定，不能重复导入；未导入任何内容")
        HolidayNoticeDay.objects.bulk_create(HolidayNoticeDay(notice=notice, date=d, kind=k, name=n) for d, k, n in days)
    return notice
