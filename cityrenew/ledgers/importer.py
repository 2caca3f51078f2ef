"""Import of a ledger file (台账导入): CSV (UTF-8 or GBK) or xlsx, all-or-nothing, vectorised.

    report = import_ledger("equipment.csv", "equipment", user=user)
    report.ok, report.errors, report.created, report.updated, report.unchanged

* The file passes the shared upload limits first (:func:`cityrenew.core.tabular.read_upload`).
* Headers are the Chinese ones of :mod:`cityrenew.ledgers.columns` (other columns are ignored);
  a file whose headers belong to another ledger type is refused as such.
* Every cell is checked column by column with pandas (a million rows in seconds): unknown category,
  a date in the future, a negative number, an unknown region… each a Chinese ``第 N 行「字段」：原因``.
  Any error → nothing is written.
* Rows are matched by 编号: new codes are created (``bulk_create`` in batches, one transaction, one
  audited :class:`~cityrenew.ledgers.models.LedgerImport` naming the file, its SHA-256 and the count);
  existing codes are compared and only changed rows are saved, each with its own audit entry; an
  import of the same file again changes nothing.
* With a ``user``, every row's region (old and new) must lie in the user's editable regions.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.contrib.gis.geos import Point
from django.db import DatabaseError, connections, router, transaction
from django.utils import timezone

from cityrenew.core import audit
from cityrenew.core.fieldrules import writable_fields
from cityrenew.core.models import Region
from cityrenew.core.permissions import editable_region_ids
from cityrenew.core.regions import regions_not_loaded
from cityrenew.core.tabular import CountedImportReport, RowError, read_upload, write_failed
from cityrenew.core.uploads import UploadLimitError

from .choices import RENOVATION_ITEMS, LedgerKind, LedgerStatus
from .columns import (
    BOOL,
    CHOICE,
    COLUMNS,
    DATE,
    DECIMAL,
    FILE_ONLY,
    INT,
    ITEMS,
    PERCENT,
    REGION,
    SIGNATURE,
    TEXT,
    YEAR,
    LedgerColumn,
    header_to_column,
    normalise_header,
)
from .models import LEDGER_MODELS, LedgerImport

BATCH = 5_000
MAX_ERRORS = 1_000  # listed; the count says how many there are in all
TRUE = {"是", "Y", "y", "yes", "Yes", "TRUE", "True", "true", "1", "√"}
FALSE = {"否", "N", "n", "no", "No", "FALSE", "False", "false", "0", "×"}
ITEM_SPLIT = re.compile(r"[、,，;；/\n]+")
KIND_LABELS = dict(LedgerKind.choices)
Progress = Callable[[int, int, str], None]


class LedgerFileError(ValueError):
    """The file as a whole cannot be read (encoding, format, headers): one Chinese message."""

    def __init__(self, field_label: str, message: str, row: int = 0) -> None:
        super().__init__(message)
        self.error = RowError(row, field_label, message)


@dataclass
class LedgerImportReport(CountedImportReport):  # 台账导入报告
    kind: str = ""
    batch_id: int | None = None
    changes: list[str] = field(default_factory=list)  # 编号 of the rows updated

    def headline(self) -> str:
        return self.counts_headline(f"{KIND_LABELS.get(self.kind, self.kind)}台账 {self.source}".strip(), trial="试运行") + "。"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "ok": self.ok, "rows": self.rows, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "error_count": self.error_count,
                "errors": [str(e) for e in self.errors], "written": self.written, "dry_run": self.dry_run}


# --- reading ------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            line = data[: exc.start].count(b"\n") + 1
            raise LedgerFileError("文件编码", f"第 {line} 行附近有既不是 UTF-8 也不是 GBK 的字节；请将 CSV 另存为 UTF-8 编码后重新导入",
                                  row=line) from None


def _xlsx_frame(data: bytes) -> tuple[pd.DataFrame, str]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds of errors on damaged files
        raise LedgerFileError("文件", f"Excel 文件已损坏或不完整，无法读取（{type(exc).__name__}）；请重新保存后再导入") from None
    try:
        ws = wb.worksheets[0]
        rows = ws.iter_rows()
        first = next(rows, None)
        if first is None:
            raise LedgerFileError("文件", "文件为空")
        header = [c.value for c in first]
        width = len(header)
        body = []
        for r in rows:
            values = [_xlsx_text(c.value, getattr(c, "number_format", "")) for c in r][:width]
            if all(v == "" for v in values):
                body.append(None)
                continue
            body.append(values + [""] * (width - len(values)))
        title = ws.title
    finally:
        wb.close()
    while body and body[-1] is None:
        body.pop()
    cells = [row if row is not None else [""] * width for row in body]
    frame = pd.DataFrame(cells, columns=[_header_text(h, i) for i, h in enumerate(header)], dtype=object)
    return frame, title


def _xlsx_text(v: Any, number_format: str = "") -> str:
    """A cell as text; a number shown as a percentage (85% is stored as 0.85) becomes "85"."""
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool) and number_format.endswith("%"):
        v = round(v * 100, 10)
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, datetime):
        return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat(sep=" ")
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _header_text(h: Any, i: int) -> str:
    return str(h).strip() if h not in (None, "") else f"（第 {i + 1} 列）"


def read_frame(file: Any, name: str = "") -> tuple[pd.DataFrame, str, str]:
    """The file as a DataFrame of stripped strings (one column per header), its name and SHA-256.

    Raises :class:`LedgerFileError` (limits, encoding, damaged file)."""
    if isinstance(file, (str, Path)):
        if not Path(file).is_file():
            raise LedgerFileError("文件", f"文件不存在：{file}")
        name = name or Path(file).name
    else:
        name = name or getattr(file, "name", "") or ""
    try:
        data = read_upload(file)
    except UploadLimitError as exc:
        raise LedgerFileError("文件", exc.message) from None
    if not data.strip():
        raise LedgerFileError("文件", "文件为空")
    sha = hashlib.sha256(data).hexdigest()
    if data[:4] == b"PK\x03\x04":
        frame, _title = _xlsx_frame(data)
    else:
        text = _decode(data)
        try:
            frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, csv.Error, ValueError) as exc:
            raise LedgerFileError("文件", f"CSV 格式错误：{exc}") from None
        frame.columns = [_header_text(h if not str(h).startswith("Unnamed:") else None, i) for i, h in enumerate(frame.columns)]
    frame = frame.apply(lambda s: s.astype(str).str.strip() if s.dtype == object else s)
    return frame, name, sha


def _columns_of(frame: pd.DataFrame, kind: str) -> dict[str, str]:
    """{canonical name: header in the file}; raises for another ledger's template or missing columns."""
    known = header_to_column(kind)
    present: dict[str, str] = {}
    for h in frame.columns:
        col = known.get(normalise_header(h))
        if col is not None and col.name not in present:
            present[col.name] = h
    missing = [c.header for c in COLUMNS[kind] if c.required and c.name not in present]
    headers = {normalise_header(h) for h in frame.columns}
    for other, signature in SIGNATURE.items():
        if other != kind and all(normalise_header(s) in headers for s in signature) and (
            missing or not all(normalise_header(s) in headers for s in SIGNATURE[kind])
        ):
            raise LedgerFileError(
                "表头", f"这是“{KIND_LABELS[other]}”台账的文件（含“{'、'.join(signature)}”列），不能作为“{KIND_LABELS[kind]}”台账导入；"
                       f"请下载“{KIND_LABELS[kind]}”台账模板填写，或改选台账类型", row=1)
    if missing:
        raise LedgerFileError("表头", f"缺少必需的列：{'、'.join(missing)}（“{KIND_LABELS[kind]}”台账）", row=1)
    return present


