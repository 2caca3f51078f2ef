"""Ingest (入库): the manifest's documents from the seed texts, and a city's own documents from files.

* :func:`ingest_seeds` rebuilds every document of the manifest (``catalogue/data/policy_documents.toml``)
  from its seed lines: idempotent (a document whose metadata and articles are unchanged is not touched,
  so document rows keep their ids and re-running writes no audit entry), in one transaction, audited
  as a system action with a Chinese summary. Documents outside the seeds get their row, and their
  articles from :mod:`cityrenew.policies.indicators` when that module exists (``parse(doc)`` →
  :class:`~cityrenew.policies.parser.ParsedDocument`, reading the manifest's ``articles_csv``).
* :func:`import_document` reads a .txt, .docx or .pdf (with a text layer) and builds the document the
  same way; every refusal is a :class:`PolicyImportError` with a Chinese message, and nothing is saved.

Cleaning (:mod:`cityrenew.policies.text`): page footers and stray page numbers dropped, PDF line wraps
joined, spaces inside Chinese text removed, per-document OCR fixes applied, ID numbers and phone
numbers masked (the counts are in the result).
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction

from cityrenew.catalogue.policies import CLEANING, DOCUMENTS
from cityrenew.catalogue.policies import PolicyDocument as DocSpec
from cityrenew.core import audit
from cityrenew.core.choices import AuditAction
from cityrenew.core.models import AuditLog

from .models import Article, Item, Level, PolicyDocument, Section, Status, Structure
from .parser import ParsedDocument, StructureError, detect_structure, parse
from .text import Line, is_furniture, mask_personal, masked_summary, normalize_chars

SEEDS_DIR = Path(__file__).resolve().parent / "data" / "seeds"
FURNITURE = [re.compile(p) for p in CLEANING.get("furniture", [])]
IMPORT_SUFFIXES = (".txt", ".docx", ".pdf")
MARKDOWN_HEADING_RE = re.compile(r"^#+\s*")


class PolicyImportError(ValueError):
    """A document that cannot be imported; the message (Chinese) says why."""


# --- reading ---------------------------------------------------------------------------------------


def seed_lines(name: str) -> list[str]:
    """The lines of a seed file (index 0 = line 1)."""
    return (SEEDS_DIR / name).read_text(encoding="utf-8").split("\n")


def _segmenter() -> Callable[[str], str] | None:
    try:
        search = importlib.import_module("cityrenew.policies.search")
    except ModuleNotFoundError as exc:
        if exc.name == "cityrenew.policies.search":
            return None
        raise
    return getattr(search, "segment", None)


def clean_lines(raw: Iterable[tuple[int, str]], *, counts: Counter, page_numbers: bool = True,
                drop: Iterable[int] = (), hard_breaks: bool = False, joins: Iterable[int] = ()) -> list[Line]:
    """Source lines → :class:`Line` s: blank lines, page furniture and ``drop`` lines out, the rest
    stripped and masked."""
    drop, joins = set(drop), set(joins)
    out = []
    for no, text in raw:
        text = normalize_chars(text).strip()
        if not text or no in drop:
            continue
        if any(p.search(text) for p in FURNITURE) or (page_numbers and is_furniture(text, FURNITURE)):
            continue
        text = MARKDOWN_HEADING_RE.sub("", text)
        out.append(Line(no, mask_personal(text, counts), hard_break=hard_breaks, continues=no in joins))
    return out


def parse_seed_document(spec: DocSpec, counts: Counter | None = None) -> ParsedDocument:
    """The parsed structure of one manifest document from its seed lines."""
    counts = Counter() if counts is None else counts
    first, last = spec.line_range
    text = seed_lines(spec.seed)
    start = spec.body or first
    end = (spec.tail - 1) if spec.tail else last
    raw = [(no, text[no - 1]) for no in range(start, min(end, len(text)) + 1)]
    lines = clean_lines(raw, counts=counts, page_numbers=spec.structure != "table", drop=spec.drop,
                        hard_breaks=spec.line_paragraphs, joins=spec.joins)
    return parse(lines, spec.structure, fixes=spec.fixes, row_headings=dict(spec.row_headings),
                 prose_cells=spec.prose_cells)


def _parse_indicator_document(spec: DocSpec) -> ParsedDocument | None:
    if not spec.articles_csv:
        return None
    try:
        module = importlib.import_module("cityrenew.policies.indicators")
    except ModuleNotFoundError as exc:
        if exc.name == "cityrenew.policies.indicators":
            return None
        raise
    return module.parse(spec)


# --- writing ---------------------------------------------------------------------------------------


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        return None


def _note(spec: DocSpec) -> str:
    """The manifest's note, and the OCR errors corrected on ingest (the text differs from the source there)."""
    parts = [spec.note] if spec.note else []
    if spec.fixes:
        parts.append("入库时更正的识别错误：" + "、".join(f"“{a}”→“{b}”" for a, b in spec.fixes) + "。")
    return "".join(parts)


