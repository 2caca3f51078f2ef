"""Uploaded files: limits checked before parsing, attachment types checked by content, safe serving.

Three jobs, shared by every import and every attachment in the system:

* **limits** (上传限制) — size per kind of upload, and for a zip (every .xlsx is one, and a zipped
  Shapefile) the central directory is read and its members' declared sizes summed *before* any
  parser decompresses a byte: too many members, too large unpacked, or a compression ratio only a
  zip bomb reaches is refused. Row limits of tables live in :mod:`cityrenew.core.tabular`. The
  numbers are the setting ``CITYRENEW_UPLOAD_LIMITS``; every refusal is a Chinese message naming the
  limit, the file's value and the allowed value.
* **attachment types** (佐证材料、问题照片) — an allow-list checked by the file's first bytes
  (magic numbers) and, for .xlsx/.docx, by the ``[Content_Types].xml`` inside the zip; the name's
  extension must agree with the content. HTML, SVG, scripts and programs are refused.
  The sniff is hand-written: nine formats, each a fixed signature, and the Office check needs the
  zip's content types, which the generic magic libraries (filetype, puremagic) only guess at.
* **serving** — :func:`attachment_response` sends images and PDF inline and everything else as a
  download, always with ``nosniff`` and a sandboxing Content-Security-Policy.

Import files kept between a dry run and its confirmation (试运行 → 确认导入) are stored under
``CITYRENEW_DATA_DIR/uploads/<kind>/`` with a random name; the confirm form carries only that name
(the token), which is checked against a strict pattern, so no path from the client is ever opened.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import FileResponse, HttpResponse

MB = 1024 * 1024
DEFAULT_LIMITS: dict[str, Any] = {
    # bytes per kind of upload: table = project CSV/xlsx, department template, unit Excel;
    # geodata = GeoPackage, GeoJSON, zipped Shapefile; attachment = 佐证材料、照片; json = summary.json
    "max_bytes": {"table": 50 * MB, "geodata": 200 * MB, "attachment": 20 * MB, "json": 20 * MB},
    "max_rows": 200_000,  # data rows of a table (the header row not counted)
    "max_unzipped_bytes": 256 * MB,  # sum of a zip's members as its central directory declares them
    "max_zip_ratio": 100,  # unpacked ÷ packed; real xlsx files stay below ~30, a zip bomb reaches ~1000
    "max_zip_members": 1000,
}
KIND_LABELS = {"table": "表格文件", "geodata": "地理数据文件", "attachment": "附件", "json": "JSON 文件"}


def limits() -> dict[str, Any]:
    """The upload limits: ``CITYRENEW_UPLOAD_LIMITS`` over the defaults (a partial setting is fine)."""
    given = getattr(settings, "CITYRENEW_UPLOAD_LIMITS", None) or {}
    out = {**DEFAULT_LIMITS, **given}
    out["max_bytes"] = {**DEFAULT_LIMITS["max_bytes"], **given.get("max_bytes", {})}
    return out


def human_size(n: int) -> str:
    """``52428800`` → ``50 MB``; ``1536`` → ``1.5 KB``."""
    for unit, size in (("GB", 1024**3), ("MB", MB), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} 字节"


class UploadLimitError(ValueError):  # 上传文件超出限制
    """A file refused before parsing: ``limit`` (which one), the file's ``value``, the ``allowed`` value."""

    def __init__(self, limit: str, value: str, allowed: str, hint: str = ""):
        self.limit, self.value, self.allowed = limit, value, allowed
        self.message = f"{limit}超过上限：本文件{value}，允许不超过{allowed}" + (f"（{hint}）" if hint else "")
        super().__init__(self.message)


def check_size(size: int, kind: str) -> None:
    """Refuse a file larger than the limit of its ``kind`` (table, geodata, attachment, json)."""
    allowed = limits()["max_bytes"][kind]
    if size > allowed:
        raise UploadLimitError(f"{KIND_LABELS.get(kind, '文件')}大小", f" {human_size(size)}", f" {human_size(allowed)}",
                               "请拆分后分批上传")