# --- validating: one column at a time ------------------------------------------------------------


class _Regions:
    def __init__(self) -> None:
        self.by_key: dict[str, int] = {}
        self.names: dict[int, str] = {}
        # cities first, then districts, streets: a district's own name wins over a same-named street
        order = {"province": 0, "city": 1, "district": 2, "street": 3, "community": 4}
        regions = sorted(Region.objects.values_list("pk", "code", "name", "short_name", "aliases", "level"),
                         key=lambda r: (order.get(r[5], 9), r[1]), reverse=True)
        for pk, code, name, short, aliases, _level in regions:
            self.names[pk] = short or name
            keys = [code, name, short] + [a.strip() for a in (aliases or "").replace(",", "、").split("、")]
            for k in keys:
                if k:
                    self.by_key[k] = pk


def _rows(mask: pd.Series) -> np.ndarray:
    return np.flatnonzero(mask.to_numpy())


class _Checker:
    def __init__(self, frame: pd.DataFrame, present: dict[str, str], report: LedgerImportReport) -> None:
        self.frame, self.present, self.report = frame, present, report
        self.values: dict[str, Any] = {}
        self.today = timezone.localdate()

    def fail(self, mask: pd.Series, label: str, message: Callable[[int], str]) -> None:
        for i in _rows(mask):
            if self.report.error_count >= MAX_ERRORS * 10 and len(self.report.errors) >= MAX_ERRORS:
                self.report.error_count += 1
                continue
            self.report.error(int(i) + 2, label, message(int(i)))

    def run(self, col: LedgerColumn, regions: _Regions | None, model: type) -> None:
        header = self.present.get(col.name)
        n = len(self.frame)
        if header is None:
            self.values[col.name] = None
            return
        s = self.frame[header].astype(str).str.strip()
        empty = s.eq("") | s.str.lower().isin(["nan", "none", "null"])
        label = col.header
        if col.required:
            self.fail(empty, label, lambda i: "必填，不能为空")
        if col.type == TEXT:
            max_len = getattr(model._meta.get_field(col.name), "max_length", None) if col.name not in FILE_ONLY else None
            if max_len:
                self.fail(s.str.len() > max_len, label, lambda i: f"超过 {max_len} 个字")
            self.values[col.name] = s.where(~empty, "")
        elif col.type == CHOICE:
            lookup = {str(lbl): v for v, lbl in col.choices.choices} | {v: v for v in col.choices.values}
            mapped = s.map(lookup)
            bad = ~empty & mapped.isna()
            allowed = "、".join(str(lbl) for lbl in col.choices.labels)
            self.fail(bad, label, lambda i: f"未知的{label}“{s.iat[i]}”，应为：{allowed}")
            default = LedgerStatus.IN_USE if col.name == "status" else ""
            self.values[col.name] = mapped.where(~empty, default).fillna(default)
        elif col.type == BOOL:
            mapped = s.map(lambda v: True if v in TRUE else False if v in FALSE else None)
            bad = ~empty & mapped.isna()
            self.fail(bad, label, lambda i: f"应填“是”或“否”（实际为“{s.iat[i]}”）")
            self.values[col.name] = mapped.where(~empty, None)
        elif col.type in (DECIMAL, PERCENT, INT, YEAR):
            text = s.str.replace(",", "", regex=False).str.replace("，", "", regex=False)
            if col.type == PERCENT:
                text = text.str.rstrip("%％").str.strip()
            num = pd.to_numeric(text.where(~empty, None), errors="coerce")
            bad = ~empty & num.isna()
            self.fail(bad, label, lambda i: f"应为数字（实际为“{s.iat[i]}”）")
            ok = ~empty & num.notna()
            self.fail(ok & (num < 0), label, lambda i: f"不能为负数（实际为 {s.iat[i]}）")
            if col.type in (INT, YEAR):
                self.fail(ok & (num >= 0) & (num % 1 != 0), label, lambda i: f"应为整数（实际为 {s.iat[i]}）")
            if col.type == YEAR:
                this_year = self.today.year
                self.fail(ok & (num > this_year), label, lambda i: f"{s.iat[i]} 年晚于今年（{this_year} 年），请核对")
                self.fail(ok & (num >= 0) & (num < 1800), label, lambda i: f"年份 {s.iat[i]} 不合理，应为四位年份")
            if col.name == "willingness_pct":
                self.fail(ok & (num > 100), label, lambda i: f"同意率不能超过 100%（实际为 {s.iat[i]}）")
            if col.type in (INT, YEAR):
                self.values[col.name] = num.where(ok, None).astype(object).map(lambda v: None if v is None or pd.isna(v) else int(v))
            else:
                self.values[col.name] = text.where(ok, None)  # Decimal text: exact, no float on the way
                self.values[col.name + "__num"] = num
        elif col.type == DATE:
            norm = (s.str.replace("年", "-", regex=False).str.replace("月", "-", regex=False).str.replace("日", "", regex=False)
                    .str.replace("/", "-", regex=False).str.replace(".", "-", regex=False).str.split(" ").str[0])
            parsed = pd.to_datetime(norm.where(~empty, None), format="%Y-%m-%d", errors="coerce")
            retry = ~empty & parsed.isna() & norm.str.fullmatch(r"\d{4}-\d{1,2}")
            if retry.any():
                parsed = parsed.where(~retry, pd.to_datetime(norm.where(retry, None) + "-1", format="%Y-%m-%d", errors="coerce"))
            bad = ~empty & parsed.isna()
            self.fail(bad, label, lambda i: f"不是有效日期（实际为“{s.iat[i]}”），应为 YYYY-MM-DD")
            today = pd.Timestamp(self.today)
            self.fail(parsed.notna() & (parsed > today), label,
                      lambda i: f"{parsed.iat[i].date().isoformat()} 晚于今天（{self.today.isoformat()}），请核对")
            self.values[col.name] = parsed.dt.date.where(parsed.notna(), None).astype(object)
        elif col.type == REGION:
            assert regions is not None
            mapped = s.map(regions.by_key)
            bad = ~empty & mapped.isna()
            if bad.any() and not regions.by_key:
                self.report.error(0, label, regions_not_loaded() or "行政区划尚未载入")
            else:
                self.fail(bad, label, lambda i: f"未知的区域“{s.iat[i]}”：应为本市区县（市）名称或行政区划代码")
            self.values[col.name] = mapped
        elif col.type == ITEMS:
            allowed_items = set(RENOVATION_ITEMS[col.group])
            lists = s.map(lambda v: [x.strip() for x in ITEM_SPLIT.split(v) if x.strip()] if v else [])
            bad = lists.map(lambda items: [x for x in items if x not in allowed_items])
            self.fail(bad.map(bool), label, lambda i: f"“{'、'.join(bad.iat[i])}”不是{col.group}改造内容"
                                                     f"（国办发〔2020〕23号 二、（二））；{col.group}为：{'、'.join(RENOVATION_ITEMS[col.group])}")
            self.values[col.name] = lists
        else:  # pragma: no cover - every type is handled above
            raise ValueError(col.type)
        if n == 0:
            self.values[col.name] = pd.Series([], dtype=object)