def _fields(spec: DocSpec) -> dict[str, Any]:
    line_range = spec.line_range
    return {
        "title": spec.title, "number": spec.number, "issuer": spec.issuer,
        "level": spec.level or Level.REFERENCE, "region": spec.region,
        "structure": spec.structure or Structure.PARAGRAPHS,
        "issued": _date(spec.date), "effective": _date(spec.effective), "expires": _date(spec.expires),
        "status": spec.status or Status.IN_FORCE, "excerpt": spec.excerpt, "note": _note(spec),
        "source": f"{spec.seed} {spec.lines}" if spec.seed else "",
        "line_start": line_range[0] if line_range else None, "line_end": line_range[1] if line_range else None,
        "url": spec.url, "order": spec.order,
    }


def _article_rows(parsed: ParsedDocument) -> list[tuple]:
    return [(a.ref, a.label, a.heading, a.text, a.line_start, a.line_end,
             None if a.section is None else (parsed.sections[a.section].label, parsed.sections[a.section].title),
             tuple((i.label, i.text) for i in a.items)) for a in parsed.articles]


def _stored_rows(doc: PolicyDocument) -> list[tuple]:
    items: dict[int, list[tuple[str, str]]] = {}
    for it in Item.objects.filter(article__document=doc).order_by("article_id", "order"):
        items.setdefault(it.article_id, []).append((it.label, it.text))
    return [(a.ref, a.label, a.heading, a.text, a.line_start, a.line_end,
             None if a.section_id is None else (a.section.label, a.section.title), tuple(items.get(a.pk, ())))
            for a in doc.articles.select_related("section").order_by("number")]


def write_articles(doc: PolicyDocument, parsed: ParsedDocument, segment: Callable[[str], str] | None = None) -> None:
    """Replace the document's sections, articles and items by ``parsed``."""
    doc.sections.all().delete()  # cascades to the articles in sections
    doc.articles.all().delete()
    sections = Section.objects.bulk_create(
        [Section(document=doc, label=s.label, title=s.title[:300], order=i) for i, s in enumerate(parsed.sections, 1)]
    )
    articles = Article.objects.bulk_create([
        Article(
            document=doc, section=None if a.section is None else sections[a.section], ref=a.ref, label=a.label[:32],
            heading=a.heading[:300], text=a.text, number=n, line_start=a.line_start, line_end=a.line_end,
            tokens=segment(a.text) if segment else "",
        )
        for n, a in enumerate(parsed.articles, 1)
    ])
    Item.objects.bulk_create([
        Item(article=art, label=it.label[:16], text=it.text, order=k)
        for art, a in zip(articles, parsed.articles) for k, it in enumerate(a.items, 1)
    ])


@dataclass
class IngestResult:  # 入库结果
    documents: int = 0
    articles: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    masked: Counter = field(default_factory=Counter)
    per_document: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        text = (f"政策库入库：{self.documents} 个文件、{self.articles} 条条文；新增 {len(self.created)} 个，"
                f"更新 {len(self.updated)} 个，未变 {len(self.unchanged)} 个")
        masked = masked_summary(self.masked)
        return text + (f"；已脱敏 {masked}" if masked else "")

    def as_dict(self) -> dict[str, Any]:
        return {"documents": self.documents, "articles": self.articles, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged, "masked": dict(self.masked),
                "per_document": self.per_document, "summary": self.summary()}


