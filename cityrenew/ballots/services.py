"""What a vote does (业主表决): the owners' register, one-time codes, ballots, the tally and its certificate.

Rules and readings (each stated here and in docs/ballots.md):

* The electorate is the register of 专有部分 imported for the vote (:func:`import_register`; area from the
  register, 建筑物区分所有权解释第八条). A 加装电梯 vote takes only the units of its own 楼栋 and 单元
  (河南 annex A1 序号2). The register is fixed once codes are issued.
* Each 专有部分 gets a one-time code (:func:`issue_codes`); only its SHA-256 is stored, the code itself exists
  only in the printed letter. Re-issuing a unit's code replaces the hash, so the old code stops working.
* One person, one ballot (解释第九条): a ballot cast with any code of a person's units is that person's
  vote for all their units; a later ballot with another of their codes replaces it. The developer's unsold
  or undelivered units are one person (``建设单位``). A code is consumed when used; the voter gets a receipt
  code with which the ballot can be changed until close (:func:`change`).
* Paper ballots are entered by the entity with the scan of the signed ballot (:func:`cast_paper`); they
  count like any other ballot of that person (the latest counts) and consume the unit's code.
* Secrecy until close: no page, API or audit row shows a choice before the vote closes; staff see turnout
  (persons and units that voted), never the split. After close :func:`finalize` tallies once through
  :mod:`cityrenew.consent.tally` and stores the result with the SHA-256 of the ballot list (the CSV of
  :func:`ballot_list_csv`, downloadable, so anyone holding it can check the hash).

Every refusal is a :class:`VoteError` with a Chinese message, raised before anything is written.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from cityrenew.consent import tally as consent
from cityrenew.core import audit
from cityrenew.core.audit import beijing_time
from cityrenew.core.models import AuditLog
from cityrenew.core.tabular import cell_text, read_upload
from cityrenew.core.uploads import UploadLimitError, attachment_type

from .choices import ELEVATOR_RULE, TALLY_MATTER, Choice, Matter, Source
from .models import Ballot, OwnerUnit, Vote

REGISTER_COLUMNS = ("楼栋", "单元", "房号", "业主", "专有部分面积")
OPTIONAL_COLUMN = "建设单位未售"  # 是/否 (blank = 否)
YES, NO = ("是", "Y", "y", "1", "TRUE", "true"), ("否", "N", "n", "0", "FALSE", "false", "")
# One-time codes: 12 characters from an alphabet without look-alikes (0/O, 1/I/L), ~59 bits of entropy.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
SCAN_TYPES = ("pdf", "jpeg", "png", "webp", "heic")


@contextmanager
def _note(note: str) -> Iterator[None]:
    """Audit rows written inside the block carry ``note``; the actor stays whoever is acting."""
    ctx = audit.current()
    with audit.actor(ctx.user, ctx.source, note):
        yield


class VoteError(ValueError):
    """A refused vote action (Chinese message); nothing was changed."""


LOCK_RETRIES = 3


def _retry_when_locked(fn):
    """Run a ballot write again when SQLite answers ``database is locked`` at once instead of waiting its
    busy timeout (seen under many concurrent writers in WAL mode, e.g. while another connection checkpoints).
    Safe: the failed transaction rolled back whole, and the write re-checks everything. Not inside an outer
    transaction (that one is already broken) and never on PostgreSQL, where the error does not occur."""

    @functools.wraps(fn)
    def run(*args, **kwargs):
        for attempt in range(LOCK_RETRIES):
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == LOCK_RETRIES - 1 or connection.in_atomic_block:
                    raise
                time.sleep(0.05 * (attempt + 1))
        raise AssertionError("unreachable")

    return run


# --- codes --------------------------------------------------------------------------------------------

def normalise_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def hash_code(code: str) -> str:
    """The SHA-256 (hex) of a code as typed, ignoring case, spaces and dashes."""
    return hashlib.sha256(normalise_code(code).encode("ascii", "ignore")).hexdigest()


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


# --- the register -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RegisterRow:
    building: str
    unit: str
    room: str
    owner: str
    area: Decimal
    developer_unsold: bool


def _table(data: bytes, name: str) -> list[list[str]]:
    if data[:4] == b"PK\x03\x04":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any damaged workbook is the user's file, reported in Chinese
            raise VoteError(f"文件“{name}”不是有效的 xlsx 文件（{exc.__class__.__name__}）") from None
        return [[cell_text(v) for v in row] for row in wb.worksheets[0].iter_rows(values_only=True)]
    for encoding in ("utf-8-sig", "gbk"):
        try:
            return list(csv.reader(io.StringIO(data.decode(encoding))))
        except UnicodeDecodeError:
            continue
    raise VoteError(f"文件“{name}”既不是 UTF-8 也不是 GBK 编码的文本")


def read_register(file: Any, vote: Vote) -> list[RegisterRow]:
    """The rows of a register file (CSV or xlsx), or :class:`VoteError` listing every bad row and field."""
    name = PurePosixPath(getattr(file, "name", "") or str(file)).name
    try:
        data = read_upload(file)
    except UploadLimitError as exc:
        raise VoteError(str(exc)) from None
    if not data.strip():
        raise VoteError(f"文件“{name}”是空文件")
    table = [r for r in _table(data, name) if any(c.strip() for c in r)]
    if not table:
        raise VoteError(f"文件“{name}”是空文件")
    header = [c.strip() for c in table[0]]
    missing = [c for c in REGISTER_COLUMNS if c not in header]
    if missing:
        raise VoteError(f"第1行（表头）缺少列：{'、'.join(missing)}（应有列：{'、'.join(REGISTER_COLUMNS)}，可选列：{OPTIONAL_COLUMN}）")
    idx = {c: header.index(c) for c in (*REGISTER_COLUMNS, OPTIONAL_COLUMN) if c in header}
    errors: list[str] = []
    rows: list[RegisterRow] = []
    seen: dict[tuple[str, str, str], int] = {}
    for n, raw in enumerate(table[1:], start=2):
        cell = {c: (raw[i].strip() if i < len(raw) else "") for c, i in idx.items()}
        for c in ("楼栋", "单元", "房号"):
            if not cell[c]:
                errors.append(f"第{n}行“{c}”：不能为空")
        flag = cell.get(OPTIONAL_COLUMN, "")
        if flag not in YES + NO:
            errors.append(f"第{n}行“{OPTIONAL_COLUMN}”：“{flag}”应为“是”或“否”")
        unsold = flag in YES
        owner = cell["业主"] or (consent.DEVELOPER if unsold else "")
        if not owner:
            errors.append(f"第{n}行“业主”：不能为空")
        try:
            area = consent.parse_area(cell["专有部分面积"], n)
        except consent.ConsentError as exc:
            errors += exc.messages
            area = Decimal(0)
        key = (cell["楼栋"], cell["单元"], cell["房号"])
        if all(key) and key in seen:
            errors.append(f"第{n}行“房号”：{key[0]}栋{key[1]}单元{key[2]}与第{seen[key]}行重复")
        seen.setdefault(key, n)
        if vote.matter == Matter.ELEVATOR and all(key[:2]) and (key[0], key[1]) != (vote.building, vote.unit):
            errors.append(
                f"第{n}行：{key[0]}栋{key[1]}单元不属于本次加装电梯表决的{vote.building}栋{vote.unit}单元"
                f"（{ELEVATOR_RULE.note}，依据{ELEVATOR_RULE}）")
        rows.append(RegisterRow(key[0], key[1], key[2], owner, area.quantize(Decimal("0.01")), unsold))
    if errors:
        raise VoteError("业主名册有误，未导入任何一行：" + "；".join(errors[:50]) + ("；……" if len(errors) > 50 else ""))
    if not rows:
        raise VoteError(f"文件“{name}”中没有数据行（表头以外为空）")
    return rows


def import_register(vote: Vote, file: Any) -> int:
    """Replace the vote's register with the file's rows (all or nothing); returns the number of units.

    Refused once codes were issued (the electorate is then fixed). Re-importing the same file changes nothing.
    """
    rows = read_register(file, vote)
    if vote.units.exclude(code_hash="").exists():
        raise VoteError("表决码已发放，业主名册不能再更改（如名册有误，请新建一次表决）")
    if vote.is_closed():
        raise VoteError("表决已截止，业主名册不能再更改")
    current = {(u.building, u.unit, u.room, u.owner, u.area, u.developer_unsold) for u in vote.units.all()}
    wanted = {(r.building, r.unit, r.room, r.owner, r.area, r.developer_unsold) for r in rows}
    if current == wanted:
        return len(rows)
    with transaction.atomic():
        for u in vote.units.all():
            u.delete()
        for r in rows:
            OwnerUnit.objects.create(vote=vote, building=r.building, unit=r.unit, room=r.room, owner=r.owner,
                                     area=r.area, developer_unsold=r.developer_unsold)
    return len(rows)


def issue_codes(vote: Vote, units: list[OwnerUnit] | None = None) -> list[tuple[OwnerUnit, str]]:
    """New one-time codes: for every unit without one, or (re-issue) for ``units``. Returns (unit, code).

    Re-issuing replaces the stored hash: the old code no longer works. A used code cannot be re-issued
    (its ballot stands; the owner changes it with the receipt code).
    """
    if vote.is_closed():
        raise VoteError("表决已截止，不能再发放表决码")
    if units is None:
        targets = list(vote.units.filter(code_hash=""))
        if not vote.units.exists():
            raise VoteError("请先导入业主名册")
    else:
        targets = list(units)
        for u in targets:
            if u.vote_id != vote.pk:
                raise VoteError(f"专有部分{u.label}不属于本次表决")
            if u.code_used_at is not None:
                raise VoteError(f"专有部分{u.label}的表决码已使用，不能重新发放；如需修改表决意见，请使用回执码")
    issued = []
    now = timezone.now()
    with transaction.atomic():
        for u in targets:
            code = new_code()
            note = "重新发放表决码（原表决码作废）" if u.code_hash else "发放表决码"
            u.code_hash, u.code_issued_at = hash_code(code), now
            with _note(note):
                u.save()
            issued.append((u, code))
    return issued


# --- ballots ------------------------------------------------------------------------------------------

def _check_open(vote: Vote) -> None:
    now = timezone.now()
    if now < vote.opens_at:
        raise VoteError(f"表决尚未开始（开始时间：{beijing_time(vote.opens_at)}）")
    if now >= vote.closes_at:
        raise VoteError(f"表决已于{beijing_time(vote.closes_at)}截止，不能再表决或修改")


def _check_choice(choice: str) -> None:
    if choice not in Choice.values:
        raise VoteError(f"表决意见“{choice}”无效（应为{'、'.join(Choice.values)}之一）")


def units_of(vote: Vote, person: str) -> list[OwnerUnit]:
    q = Q(developer_unsold=True) | Q(owner=person) if person == consent.DEVELOPER else Q(owner=person, developer_unsold=False)
    return list(vote.units.filter(q))


def _record(vote: Vote, unit: OwnerUnit, person: str, choice: str, source: str, *, scan: Any = None,
            user: Any = None) -> tuple[Ballot, str]:
    """Create or replace ``person``'s ballot; returns it and a new receipt code (the old one stops working)."""
    receipt = new_code()
    for attempt in range(2):
        try:
            with transaction.atomic():
                ballot = Ballot.objects.select_for_update().filter(vote=vote, person=person).first()
                if ballot is None:
                    ballot = Ballot(vote=vote, person=person)
                else:
                    ballot.changes += 1
                ballot.choice, ballot.source, ballot.via_unit = choice, source, unit
                ballot.receipt_hash = hash_code(receipt)
                ballot.entered_by = user
                ballot.scan = scan if scan is not None else ""  # the latest ballot counts; the audit keeps the old scan's name
                ballot.save()
            return ballot, receipt
        except IntegrityError:  # another code of the same person won the race to create: replace it
            if attempt:
                raise
    raise AssertionError("unreachable")


