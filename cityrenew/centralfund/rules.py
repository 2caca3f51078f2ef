"""The rules of 财办建〔2025〕11号 (``MOF-2025-11``) as constants and pure functions, each with its citation.

No web framework here beyond what the citations need: the CLI (``cityrenew funding cap|shortlist``), the
models and the pages all call these functions, so each rule is written once.

Readings the text leaves open, stated once here and on the pages:

* **120% 差额比例** (三、（二）): the defence list holds ``ceil(1.2 × places)`` cities — 20 places → 24;
  where 1.2 × places is not whole we round **up** (7 places → 9), so the defence stays competitive
  (差额) for any number of places. Cities tied with the last city inside the list are all admitted
  (no city is cut by file order); the list is then longer than the size, and says so.
* **Scores** (三、（二）、（四）): the text gives no scale; we record 0–100 (inclusive), at most two decimals.
* **Combined score** (三、（四）: 综合书面评审和现场答辩得分情况): the weights are not given; default 50% / 50%,
  configurable per selection round.
* **8GB** (六、（一）: 电子版材料大小不超过8GB): read as 8 × 10⁹ bytes (decimal GB), the stricter of the two
  readings, so a package accepted here is within the limit under either; 8 GB itself passes.
* **Regions** (四、（一）): the text does not define 东部/中部/西部; the default table
  (``data/cap_regions.csv``) follows the National Bureau of Statistics' division (2011) and puts the
  three 东北 provinces, which NBS lists separately, under 中部 — a choice of ours, editable.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from cityrenew.catalogue.policies import cite

DOC = "MOF-2025-11"

# 四、（一）: 东部地区每个城市补助总额不超过8亿元，中部地区…10亿元，西部地区…12亿元，直辖市…12亿元
CAP_SOURCE = cite(DOC, "四、（一）", "东部地区每个城市补助总额不超过8亿元，中部地区每个城市补助总额不超过10亿元，"
                  "西部地区每个城市补助总额不超过12亿元，直辖市每个城市补助总额不超过12亿元",
                  rule="中央财政补助上限（按区域，亿元）")
CAPS_YI = {"east": Decimal("8"), "central": Decimal("10"), "west": Decimal("12"), "municipality": Decimal("12")}
REGION_LABELS = {"east": "东部地区", "central": "中部地区", "west": "西部地区", "municipality": "直辖市"}
REGION_BY_LABEL = {"东部": "east", "中部": "central", "西部": "west", "直辖市": "municipality",
                   **{v: k for k, v in REGION_LABELS.items()}}
TRANCHE_SOURCE = cite(DOC, "四、（一）", "资金根据工作推进情况分年拨付到位", rule="中央补助分年拨付")

# 二、: 每省（区、市）可推荐1个城市参评
ONE_PER_PROVINCE_SOURCE = cite(DOC, "二、", "每省（区、市）可推荐1个城市参评", rule="每省至多推荐1个城市")
PLACES_SOURCE = cite(DOC, "二、", "共评选不超过20个城市", rule="2025年评选名额不超过20个")
DEFAULT_PLACES = 20
SCOPE_SOURCE = cite(DOC, "二、", "支持的范围为大城市及以上城市", rule="申报城市须为大城市及以上")
GATE_SOURCE = cite(DOC, "二、", "申报城市需同时满足以下基础条件", rule="申报基础条件（三项须同时满足）")

# 三、（二）: 按照120%差额比例确定进入现场答辩的城市名单
SHORTLIST_SOURCE = cite(DOC, "三、（二）", "按照120%差额比例确定进入现场答辩的城市名单", rule="现场答辩名单为名额的120%")
SHORTLIST_RATIO = Decimal("1.2")
SCORE_MIN, SCORE_MAX = Decimal("0"), Decimal("100")
COMBINED_SOURCE = cite(DOC, "三、（四）", "综合书面评审和现场答辩得分情况，确定入围城市", rule="综合得分确定入围城市")
DEFAULT_WRITTEN_WEIGHT = Decimal("0.5")

# 六、（一）: 电子版材料大小不超过8GB
PACKAGE_SOURCE = cite(DOC, "六、（一）", "电子版材料大小不超过8GB", rule="申报电子版材料不超过8GB")
PACKAGE_LIMIT_BYTES = 8 * 10**9

DATA = Path(__file__).resolve().parent / "data" / "cap_regions.csv"


class RuleError(ValueError):
    """Input a rule refuses (message in Chinese, naming the row and field)."""


# --- caps by region --------------------------------------------------------------------------------

@dataclass(frozen=True)
class ProvinceRegion:  # 省份 → 补助区域
    province: str
    short: str
    region: str  # east / central / west / municipality
    basis: str

    @property
    def region_label(self) -> str:
        return REGION_LABELS[self.region]

    @property
    def cap_yi(self) -> Decimal:
        return CAPS_YI[self.region]


def default_regions() -> list[ProvinceRegion]:
    """The shipped province → region table (``data/cap_regions.csv``), in file order."""
    with open(DATA, encoding="utf-8", newline="") as fh:
        return [ProvinceRegion(r["省份"], r["简称"], REGION_BY_LABEL[r["区域"]], r["依据"]) for r in csv.DictReader(fh)]


def normalise_province(name: str) -> str:
    """The full name of a province as the table writes it (``四川`` / ``四川省`` → ``四川省``), or ""."""
    name = (name or "").strip()
    for row in default_regions():
        if name in (row.province, row.short):
            return row.province
    return ""


# --- the defence shortlist -------------------------------------------------------------------------

def shortlist_size(places: int) -> int:
    """How many cities go to the defence for ``places`` places: ceil(1.2 × places) (20 → 24, 7 → 9)."""
    if places < 1:
        raise RuleError(f"名额应为正整数（收到 {places}）")
    return math.ceil(Decimal(places) * SHORTLIST_RATIO)


def parse_score(text: object, *, row: int, field: str = "书面评审得分") -> Decimal:
    """A score of 0–100 (at most two decimals) or a :class:`RuleError` naming the row and field."""
    raw = str(text if text is not None else "").strip()
    if not raw:
        raise RuleError(f"第 {row} 行「{field}」：不能为空")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise RuleError(f"第 {row} 行「{field}」：“{raw}”不是数字") from None
    if not value.is_finite() or value < SCORE_MIN or value > SCORE_MAX:
        raise RuleError(f"第 {row} 行「{field}」：得分 {raw} 超出范围，应在 0–100 之间")
    if value != value.quantize(Decimal("0.01")):
        raise RuleError(f"第 {row} 行「{field}」：得分 {raw} 至多保留两位小数")
    return value


@dataclass(frozen=True)
class ScoredCity:  # 一个参评城市及其书面评审得分
    row: int
    city: str
    province: str
    score: Decimal


def check_one_per_province(cities: list[ScoredCity]) -> None:
    """Refuse two cities of one province (二、: 每省（区、市）可推荐1个城市参评), naming the rows."""
    seen: dict[str, ScoredCity] = {}
    problems = []
    for c in cities:
        key = normalise_province(c.province) or c.province
        if key in seen:
            first = seen[key]
            problems.append(f"第 {c.row} 行「省份」：{key}已推荐{first.city}（第 {first.row} 行），又推荐{c.city}；"
                            f"每省（区、市）只可推荐1个城市参评（{ONE_PER_PROVINCE_SOURCE}）")
        else:
            seen[key] = c
    if problems:
        raise RuleError("\n".join(problems))


def read_scores_csv(data: bytes) -> list[ScoredCity]:
    """Rows of a CSV ``城市, 省份, 书面评审得分`` (UTF-8, UTF-8 with BOM or GB18030), all checked."""
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RuleError("文件编码无法识别：请保存为 UTF-8 或 GBK 编码的 CSV")
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise RuleError("文件为空：第一行应为表头“城市, 省份, 书面评审得分”")
    header = [h.strip() for h in rows[0]]
    wanted = ["城市", "省份", "书面评审得分"]
    missing = [w for w in wanted if w not in header]
    if missing:
        raise RuleError(f"表头缺少列：{'、'.join(missing)}（应为“城市, 省份, 书面评审得分”）")
    idx = {w: header.index(w) for w in wanted}
    out: list[ScoredCity] = []
    errors: list[str] = []
    for n, raw in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in raw):
            continue
        cells = {w: (raw[i].strip() if i < len(raw) else "") for w, i in idx.items()}
        for w in ("城市", "省份"):
            if not cells[w]:
                errors.append(f"第 {n} 行「{w}」：不能为空")
        if cells["省份"] and not normalise_province(cells["省份"]):
            errors.append(f"第 {n} 行「省份」：“{cells['省份']}”不是省级行政区名称")
        try:
            score = parse_score(cells["书面评审得分"], row=n)
        except RuleError as exc:
            errors.append(str(exc))
            continue
        out.append(ScoredCity(n, cells["城市"], normalise_province(cells["省份"]) or cells["省份"], score))
    if errors:
        raise RuleError("\n".join(errors))
    if not out:
        raise RuleError("文件没有数据行")
    cities = [c.city for c in out]
    dup = sorted({c for c in cities if cities.count(c) > 1})
    if dup:
        raise RuleError(f"城市重复：{'、'.join(dup)}")
    check_one_per_province(out)
    return out


@dataclass(frozen=True)
class Shortlist:  # 现场答辩名单
    places: int
    size: int
    cities: list[ScoredCity]  # highest first; longer than size when cities tie at the cut
    tied_at_cut: list[str]

    def as_dict(self) -> dict:
        """The CLI's JSON: exactly places, shortlist_size, shortlist — plus ``tied_at_cut`` only when
        cities tied with the last one came in (the list is then longer than the size)."""
        out: dict = {"places": self.places, "shortlist_size": self.size, "shortlist": [c.city for c in self.cities]}
        if self.tied_at_cut:
            out["tied_at_cut"] = self.tied_at_cut
        return out


def shortlist(cities: list[ScoredCity], places: int) -> Shortlist:
    """The defence list: the ``shortlist_size(places)`` best written scores, highest first (equal scores
    keep file order); cities tied with the last one inside are admitted too."""
    size = shortlist_size(places)
    ranked = sorted(cities, key=lambda c: (-c.score, c.row))
    if len(ranked) <= size:
        return Shortlist(places, size, ranked, [])
    cut = ranked[size - 1].score
    inside = [c for c in ranked if c.score >= cut]
    return Shortlist(places, size, inside, [c.city for c in inside[size:]])


def combined_score(written: Decimal, defence: Decimal, written_weight: Decimal = DEFAULT_WRITTEN_WEIGHT) -> Decimal:
    """三、（四）: written × w + defence × (1 − w), rounded to 0.01."""
    return (written * written_weight + defence * (Decimal("1") - written_weight)).quantize(Decimal("0.01"))


def package_problem(sizes: list[int]) -> str:
    """Why a package of files of ``sizes`` bytes is too large (六、（一）: ≤ 8GB = 8 × 10⁹ bytes), or ""."""
    total = sum(sizes)
    if total > PACKAGE_LIMIT_BYTES:
        return (f"电子版材料合计 {total:,} 字节，超过 8GB（按 8×10⁹ 字节计）{total - PACKAGE_LIMIT_BYTES:,} 字节"
                f"（{PACKAGE_SOURCE}）")
    return ""