def _save_document(spec_key: str, fields: dict[str, Any], parsed: ParsedDocument | None, result: IngestResult,
                   segment: Callable[[str], str] | None, note: str) -> PolicyDocument:
    doc = PolicyDocument.objects.filter(key=spec_key).first()
    new_rows = _article_rows(parsed) if parsed is not None else None
    if doc is None:
        doc = PolicyDocument(key=spec_key, **fields)
        doc.save()
        if parsed is not None:
            write_articles(doc, parsed, segment)
        result.created.append(spec_key)
    else:
        for name, value in fields.items():
            setattr(doc, name, value)
        changed_meta = bool(doc.audit_diff())
        old_rows = _stored_rows(doc) if new_rows is not None else None
        changed_text = new_rows is not None and old_rows != new_rows
        # articles ingested before the search module was installed have no tokens yet: build them now
        refresh_tokens = new_rows is not None and not changed_text and segment is not None and \
            doc.articles.filter(tokens="").exists()
        if changed_meta:
            doc.save()
        if changed_text:
            write_articles(doc, parsed, segment)
            AuditLog.record(doc, AuditAction.UPDATE, {"条文": [len(old_rows), len(new_rows)]}, note=note)
        elif refresh_tokens:
            articles = list(doc.articles.all())
            for art in articles:
                art.tokens = segment(art.text)
            Article.objects.bulk_update(articles, ["tokens"])
        (result.updated if changed_meta or changed_text else result.unchanged).append(spec_key)
    count = len(parsed.articles) if parsed is not None else doc.articles.count()
    result.per_document[spec_key] = count
    result.articles += count
    result.documents += 1
    return doc


def ingest_seeds(stdout: Any = None, documents: Iterable[DocSpec] | None = None) -> dict[str, Any]:
    """(Re)build every manifest document from its seed lines, in one transaction; see the module doc."""
    specs = list(documents if documents is not None else DOCUMENTS.values())
    segment = _segmenter()
    result = IngestResult()
    parsed_all: dict[str, ParsedDocument | None] = {}
    for spec in specs:  # parse everything first: a parse error leaves the database untouched
        parsed_all[spec.key] = parse_seed_document(spec, result.masked) if spec.seed else _parse_indicator_document(spec)
    n_articles = sum(len(p.articles) for p in parsed_all.values() if p is not None)
    masked = masked_summary(result.masked)
    note = f"政策库入库：{len(specs)} 个文件、{n_articles} 条条文" + (f"，已脱敏 {masked}" if masked else "")
    with audit.actor(None, "system", note=note), transaction.atomic():
        saved: dict[str, PolicyDocument] = {}
        for spec in specs:
            saved[spec.key] = _save_document(spec.key, _fields(spec), parsed_all[spec.key], result, segment,
                                             note=f"政策库入库：按原文重建条文（{note}）")
            if stdout is not None:
                stdout.write(f"  {spec.key}《{spec.title}》：{result.per_document[spec.key]} 条\n")
        for spec in specs:  # versions: the newer document names the one it replaces
            doc = saved[spec.key]
            target = saved.get(spec.replaces) or (PolicyDocument.objects.filter(key=spec.replaces).first()
                                                  if spec.replaces else None)
            if doc.replaces_id != (target.pk if target else None):
                doc.replaces = target
                doc.save(update_fields=["replaces"])
        _rebuild_index()
    if stdout is not None:
        stdout.write(result.summary() + "\n")
    return result.as_dict()


def _rebuild_index(documents: list[PolicyDocument] | None = None) -> None:
    """Refill the search index: every document, or only ``documents`` (an imported one)."""
    try:
        search = importlib.import_module("cityrenew.policies.search")
    except ModuleNotFoundError as exc:
        if exc.name == "cityrenew.policies.search":
            return
        raise
    rebuild = getattr(search, "rebuild_index", None)
    if rebuild is not None:
        rebuild(documents)