def size_of(file: Any) -> int | None:
    """The size of a path, an uploaded file, bytes or a seekable file object (None when unknown)."""
    if isinstance(file, (bytes, bytearray)):
        return len(file)
    if isinstance(file, (str, os.PathLike)):
        return os.path.getsize(file)
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    try:
        pos = file.tell()
        file.seek(0, io.SEEK_END)
        end = file.tell()
        file.seek(pos)
        return end - pos
    except (AttributeError, OSError):
        return None


def check_zip(source: str | os.PathLike | BinaryIO | bytes) -> None:
    """Refuse a zip whose central directory declares too many members, too many unpacked bytes or a
    zip-bomb compression ratio. Nothing is decompressed; a damaged zip is left for the reader to report.

    The declared sizes are binding: Python's zipfile never yields more than a member's declared
    ``file_size``, so a zip that lies about them cannot unpack further than checked here.
    """
    lim = limits()
    src = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else source
    try:
        with zipfile.ZipFile(src) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return
    finally:
        if hasattr(src, "seek"):
            src.seek(0)
    if len(infos) > lim["max_zip_members"]:
        raise UploadLimitError("压缩包内文件数", f" {len(infos):,} 个", f" {lim['max_zip_members']:,} 个")
    unpacked = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if unpacked > lim["max_unzipped_bytes"]:
        raise UploadLimitError("解压后大小", f"解压后 {human_size(unpacked)}", f" {human_size(lim['max_unzipped_bytes'])}",
                               "疑似压缩炸弹或文件过大")
    ratio = unpacked / packed
    if unpacked > MB and ratio > lim["max_zip_ratio"]:
        raise UploadLimitError("压缩比", f" {ratio:,.0f} 倍", f" {lim['max_zip_ratio']} 倍", "疑似压缩炸弹")


def check_upload(file: Any, kind: str, name: str = "") -> None:
    """Size first, then, for a zip (xlsx, zipped Shapefile), its central directory."""
    size = size_of(file)
    if size is not None:
        check_size(size, kind)
    if _is_zip(file, name):
        check_zip(file)


def _is_zip(file: Any, name: str) -> bool:
    if isinstance(file, (bytes, bytearray)):
        return bytes(file[:4]) == b"PK\x03\x04"
    if isinstance(file, (str, os.PathLike)):
        with open(file, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    try:
        pos = file.tell()
        head = file.read(4)
        file.seek(pos)
        return head == b"PK\x03\x04"
    except (AttributeError, OSError):
        return name.lower().endswith((".xlsx", ".zip"))


def form_upload_error(upload: Any, kind: str) -> str:
    """For a form's ``clean_<field>``: the Chinese refusal of ``upload`` under the limits, or ""."""
    try:
        check_upload(upload, kind, getattr(upload, "name", "") or "")
    except UploadLimitError as exc:
        return f"文件“{upload.name}”{exc.message}"
    return ""


class OversizeUpload(UploadedFile):  # 超限的上传文件（内容未保存）
    """A file that went past the largest upload limit while arriving: only its name and real size
    are kept, so the form refuses it with the usual message and nothing of it stays on disk."""

    def __init__(self, name: str, content_type: str, size: int):
        super().__init__(io.BytesIO(), name, content_type, size)


class CappedUploadHandler(TemporaryFileUploadHandler):
    """Django's temporary-file upload handler that stops writing a file once it passes the largest
    limit in ``CITYRENEW_UPLOAD_LIMITS["max_bytes"]``: the rest is counted, not stored, and the file
    arrives as an :class:`OversizeUpload` that every upload form refuses by its size."""

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.cap = max(limits()["max_bytes"].values())
        self.received = 0
        self.over = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if not self.over and self.received > self.cap:
            self.over = True
            self.upload_interrupted()  # closes and removes the temporary file
        if not self.over:
            super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int) -> UploadedFile:
        if self.over:
            return OversizeUpload(self.file_name, self.content_type, self.received)
        return super().file_complete(file_size)


# --- attachments: allow-list by content ------------------------------------------------------------

@dataclass(frozen=True)
class FileType:  # 允许的附件类型
    key: str
    label: str  # 中文名称
    suffixes: tuple[str, ...]
    content_type: str
    inline: bool  # shown in the browser (images, PDF) rather than downloaded