def validate(frame: pd.DataFrame, kind: str, report: LedgerImportReport, *, user: Any = None) -> dict[str, Any]:
    """Check every cell; returns the canonical values per column (Series aligned with ``frame``)."""
    present = _columns_of(frame, kind)
    if not len(frame):
        raise LedgerFileError("文件", "文件中没有数据行（第 1 行为表头，从第 2 行起每行一条记录）")
    model = LEDGER_MODELS[kind]
    checker = _Checker(frame, present, report)
    regions = _Regions()
    for col in COLUMNS[kind]:
        checker.run(col, regions, model)
    values = checker.values
    codes = values["code"]
    dup = codes.ne("") & codes.duplicated(keep=False)
    if dup.any():
        first = {c: i for i, c in reversed(list(enumerate(codes)))}
        checker.fail(dup, "编号", lambda i: f"编号“{codes.iat[i]}”在文件中重复（首次出现在第 {first[codes.iat[i]] + 2} 行）")
    lon, lat = values.get("lon__num"), values.get("lat__num")
    if lon is not None or lat is not None:
        lon = lon if lon is not None else pd.Series(np.nan, index=frame.index)
        lat = lat if lat is not None else pd.Series(np.nan, index=frame.index)
        one = lon.isna() ^ lat.isna()
        checker.fail(one, "经度" if lon.isna().any() else "纬度", lambda i: "经度、纬度应同时填写")
        both = lon.notna() & lat.notna()
        # China's extent, WGS84 (the city's own bounds are checked by GeoPackage imports)
        out = both & ~(lon.between(73, 136) & lat.between(3, 54))
        checker.fail(out, "经度", lambda i: f"经纬度（{lon.iat[i]}, {lat.iat[i]}）不在中国范围内，请核对是否填反或坐标系不是 WGS84")
    if user is not None:
        allowed = editable_region_ids(user)
        if allowed is not None:
            region = values["region"]
            outside = region.notna() & ~region.isin(list(allowed))
            checker.fail(outside, "所在区域", lambda i: f"无权导入“{regions.names.get(region.iat[i], '')}”的台账：超出您的授权区划范围")
        writable = writable_fields(user, model)
        for name, header in present.items():
            if name in FILE_ONLY or name in writable or (name == "code" and "code" in writable):
                continue
            sent = frame[header].astype(str).str.strip().ne("")
            checker.fail(sent, header, lambda i: "您的角色不能填写此字段")
    return values