# --- a city's own documents ------------------------------------------------------------------------


def _read_txt(path: Path, name: str) -> list[Line]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise PolicyImportError(f"无法识别文件“{name}”的文字编码：请保存为 UTF-8 或 GBK 编码的文本文件")
    raw = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [Line(no, t) for no, t in enumerate(raw, 1)]


def _read_docx(path: Path, name: str) -> list[Line]:
    import zipfile

    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise PolicyImportError(f"无法打开 Word 文件“{name}”：文件已损坏或不是 .docx 格式（{exc}）") from None
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    lines: list[Line] = []
    for child in document.element.body.iterchildren():  # paragraphs and tables in document order
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            for part in Paragraph(child, document).text.split("\n"):
                lines.append(Line(len(lines) + 1, part, hard_break=True))
        elif tag == "tbl":
            for row in Table(child, document).rows:  # one line per row, cells split by ｜; merged cells repeat, kept once
                cells: list[str] = []
                for cell in row.cells:
                    if not cells or cell.text != cells[-1]:
                        cells.append(cell.text)
                lines.append(Line(len(lines) + 1, "｜".join(c.strip() for c in cells), hard_break=True))
    return lines


def _read_pdf(path: Path, name: str) -> list[Line]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise PolicyImportError(f"无法读取 PDF 文件“{name}”：文件已损坏或已加密（{exc}）") from None
    if not any(p.strip() for p in pages):
        raise PolicyImportError(
            f"PDF 文件“{name}”没有文字层（可能是扫描件）：请先进行文字识别（OCR）后导出带文字的 PDF，"
            "或改为上传 Word（.docx）或文本（.txt）文件")
    lines: list[Line] = []
    for page in pages:
        for part in page.split("\n"):
            lines.append(Line(len(lines) + 1, part))
    return lines


READERS = {".txt": _read_txt, ".docx": _read_docx, ".pdf": _read_pdf}
STRUCTURE_NAMES = {"articles": "条文式", "outline": "提纲式", "table": "表格", "paragraphs": "段落"}
META_FIELDS = ("title", "number", "issuer", "level", "region", "structure", "issued", "effective", "expires",
               "status", "note", "url")


def read_document(path: Path, name: str = "") -> list[Line]:
    """The lines of a .txt, .docx or .pdf file (the reader is chosen by the extension); ``name`` is
    the file's name as the user knows it (an upload is kept under a random name)."""
    name = name or path.name
    suffix = path.suffix.lower()
    if suffix not in READERS:
        raise PolicyImportError(f"不支持的文件类型“{name}”：只接受 .txt、.docx 和带文字层的 .pdf")
    if not path.exists():
        raise PolicyImportError(f"文件不存在：{name}")
    if path.stat().st_size == 0:
        raise PolicyImportError(f"文件“{name}”是空文件")
    return READERS[suffix](path, name)


