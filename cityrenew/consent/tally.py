"""The arithmetic of an owners' vote (业主共同决定事项的计票), exact and pure (no database, no web).

Rules, each cited through the policy library:

* 《民法典》第二百七十八条第二款: a vote is valid when owners holding 三分之二以上 of the 专有部分 area **and**
  三分之二以上 of the owners take part; matters (六)–(八) (筹集维修资金, 改建、重建, 改变共有部分用途或利用共有部分
  经营 — ``major``) pass with 四分之三以上 of the participating area **and** participating owners agreeing; every
  other matter (``ordinary``) with 过半数 of both. 以上 includes the number itself (民法典第一千二百五十九条),
  so exactly 2/3 and exactly 3/4 pass; 过半数 is more than half, so exactly 1/2 fails.
* 建筑物区分所有权解释第八条: a unit's area is the 专有部分面积 of the register (the input's ``专有部分面积``).
* 建筑物区分所有权解释第九条: one person per 专有部分, but all units of one buyer count as one person, and all of
  the developer's unsold or undelivered units (业主 ``建设单位``) count as one person.

Readings this module makes (stated, since the texts leave them open):

* The ``业主`` text identifies the owner: rows with the same 业主 are one buyer's units (co-owners of one unit
  are written as one 业主, e.g. ``张三、李四``).
* A person has one vote: all units of one 业主 must carry the same 表决; conflicting ballots of one owner are
  refused with a Chinese message naming the rows (the entity must settle which ballot counts). A person's
  area is the sum of their units, counted under their vote.
* 弃权 takes part in the vote (it counts towards participation and against passing); 未参与 does not.

All arithmetic is :class:`~decimal.Decimal` and integers; fractions are compared by cross-multiplication,
never as floats.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from cityrenew.catalogue.policies import cite

DEVELOPER = "建设单位"
AGREE, AGAINST, ABSTAIN, ABSENT = "同意", "反对", "弃权", "未参与"
VOTES = (AGREE, AGAINST, ABSTAIN, ABSENT)
PARTICIPATING = (AGREE, AGAINST, ABSTAIN)
COLUMNS = ("房号", "业主", "专有部分面积", "表决")
MAJOR, ORDINARY = "major", "ordinary"
MATTERS = {MAJOR: "重大事项（民法典第二百七十八条第一款第六项至第八项）", ORDINARY: "其他事项"}

PARTICIPATION = cite(
    "CIVIL-CODE-2020", "第二百七十八条",
    "专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主参与表决",
    rule="业主表决有效：参与表决的专有部分面积和人数均占三分之二以上")
MAJOR_RULE = cite(
    "CIVIL-CODE-2020", "第二百七十八条",
    "第六项至第八项事项应当经参与表决专有部分面积四分之三以上的业主且参与表决人数四分之三以上的业主同意",
    rule="重大事项（筹集维修资金、改建重建、改变共有部分用途或经营）通过：同意的面积和人数均占参与表决的四分之三以上")
ORDINARY_RULE = cite(
    "CIVIL-CODE-2020", "第二百七十八条",
    "其他事项应当经参与表决专有部分面积过半数的业主且参与表决人数过半数的业主同意",
    rule="其他事项通过：同意的面积和人数均超过参与表决的半数（恰好一半不通过）")
THRESHOLD_READING = cite(
    "CIVIL-CODE-2020", "第一千二百五十九条", "“以上”包括本数：恰好三分之二、恰好四分之三即达到",
    rule="业主表决门槛的读法：三分之二以上、四分之三以上含本数；过半数须超过一半")
AREA_RULE = cite("SPC-2009-7", "第八条", "专有部分面积按照不动产登记簿记载的面积计算",
                 rule="业主表决的专有部分面积：按不动产登记簿记载的面积计算")
OWNERS_RULE = cite(
    "SPC-2009-7", "第九条",
    "一个专有部分按一人计算；建设单位尚未出卖和虽已出卖但尚未交付的部分，以及同一买受人拥有一个以上专有部分的，按一人计算",
    rule="业主表决的人数：一个专有部分按一人计算，同一买受人的多个专有部分、建设单位未售或未交付的部分各按一人计算")


class ConsentError(ValueError):
    """Bad vote input; ``messages`` are Chinese, each naming the row and field."""

    def __init__(self, messages: list[str]):
        self.messages = messages
        super().__init__("；".join(messages))


@dataclass(frozen=True)
class Unit:  # 一个专有部分的表决
    room: str  # 房号
    owner: str  # 业主
    area: Decimal  # 专有部分面积（平方米）
    vote: str  # 同意 / 反对 / 弃权 / 未参与
    row: int = 0  # row in the source file (header = 1), for messages


@dataclass(frozen=True)
class Result:
    matter: str
    owners_total: int
    area_total: Decimal
    owners_voted: int
    area_voted: Decimal
    owners_agree: int
    area_agree: Decimal
    participation_ok: bool
    passed: bool
    reasons: list[str] = field(default_factory=list)  # why it failed / passed, in Chinese

    def contract(self) -> dict[str, object]:
        """The CLI's JSON contract: exactly these keys, areas as decimal strings, counts as integers."""
        return {
            "owners_total": self.owners_total,
            "area_total": str(self.area_total),
            "owners_voted": self.owners_voted,
            "area_voted": str(self.area_voted),
            "owners_agree": self.owners_agree,
            "area_agree": str(self.area_agree),
            "participation_ok": self.participation_ok,
            "passed": self.passed,
        }