# --- writing ------------------------------------------------------------------------------------


def _existing_codes(model: type, codes: list[str]) -> dict[str, int]:
    """{code: pk} of the file's codes already in the ledger: the whole ledger's codes read in one stream
    when it is not much larger than the file, else looked up in chunks."""
    stored = model.objects.count()
    if not stored:
        return {}
    if stored <= 4 * len(codes):
        wanted = set(codes)
        return {c: pk for c, pk in model.objects.values_list("code", "pk").iterator(chunk_size=20_000) if c in wanted}
    out: dict[str, int] = {}
    for start in range(0, len(codes), 900):  # SQLite: at most 999 parameters per query
        out.update(model.objects.filter(code__in=codes[start:start + 900]).values_list("code", "pk"))
    return out


@contextmanager
def _bulk_session(connection) -> Iterator[None]:
    """SQLite: a 256 MB page cache while a large import writes (the indexes of a million rows do not fit
    the default 2 MB, and every insert would read index pages back from disk); restored afterwards."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


@functools.cache
def _not_null(kind: str) -> frozenset[str]:
    return frozenset(f.name for f in LEDGER_MODELS[kind]._meta.concrete_fields if not f.null)


def _row_fields(kind: str, values: dict[str, Any], i: int) -> dict[str, Any]:
    """The model fields of row ``i``; an empty cell of a non-null field keeps the field's default."""
    out: dict[str, Any] = {}
    not_null = _not_null(kind)
    for col in COLUMNS[kind]:
        if col.name in FILE_ONLY or col.name not in values or values[col.name] is None:
            continue
        v = values[col.name].iat[i]
        if isinstance(v, np.generic):
            v = v.item()
        if v is not None and not isinstance(v, (list, str)) and pd.isna(v):
            v = None
        if v is None and col.name in not_null:
            continue
        if col.type == REGION:
            out["region_id"] = int(v)
        elif col.type in (DECIMAL, PERCENT):
            out[col.name] = None if v is None else Decimal(v)
        else:
            out[col.name] = v
    lon, lat = values.get("lon__num"), values.get("lat__num")
    if lon is not None and lat is not None and not (np.isnan(lon.iat[i]) or np.isnan(lat.iat[i])):
        out["location"] = Point(float(lon.iat[i]), float(lat.iat[i]), srid=4326)
    return out