def _check_meta(meta: dict[str, Any]) -> dict[str, Any]:
    key = str(meta.get("key") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", key):
        raise PolicyImportError(f"编码“{key}”无效：只能使用字母、数字、连字符（-）、下划线和点，最多 64 个字符，如 ZZ-2025-12")
    if key in DOCUMENTS:
        raise PolicyImportError(f"编码 {key} 已是系统内置政策文件的编码，请换一个编码")
    title = str(meta.get("title") or "").strip()
    if not title:
        raise PolicyImportError("请填写文件标题")
    fields: dict[str, Any] = {"key": key, "title": title[:300]}
    for name in ("number", "issuer", "region", "note", "url"):
        fields[name] = str(meta.get(name) or "").strip()
    level = meta.get("level") or Level.CITY
    if level not in Level.values:
        raise PolicyImportError(f"层级“{level}”无效，可选：" + "、".join(f"{v}（{label}）" for v, label in Level.choices))
    fields["level"] = level
    status = meta.get("status") or Status.IN_FORCE
    if status not in Status.values:
        raise PolicyImportError(f"效力状态“{status}”无效，可选：" + "、".join(f"{v}（{label}）" for v, label in Status.choices))
    fields["status"] = status
    for name, label in (("issued", "发布日期"), ("effective", "施行日期"), ("expires", "有效期至")):
        value = meta.get(name)
        if value in (None, ""):
            fields[name] = None
        elif isinstance(value, dt.date):
            fields[name] = value
        else:
            try:
                fields[name] = dt.date.fromisoformat(str(value))
            except ValueError:
                raise PolicyImportError(f"{label}“{value}”不是有效日期，请写成 2025-05-02 的形式") from None
    structure = meta.get("structure") or ""
    if structure and structure not in STRUCTURE_NAMES:
        raise PolicyImportError("文本结构无效，可选：" + "、".join(f"{k}（{v}）" for k, v in STRUCTURE_NAMES.items()))
    fields["structure"] = structure
    return fields


def import_document(path: str | Path, meta: dict[str, Any], user: Any = None, *, replace: bool = False,
                    filename: str = "") -> PolicyDocument:
    """Import a city's own document (txt, docx, or a PDF with a text layer) into the library.

    ``meta``: key, title, and optionally number (文号), issuer, level, region, structure (detected from
    the numbering when not given), issued / effective / expires, status, note, url. A key already in
    the library is refused unless ``replace`` (then the document is rebuilt in place, audited).
    Raises :class:`PolicyImportError` (Chinese message) and saves nothing when the file cannot be used.
    ``filename`` names the file in messages and in ``source`` (default: the path's name).
    """
    path = Path(path)
    name = filename or path.name
    fields = _check_meta(meta)
    existing = PolicyDocument.objects.filter(key=fields["key"]).first()
    if existing is not None and not replace:
        raise PolicyImportError(f"编码 {fields['key']} 已存在（{existing}）；如需用新文件替换，请选择“替换”")
    raw = read_document(path, name)
    counts: Counter = Counter()
    docx = path.suffix.lower() == ".docx"
    lines = clean_lines(((ln.no, ln.text) for ln in raw), counts=counts)
    if docx or lines and _long_lines(lines):
        for ln in lines:
            ln.hard_break = True
    elif path.suffix.lower() == ".txt":  # typed text: a line ending a sentence ends its paragraph
        for ln in lines:
            ln.hard_break = ln.text.rstrip()[-1:] in "。！？；：!?;:"
    if not lines:
        raise PolicyImportError(f"文件“{name}”中没有文字")
    structure = fields.pop("structure") or detect_structure(lines)
    if structure is None:
        raise PolicyImportError(
            f"未能识别文件“{name}”的文本结构：没有找到“第一条、第二条”或“一、二、”“（一）（二）”这样的编号。"
            "如为新闻、解读等不分条的材料，请将文本结构指定为“段落”（paragraphs）")
    try:
        parsed = parse(lines, structure)
    except StructureError as exc:
        raise PolicyImportError(f"文件“{name}”：{exc}") from None
    fields.update(structure=structure, source=name[:300], line_start=lines[0].no, line_end=lines[-1].no)
    masked = masked_summary(counts)
    note = f"导入政策文件 {name}：{len(parsed.articles)} 条" + (f"；已脱敏 {masked}" if masked else "")
    with audit.actor(user, "import", note=note), transaction.atomic():
        result = IngestResult()
        doc = _save_document(fields.pop("key"), fields, parsed, result, _segmenter(), note=note)
        _rebuild_index([doc])
    doc.masked = dict(counts)  # type: ignore[attr-defined]
    return doc


def _long_lines(lines: list[Line]) -> bool:
    """Whether the lines are whole paragraphs (median wider than any PDF line, ~45 CJK characters)."""
    from .text import width

    widths = sorted(width(ln.text) for ln in lines)
    return widths[len(widths) // 2] > 90


def check_upload(upload: Any) -> None:
    """The shared upload checks (size limit, extension agrees with content) for the import page; raises
    django ValidationError with a Chinese message."""
    from cityrenew.core.uploads import attachment_type

    attachment_type(upload, allowed=("pdf", "docx", "text"))