def parse_area(text: str, row: int) -> Decimal:
    """A positive decimal area from a cell, or a :class:`ConsentError` naming the row."""
    raw = (text or "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ConsentError([f"第{row}行“专有部分面积”：“{raw}”不是数字"]) from None
    if not value.is_finite():
        raise ConsentError([f"第{row}行“专有部分面积”：“{raw}”不是数字"])
    if value <= 0:
        raise ConsentError([f"第{row}行“专有部分面积”：面积须大于0（实际为{raw}）"])
    return value


def units_from_rows(rows: Iterable[tuple[int, dict[str, str]]]) -> list[Unit]:
    """Check and convert table rows ``(row number, {column: text})``; every problem is reported at once."""
    errors: list[str] = []
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for n, r in rows:
        room = (r.get("房号") or "").strip()
        owner = (r.get("业主") or "").strip()
        vote = (r.get("表决") or "").strip()
        if not room:
            errors.append(f"第{n}行“房号”：不能为空")
        elif room in seen:
            errors.append(f"第{n}行“房号”：“{room}”与第{seen[room]}行重复")
        else:
            seen[room] = n
        if not owner:
            errors.append(f"第{n}行“业主”：不能为空")
        if vote not in VOTES:
            errors.append(f"第{n}行“表决”：“{vote}”不是有效的表决（应为{'、'.join(VOTES)}之一）")
        try:
            area = parse_area(r.get("专有部分面积", ""), n)
        except ConsentError as e:
            errors += e.messages
            area = Decimal(0)
        units.append(Unit(room, owner, area, vote, n))
    if errors:
        raise ConsentError(errors)
    if not units:
        raise ConsentError(["文件中没有表决数据行（表头以外为空）"])
    return units


def tally(units: Iterable[Unit], matter: str) -> Result:
    """Count ``units`` for a ``major`` or ``ordinary`` matter (see the module docstring for the rules)."""
    if matter not in MATTERS:
        raise ConsentError([f"事项类型“{matter}”无效（应为 major 或 ordinary）"])
    units = list(units)
    if not units:
        raise ConsentError(["没有表决数据"])
    people: dict[str, list[Unit]] = {}
    for u in units:
        people.setdefault(u.owner, []).append(u)
    conflicts = []
    for owner, own in people.items():
        votes = {u.vote for u in own}
        if len(votes) > 1:
            detail = "、".join(f"第{u.row}行{u.room}：{u.vote}" for u in own)
            conflicts.append(f"业主“{owner}”的多个专有部分表决不一致（{detail}）；同一业主按一人计算，只能有一个表决意见")
    if conflicts:
        raise ConsentError(conflicts)

    area_total = sum((u.area for u in units), Decimal(0))
    owners_total = len(people)
    vote_of = {owner: own[0].vote for owner, own in people.items()}
    owners_voted = sum(1 for v in vote_of.values() if v in PARTICIPATING)
    owners_agree = sum(1 for v in vote_of.values() if v == AGREE)
    area_voted = sum((u.area for u in units if u.vote in PARTICIPATING), Decimal(0))
    area_agree = sum((u.area for u in units if u.vote == AGREE), Decimal(0))

    reasons: list[str] = []
    # 三分之二以上 (including exactly 2/3): voted / total >= 2/3  ⇔  3·voted >= 2·total
    area_part = area_voted * 3 >= area_total * 2
    owners_part = owners_voted * 3 >= owners_total * 2
    if not area_part:
        reasons.append(f"参与表决的专有部分面积 {area_voted} 不足总面积 {area_total} 的三分之二")
    if not owners_part:
        reasons.append(f"参与表决人数 {owners_voted} 不足总人数 {owners_total} 的三分之二")
    participation_ok = area_part and owners_part
    if matter == MAJOR:  # 四分之三以上: agree / voted >= 3/4  ⇔  4·agree >= 3·voted
        area_ok = area_voted > 0 and area_agree * 4 >= area_voted * 3
        owners_ok = owners_voted > 0 and owners_agree * 4 >= owners_voted * 3
        share = "四分之三"
    else:  # 过半数: agree / voted > 1/2  ⇔  2·agree > voted (exactly half fails)
        area_ok = area_agree * 2 > area_voted
        owners_ok = owners_agree * 2 > owners_voted
        share = "半数（须超过半数）"
    if not area_ok:
        reasons.append(f"同意的专有部分面积 {area_agree} 未达到参与表决面积 {area_voted} 的{share}")
    if not owners_ok:
        reasons.append(f"同意人数 {owners_agree} 未达到参与表决人数 {owners_voted} 的{share}")
    passed = participation_ok and area_ok and owners_ok
    return Result(matter, owners_total, area_total, owners_voted, area_voted, owners_agree, area_agree,
                  participation_ok, passed, reasons)