def _same(obj: Any, name: str, new: Any) -> bool:
    old = getattr(obj, name)
    if name == "location":
        return old is not None and new is not None and old.equals_exact(new, 1e-9)
    if isinstance(old, Decimal) and new is not None:
        return old == Decimal(new)
    if old in (None, "") and new in (None, ""):
        return True
    return old == new


def _column_lists(kind: str, values: dict[str, Any], idx: np.ndarray) -> dict[str, list[Any]]:
    """The new rows' values per model field (attname), as Python lists: one pass per column, no per-row pandas."""
    out: dict[str, list[Any]] = {}
    for col in COLUMNS[kind]:
        if col.name in FILE_ONLY or values.get(col.name) is None:
            continue
        raw = values[col.name].iloc[idx].tolist() if len(idx) else []
        if col.type == REGION:
            out["region_id"] = [int(v) for v in raw]
        elif col.type in (DECIMAL, PERCENT):
            out[col.name] = [None if v is None or v != v else Decimal(v) for v in raw]
        elif col.type == BOOL:
            out[col.name] = [None if v is None or v != v else bool(v) for v in raw]
        elif col.type in (INT, YEAR):
            out[col.name] = [None if v is None or v != v else int(v) for v in raw]
        elif col.type == DATE:
            out[col.name] = [v if isinstance(v, date) else None for v in raw]
        elif col.type == ITEMS:
            out[col.name] = raw
        else:
            out[col.name] = ["" if v is None or v != v else v for v in raw]
    return out