@_retry_when_locked
def cast(vote: Vote, code: str, choice: str) -> tuple[Ballot, str, list[OwnerUnit]]:
    """Cast a ballot on the public site with a one-time code; returns the ballot, its receipt code and
    the units it covers. Refusals (:class:`VoteError`): bad choice, not open, unknown/used code, a code of
    another vote."""
    _check_choice(choice)
    if not normalise_code(code):
        raise VoteError("请输入表决码")
    unit = OwnerUnit.objects.filter(code_hash=hash_code(code)).first()
    if unit is None:
        raise VoteError("表决码无效：请核对告知书上的表决码（不区分大小写，横线可省略）")
    if unit.vote_id != vote.pk:
        raise VoteError(f"该表决码属于另一项表决（{unit.vote.title}），不能用于本次表决“{vote.title}”")
    _check_open(vote)
    if unit.code_used_at is not None:
        raise VoteError("该表决码已使用，不能再次投票；如需修改表决意见，请使用投票后取得的回执码")
    now = timezone.now()
    with transaction.atomic():
        # consume the code: only one request can move it from unused to used
        if OwnerUnit.objects.filter(pk=unit.pk, code_used_at__isnull=True).update(code_used_at=now) != 1:
            raise VoteError("该表决码已使用，不能再次投票；如需修改表决意见，请使用投票后取得的回执码")
        unit.code_used_at, unit.row_version = now, unit.row_version + 1  # as the update wrote them
        AuditLog.record(unit, "update", {"code_used_at": [None, now]}, note="表决码已使用（网上表决）")
        ballot, receipt = _record(vote, unit, unit.person, choice, Source.ONLINE)
    return ballot, receipt, units_of(vote, unit.person)