ATTACHMENT_TYPES = {t.key: t for t in (
    FileType("jpeg", "JPEG 图片", (".jpg", ".jpeg"), "image/jpeg", True),
    FileType("png", "PNG 图片", (".png",), "image/png", True),
    FileType("gif", "GIF 图片", (".gif",), "image/gif", True),
    FileType("webp", "WebP 图片", (".webp",), "image/webp", True),
    FileType("heic", "HEIC 照片", (".heic", ".heif"), "image/heic", False),  # phones' photos; browsers cannot show them
    FileType("pdf", "PDF 文档", (".pdf",), "application/pdf", True),
    FileType("xlsx", "Excel 工作簿", (".xlsx",), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    FileType("docx", "Word 文档", (".docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", False),
    FileType("text", "文本/CSV 文件", (".csv", ".txt"), "text/plain; charset=utf-8", False),
)}
IMAGE_TYPES = ("jpeg", "png", "gif", "webp", "heic")
# The main part's content type inside [Content_Types].xml (ECMA-376 Part 2, Open Packaging Conventions).
OFFICE_MAIN_PARTS = {
    "xlsx": b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "docx": b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
}
HEIC_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"mif1", b"msf1", b"heim", b"heis")
MARKUP_RE = re.compile(rb"<\s*(!doctype|html|head|body|script|svg|iframe|object|embed|meta|\?xml)\b", re.I)
SVG_RE = re.compile(rb"<\s*svg\b", re.I)
SNIFF_BYTES = 64 * 1024


def _text_kind(head: bytes) -> str:
    """"text" for plain UTF-8/GBK text, else what it is ("html", "svg", "binary")."""
    if b"\x00" in head:
        return "binary"
    body = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if SVG_RE.search(body):
        return "svg"
    if MARKUP_RE.search(body) or body.startswith(b"<"):
        return "html"
    for enc in ("utf-8", "gbk"):
        try:
            codecs.getincrementaldecoder(enc)().decode(head, final=False)
            return "text"
        except UnicodeDecodeError:
            continue
    return "binary"


def _office_kind(file: BinaryIO) -> str:
    """"xlsx"/"docx" for an Office package with the right main part, else "zip"."""
    try:
        with zipfile.ZipFile(file) as zf:
            info = zf.getinfo("[Content_Types].xml") if "[Content_Types].xml" in zf.namelist() else None
            if info is None or info.file_size > MB:  # a few kB in any real package
                return "zip"
            types = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return "zip"
    finally:
        file.seek(0)
    for key, part in OFFICE_MAIN_PARTS.items():
        if part in types:
            return key
    return "zip"


def sniff(file: BinaryIO) -> str:
    """What the content of ``file`` is, from its first bytes: a key of :data:`ATTACHMENT_TYPES`,
    or one of "html", "svg", "exe", "zip", "binary" (refused). ``file`` is left at position 0."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIC_BRANDS:
        return "heic"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"#!")):
        return "exe"
    if head.startswith(b"PK\x03\x04"):
        return _office_kind(file)
    return _text_kind(head)


CONTENT_LABELS = {"html": "HTML 网页", "svg": "SVG 图像（可含脚本）", "exe": "可执行程序或脚本", "zip": "普通 ZIP 压缩包",
                  "binary": "无法识别的二进制文件"} | {k: t.label for k, t in ATTACHMENT_TYPES.items()}
ALLOWED_TEXT = "图片（jpg、png、webp、gif、heic）、PDF、Excel（.xlsx）、Word（.docx）、CSV 和文本文件（.txt）"


def attachment_type(upload: Any, *, allowed: Iterable[str] = tuple(ATTACHMENT_TYPES)) -> FileType:
    """The :class:`FileType` of an uploaded attachment, or ValidationError with a Chinese reason.

    Checks, in order: the size limit, the extension is on the allow-list, the content (magic bytes)
    is on the allow-list, and the two agree — a ``.png`` that is really HTML is refused.
    """
    allowed = tuple(allowed)
    name = PurePosixPath(getattr(upload, "name", "") or "").name
    suffix = PurePosixPath(name.lower()).suffix
    accepted = "、".join(s for k in allowed for s in ATTACHMENT_TYPES[k].suffixes)
    if (err := form_upload_error(upload, "attachment")):
        raise ValidationError(err, code="too_large")
    by_suffix = next((k for k in allowed if suffix in ATTACHMENT_TYPES[k].suffixes), None)
    if by_suffix is None:
        raise ValidationError(
            f"不支持的文件类型“{name}”：只接受 {accepted}；网页（HTML）、SVG、脚本和可执行文件不能上传", code="type")
    found = sniff(upload)
    if found != by_suffix:
        what = CONTENT_LABELS.get(found, found)
        raise ValidationError(
            f"文件“{name}”的扩展名是 {suffix}，但内容是{what}；只接受内容与扩展名一致的 {accepted} 文件", code="mismatch")
    return ATTACHMENT_TYPES[found]


def validate_attachment(upload: Any) -> None:
    """Model/form field validator: 佐证材料 (images, PDF, xlsx, docx, CSV/TXT)."""
    attachment_type(upload)


def validate_photo(upload: Any) -> None:
    """Model/form field validator: 问题照片 (images only)."""
    attachment_type(upload, allowed=IMAGE_TYPES)


# --- geodata imports: the content must be what the name says ------------------------------------------

def _osm_pbf(head: bytes) -> bool:
    """An OSM PBF file: a 4-byte big-endian BlobHeader length, then the BlobHeader whose first field
    (key 0x0A, length 9) is the type "OSMHeader" (https://wiki.openstreetmap.org/wiki/PBF_Format)."""
    return len(head) >= 15 and head[:2] == b"\x00\x00" and head[4:6] == b"\x0a\x09" and head[6:15] == b"OSMHeader"


GEODATA_TYPES = {  # suffix → (label, test of the first bytes)
    ".gpkg": ("GeoPackage", lambda head: head.startswith(b"SQLite format 3\x00")),
    ".zip": ("Shapefile 压缩包", lambda head: head.startswith(b"PK\x03\x04")),
    ".geojson": ("GeoJSON", lambda head: head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")),
    ".json": ("GeoJSON", lambda head: head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")),
    ".pbf": ("OpenStreetMap PBF（.osm.pbf）", _osm_pbf),
}
LAYER_FILE_SUFFIXES = (".gpkg", ".geojson", ".json", ".zip")  # what geometry-layer imports take
GEODATA_ACCEPTED = {".gpkg": ".gpkg", ".geojson": ".geojson", ".json": ".json", ".zip": "Shapefile 的 .zip", ".pbf": ".osm.pbf"}


def geodata_content_error(upload: Any, suffixes: Iterable[str] = LAYER_FILE_SUFFIXES) -> str:
    """"" when an uploaded geodata file's first bytes agree with its extension (GeoPackage = SQLite,
    zipped Shapefile = zip, GeoJSON = a JSON object, ``.osm.pbf`` = an OSMHeader blob) and the
    extension is one of ``suffixes``, else the Chinese refusal."""
    name = PurePosixPath(getattr(upload, "name", "") or "").name
    suffix = PurePosixPath(name.lower()).suffix
    suffixes = tuple(suffixes)
    if suffix not in suffixes or suffix not in GEODATA_TYPES:
        accepted = "、".join(GEODATA_ACCEPTED[s] for s in suffixes)
        return f"不支持的文件类型“{name}”：只接受 {accepted}"
    label, test = GEODATA_TYPES[suffix]
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    if not test(head):
        return f"文件“{name}”的扩展名是 {suffix}，但内容不是 {label}；请上传内容与扩展名一致的文件"
    return ""


TABLE_TYPES = {".xlsx": "xlsx", ".csv": "text"}  # suffix → what :func:`sniff` must find


def table_content_error(upload: Any) -> str:
    """"" when an uploaded table's content agrees with its extension (``.xlsx`` an Excel workbook package,
    ``.csv`` plain UTF-8/GBK text), else the Chinese refusal — a ``.csv`` that is really a web page or a
    program is refused before any parser sees it."""
    name = PurePosixPath(getattr(upload, "name", "") or "").name
    suffix = PurePosixPath(name.lower()).suffix
    if suffix not in TABLE_TYPES:
        return f"不支持的文件类型“{name}”：只接受 Excel（.xlsx）或 CSV 文件"
    found = sniff(upload)
    if found != TABLE_TYPES[suffix]:
        return f"文件“{name}”的扩展名是 {suffix}，但内容是{CONTENT_LABELS.get(found, found)}；请上传内容与扩展名一致的 Excel 或 CSV 文件"
    return ""


# --- serving attachments --------------------------------------------------------------------------

# Every user file: no content sniffing, no scripts, no plugins, no network; images and PDF may show.
ATTACHMENT_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"
# Chromium's PDF viewer does not run in a sandboxed document: PDFs get the same policy without it.
PDF_CSP = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'"
SAFE_NAME_RE = re.compile(r"[^\w.\-（）()\u4e00-\u9fff]+")

# Who may open an attachment: prefix → function(user, name) returning True (may read the object the
# file belongs to), False (may not) or None (no such object). Apps register in their AppConfig.ready.
AttachmentRule = Callable[[Any, str], "bool | None"]
ATTACHMENT_RULES: dict[str, AttachmentRule] = {}


def register_attachments(prefix: str, rule: AttachmentRule) -> None:
    """Serve files under ``MEDIA_ROOT/<prefix>`` to users ``rule`` allows (see :data:`ATTACHMENT_RULES`)."""
    ATTACHMENT_RULES[prefix] = rule


def safe_filename(name: str) -> str:
    """The base name with anything but letters, digits, CJK, ``.-_()`` replaced by ``_``."""
    base = PurePosixPath(name.replace("\\", "/")).name
    clean = SAFE_NAME_RE.sub("_", base).strip("._") or "file"
    return clean[:120]


def attachment_response(path: Path, name: str) -> HttpResponse:
    """The stored file at ``path``: images and PDF whose content agrees with their name inline, all
    else (including HTML/SVG stored before the allow-list) as ``Content-Disposition: attachment``."""
    fh = open(path, "rb")
    found = sniff(fh)
    ftype = ATTACHMENT_TYPES.get(found)
    filename = safe_filename(name)
    suffix = PurePosixPath(filename.lower()).suffix
    if ftype is not None and ftype.inline and suffix in ftype.suffixes:
        resp = FileResponse(fh, content_type=ftype.content_type, filename=filename)  # inline; filename=…
        resp["Content-Security-Policy"] = PDF_CSP if found == "pdf" else ATTACHMENT_CSP
    else:
        resp = FileResponse(fh, as_attachment=True, filename=filename, content_type="application/octet-stream")
        resp["Content-Security-Policy"] = ATTACHMENT_CSP
    resp["X-Content-Type-Options"] = "nosniff"
    resp["Cross-Origin-Resource-Policy"] = "same-origin"
    resp["Cache-Control"] = "private, no-store"
    return resp


# --- import files kept between a dry run and its confirmation ----------------------------------------

TOKEN_RE = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{1,8})$")


def upload_dir(kind: str) -> Path:
    """``CITYRENEW_DATA_DIR/uploads/<kind>/``, created when missing."""
    d = Path(settings.DATA_DIR) / "uploads" / kind
    d.mkdir(parents=True, exist_ok=True)
    return d


def stash_upload(upload: Any, kind: str) -> tuple[str, Path]:
    """Write an uploaded file under a random name; returns (token, path). The suffix is kept."""
    suffix = Path(upload.name or "").suffix.lower()
    token = uuid.uuid4().hex + suffix
    path = upload_dir(kind) / token
    with open(path, "wb") as fh:
        fh.writelines(upload.chunks())
    return token, path


def stashed_upload(kind: str, token: str, suffixes: Iterable[str]) -> Path | None:
    """The stashed file named by ``token`` (from a confirm form), or None when invalid or gone."""
    m = TOKEN_RE.match(token or "")
    if m is None or m.group(1) not in set(suffixes):
        return None
    path = upload_dir(kind) / token
    return path if path.is_file() else None