def _insert_new(kind: str, values: dict[str, Any], new_rows: np.ndarray, batch: LedgerImport, total: int,
                progress: Progress) -> None:
    """Insert the new rows in batches inside the caller's transaction.

    Rows with a location go through ``bulk_create`` (the geometry column needs the backend's spatial
    adaptation); the others — every row of a plain ledger file — through ``COPY`` (PostgreSQL) or
    ``executemany`` of one INSERT (SQLite): 10× faster than building model instances.
    """
    model = LEDGER_MODELS[kind]
    lon, lat = values.get("lon__num"), values.get("lat__num")
    located = np.zeros(len(new_rows), dtype=bool)
    if lon is not None and lat is not None and len(new_rows):
        located = (lon.iloc[new_rows].notna() & lat.iloc[new_rows].notna()).to_numpy()
    done = 0
    geo_rows = new_rows[located]
    for start in range(0, len(geo_rows), BATCH):
        chunk = geo_rows[start:start + BATCH]
        model.objects.bulk_create([model(import_batch=batch, **_row_fields(kind, values, int(i))) for i in chunk],
                                  batch_size=BATCH)
        done += len(chunk)
        progress(done, total, f"已写入 {done} 行")
    plain = new_rows[~located]
    if not len(plain):
        return
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and f.name != "location"]
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with _bulk_session(connection):
        _insert_plain(model, kind, values, plain, fields, sql, batch, connection, done, total, progress)


def _insert_plain(model, kind, values, plain, fields, sql, batch, connection, done, total, progress) -> None:
    now = timezone.now()
    constants = {"row_version": 1, "created_at": now, "updated_at": now, "import_batch": batch.pk, "demo": False}
    for start in range(0, len(plain), BATCH):
        chunk = plain[start:start + BATCH]
        lists = _column_lists(kind, values, chunk)
        columns = []
        for f in fields:
            if f.attname in lists or f.name in lists:
                data = lists.get(f.attname, lists.get(f.name))
                if not f.null:
                    default = f.get_default()
                    data = [default if v is None else v for v in data]
                kind_of = f.get_internal_type()
                if kind_of == "DateField":
                    adapt = connection.ops.adapt_datefield_value
                    data = [None if v is None else adapt(v) for v in data]
                elif kind_of == "JSONField":
                    data = [f.get_db_prep_save(v, connection) for v in data]
                # text, integers, booleans and Decimals go to the driver as they are (Django registers
                # SQLite's Decimal adapter; psycopg adapts Decimal itself)
                columns.append(data)
            else:
                value = constants[f.name] if f.name in constants else f.get_default()
                columns.append([f.get_db_prep_save(value, connection)] * len(chunk))
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":  # COPY: several times faster than INSERTs on PostgreSQL
                names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
                with cursor.cursor.copy(f"COPY {connection.ops.quote_name(model._meta.db_table)} ({names}) FROM STDIN") as copy:
                    for row in zip(*columns):
                        copy.write_row(row)
            else:
                cursor.executemany(sql, list(zip(*columns)))
        done += len(chunk)
        progress(done, total, f"已写入 {done} 行")