@_retry_when_locked
def change(vote: Vote, receipt: str, choice: str) -> tuple[Ballot, str, list[OwnerUnit]]:
    """Change a ballot with its receipt code until close; returns the ballot and a new receipt code."""
    _check_choice(choice)
    ballot = Ballot.objects.select_related("vote").filter(receipt_hash=hash_code(receipt)).first() if normalise_code(receipt) else None
    if ballot is None:
        raise VoteError("回执码无效：请核对投票后页面显示的回执码（每次修改后会生成新的回执码，旧回执码作废）")
    if ballot.vote_id != vote.pk:
        raise VoteError(f"该回执码属于另一项表决（{ballot.vote.title}），不能用于本次表决“{vote.title}”")
    _check_open(vote)
    ballot, new_receipt = _record(vote, ballot.via_unit, ballot.person, choice, Source.ONLINE)
    return ballot, new_receipt, units_of(vote, ballot.person)


def verify(vote: Vote, receipt: str) -> tuple[Ballot, list[OwnerUnit]]:
    """After close, a voter checks with the last receipt that their ballot was counted as cast."""
    if not vote.is_closed():
        raise VoteError("表决截止后方可核对；截止前可凭回执码修改表决意见")
    ballot = Ballot.objects.filter(vote=vote, receipt_hash=hash_code(receipt)).first() if normalise_code(receipt) else None
    if ballot is None:
        raise VoteError("回执码无效或已作废：只有最后一次表决（或修改）得到的回执码可用于核对")
    return ballot, units_of(vote, ballot.person)