def import_ledger(file: Any, kind: str, *, user: Any = None, dry_run: bool = False, name: str = "",
                  progress: Progress | None = None) -> LedgerImportReport:
    """Validate ``file`` as ledger ``kind`` and, unless ``dry_run`` or any error, write it in one transaction."""
    if kind not in COLUMNS:
        raise ValueError(f"unknown ledger kind {kind!r}")
    progress = progress or (lambda done, total, message: None)
    report = LedgerImportReport(kind=kind, dry_run=dry_run)
    try:
        frame, report.source, sha = read_frame(file, name)
        report.rows = len(frame)
        progress(0, report.rows, f"校验 {report.rows} 行")
        values = validate(frame, kind, report, user=user)
    except LedgerFileError as exc:
        report.count_error(exc.error)
        return report
    if not report.ok:
        return report
    model = LEDGER_MODELS[kind]
    codes = values["code"]
    existing = _existing_codes(model, codes.tolist())
    is_new = ~codes.isin(list(existing)) if existing else pd.Series(True, index=codes.index)
    old_rows = _rows(~is_new)
    updates: list[tuple[Any, dict[str, Any]]] = []
    if len(old_rows):
        objs = {}
        pks = [existing[codes.iat[i]] for i in old_rows]
        for start in range(0, len(pks), 900):
            objs.update({o.code: o for o in model.objects.filter(pk__in=pks[start:start + 900])})
        allowed = editable_region_ids(user) if user is not None else None
        for i in old_rows:
            obj = objs[codes.iat[i]]
            new = _row_fields(kind, values, int(i))
            if allowed is not None and obj.region_id not in allowed:
                report.error(int(i) + 2, "编号", f"编号“{obj.code}”已登记在“{obj.region}”，超出您的授权区划范围，不能修改")
                continue
            diff = {k: v for k, v in new.items() if not _same(obj, k, v)}
            if diff:
                updates.append((obj, diff))
        if not report.ok:
            return report
    new_rows = _rows(is_new)
    report.created, report.updated = len(new_rows), len(updates)
    report.unchanged = report.rows - report.created - report.updated
    report.changes = [obj.code for obj, _ in updates]
    if dry_run:
        return report
    progress(0, report.rows, "校验通过，正在写入数据库（一次提交）")
    ctx = audit.actor(user, "import", note=f"导入{KIND_LABELS[kind]}台账 {report.source}"[:300]) if user is not None else nullcontext()
    try:
        with ctx, transaction.atomic():
            batch = LedgerImport(kind=kind, file_name=report.source[:255], sha256=sha, created_rows=report.created,
                                 updated_rows=report.updated, unchanged_rows=report.unchanged,
                                 user_name=user.get_username() if getattr(user, "is_authenticated", False) else "")
            batch.save()  # the audit entry of every row this import creates
            _insert_new(kind, values, new_rows, batch, report.rows, progress)
            for obj, diff in updates:
                for k, v in diff.items():
                    setattr(obj, k, v)
                obj.save()  # audited: {field: [old, new]}
            report.batch_id = batch.pk
    except DatabaseError as exc:
        report.count_error(RowError(0, "文件", write_failed(exc)))
        return report
    report.written = True
    return report