@_retry_when_locked
def cast_paper(vote: Vote, unit: OwnerUnit, choice: str, scan: Any, user: Any) -> Ballot:
    """Enter a paper ballot (纸质表决票) for ``unit``'s owner with the scan of the signed ballot."""
    _check_choice(choice)
    if unit.vote_id != vote.pk:
        raise VoteError(f"专有部分{unit.label}不属于本次表决")
    _check_open(vote)
    if scan is None:
        raise VoteError("纸质表决票须上传签字表决票的扫描件（PDF 或图片）")
    try:
        attachment_type(scan, allowed=SCAN_TYPES)
    except ValidationError as exc:
        raise VoteError("扫描件：" + "；".join(exc.messages)) from None
    now = timezone.now()
    with transaction.atomic():
        if OwnerUnit.objects.filter(pk=unit.pk, code_used_at__isnull=True).update(code_used_at=now):
            unit.code_used_at, unit.row_version = now, unit.row_version + 1  # as the update wrote them
            AuditLog.record(unit, "update", {"code_used_at": [None, now]}, note="表决码作废（已录入纸质表决票）")
        ballot, _ = _record(vote, unit, unit.person, choice, Source.PAPER, scan=scan, user=user)
    return ballot


# --- turnout, tally, certificate ----------------------------------------------------------------------

def turnout(vote: Vote) -> dict[str, int]:
    """What may be shown while the vote runs: how many persons and units voted (never how)."""
    persons = {u.person for u in vote.units.all()}
    voted = set(vote.ballots.values_list("person", flat=True))
    units_voted = sum(1 for u in vote.units.all() if u.person in voted)
    return {"persons_total": len(persons), "persons_voted": len(voted & persons),
            "units_total": vote.units.count(), "units_voted": units_voted}


def ballot_rows(vote: Vote) -> list[dict[str, str]]:
    """One row per 专有部分 with its person's choice (未参与 when none), in register order."""
    choices = {b.person: b for b in vote.ballots.all()}
    rows = []
    for u in vote.units.order_by("building", "unit", "room"):
        b = choices.get(u.person)
        rows.append({"楼栋": u.building, "单元": u.unit, "房号": u.room, "业主": u.person,
                     "专有部分面积": str(u.area), "表决": b.choice if b else consent.ABSENT,
                     "表决方式": b.get_source_display() if b else ""})
    return rows


BALLOT_LIST_COLUMNS = ("楼栋", "单元", "房号", "业主", "专有部分面积", "表决", "表决方式")


def ballot_list_csv(vote: Vote) -> bytes:
    """The ballot list (表决清单) as UTF-8 CSV; its SHA-256 is the one on the certificate."""
    if not vote.is_closed():
        raise VoteError("表决截止前不公布表决清单和结果")
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(BALLOT_LIST_COLUMNS)
    for r in ballot_rows(vote):
        w.writerow([r[c] for c in BALLOT_LIST_COLUMNS])
    return out.getvalue().encode("utf-8")


def finalize(vote: Vote) -> Vote:
    """Tally a closed vote once (through consent.tally) and store the result and the list's SHA-256."""
    if not vote.is_closed():
        raise VoteError(f"表决截止（{beijing_time(vote.closes_at)}）前结果不公开，也不计票")
    if vote.tallied_at is not None:
        return vote
    if not vote.units.exists():
        raise VoteError("本次表决没有业主名册，无法计票")
    units = [consent.Unit(f"{r['楼栋']}-{r['单元']}-{r['房号']}", r["业主"], Decimal(r["专有部分面积"]), r["表决"], n)
             for n, r in enumerate(ballot_rows(vote), start=1)]
    result = consent.tally(units, TALLY_MATTER[vote.matter])
    data = ballot_list_csv(vote)
    with transaction.atomic():
        fresh = Vote.objects.select_for_update().get(pk=vote.pk)
        if fresh.tallied_at is None:
            fresh.result = {**result.contract(), "matter": result.matter, "reasons": result.reasons}
            fresh.ballots_sha256 = hashlib.sha256(data).hexdigest()
            fresh.tallied_at = timezone.now()
            fresh.save()
    vote.refresh_from_db()
    return vote


def consent_guard(plan: Any) -> str:
    """plans guard for CONSENTED: when the plan has votes, its latest closed vote must have passed."""
    votes = list(plan.votes.all())
    if not votes:
        return ""
    closed = [v for v in votes if v.is_closed()]
    if not closed:
        return "本方案的业主表决尚未截止；截止并计票通过后方可确认物业权利人同意"
    latest = max(closed, key=lambda v: (v.closes_at, v.pk))
    try:
        latest = finalize(latest)
    except VoteError as exc:
        return f"业主表决“{latest.title}”无法计票：{exc}"
    if not latest.result["passed"]:
        return f"最近一次业主表决“{latest.title}”未通过（{'；'.join(latest.result['reasons'])}）"
    return ""
