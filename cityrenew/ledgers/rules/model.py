"""Renewal rules as data (更新规则): rule files, threshold words read as the law reads them, readings.

A rule file (``data/*.toml``) is one province's catalogue for one ledger kind, versioned. Each rule names
the categories it applies to, its conditions over canonical columns (:mod:`.columns`), how they combine
(``match``), the verdict it gives and its citation (document key, canonical article ref, item, seed
lines). A condition keeps the threshold words as printed (``运行年限满20年``) next to its comparison, and
:func:`bound_of_words` checks the two agree as 民法典 art. 1259 reads them: 以上/以下/以内/届满/满 include
the number, 不满/未满/超过/以外 do not. Words the article does not settle (``1980年以前``, ``超过10年以上``)
must point at a *reading* (``op = "@reading-id"``): a named question with its choices and a stated
default, which a city may switch in its rule file (:mod:`.config`).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .columns import COLUMNS

DATA_DIR = Path(__file__).resolve().parent / "data"

KINDS = ("equipment", "building", "community", "dangerous_housing")

# Verdicts and their precedence per ledger kind (first = strongest). Equipment: 强制 > 鼓励 > 需评估 > 不需更新.
MANDATORY, ENCOURAGED, ASSESS, NONE = "强制更新", "鼓励更新", "需评估", "不需更新"
UNKNOWN_CATEGORY = "类别未知"
VERDICTS: dict[str, tuple[str, ...]] = {
    "equipment": (MANDATORY, ENCOURAGED, ASSESS, NONE),
    "building": ("第一类老旧楼宇", "第二类老旧楼宇", "否"),
    "community": ("重点改造对象", "非重点对象"),
    "dangerous_housing": ("一屋一策", "拆除改造", "加固改建重建", "不适用"),
}
DEFAULT_VERDICT = {kind: v[-1] for kind, v in VERDICTS.items()}

# Canonical equipment categories (the seeds' wording). A row whose category is none of these is reported.
CATEGORIES = (
    "燃气管道", "供水管道", "污水管道", "排水管道", "供热管道", "二次供水设施", "供水设备", "污水处理设备", "排水设施",
    "住宅电梯", "燃煤锅炉", "燃气锅炉", "换热站", "换热器", "水泵电机", "液化石油气充装站", "液化石油气充装站设备",
    "液化石油气钢瓶", "环卫车辆/设备", "环卫车辆", "环卫设备", "建筑施工机械", "建筑节能设备", "生命线感知设备",
    "燃气场站设施",
)

NUMERIC_OPS = (">=", ">", "<=", "<")
SCOPE_OPS = ("in", "any")  # a reading of a list (“以办公、商业服务业等功能为主”): limit to it, or any value
OPS = NUMERIC_OPS + ("in", "not in", "is")
MATCHES = ("any", "all", "first_and_any")
MAX_RULES = 63  # fired rules are kept as one int64 bit mask per row


class RuleError(ValueError):
    """A rule file, city rule file or evaluation request that cannot be used (message in Chinese)."""


# --- threshold words (民法典 第一千二百五十九条) ---------------------------------------------------------
_INCLUSIVE = ("以上", "以下", "以内", "届满", "不少于", "不低于", "不超过", "不高于", "及以下", "及以上", "底前", "满")
_EXCLUSIVE = ("超过", "不满", "未满", "以外", "不足", "低于", "高于", "大于", "小于")


def bound_of_words(words: str) -> str:
    """``inclusive``, ``exclusive`` or ``ambiguous``: whether the threshold words include the number.

    民法典 art. 1259: 以上、以下、以内、届满 include the number; 不满、超过、以外 do not. 满 N 年 (N full
    years reached) includes N; 不超过/不少于 include it. Words carrying both kinds (超过10年以上) or
    neither (1980年以前, 2005年前) are ambiguous: the rule must state a reading.
    """
    s = words
    found_inc = found_exc = False
    for w in ("不超过", "不少于", "不低于", "不高于"):  # negated exclusive words are inclusive
        if w in s:
            found_inc, s = True, s.replace(w, "")
    for w in ("不满", "未满"):
        if w in s:
            found_exc, s = True, s.replace(w, "")
    for w in _EXCLUSIVE:
        if w in s:
            found_exc = True
    for w in _INCLUSIVE:
        if w in s:
            found_inc = True
    if found_inc and not found_exc:
        return "inclusive"
    if found_exc and not found_inc:
        return "exclusive"
    return "ambiguous"


@dataclass(frozen=True)
class Reading:  # 条文解读: an ambiguous text, its choices and the default
    id: str
    question: str
    choices: dict[str, str]  # label (Chinese) → value (an op such as ">=" or a match such as "any")
    default: str  # a label of choices
    basis: str = ""  # why the default


@dataclass(frozen=True)
class Condition:  # 条件
    field: tuple[str, ...]  # canonical column(s); several = all of them (存在安全隐患且无维修价值)
    op: str  # one of OPS, or "@reading-id"
    value: Any = None
    words: str = ""  # threshold words as printed


@dataclass(frozen=True)
class Rule:  # 更新规则
    id: str
    title: str
    verdict: str
    conditions: tuple[Condition, ...]
    document: str = ""  # policy document key (cityrenew.catalogue.policies)
    article: str = ""  # canonical article ref
    item: str = ""
    lines: str = ""  # seed lines, for reviewers
    source_text: str = ""  # for a local rule whose document is not in the policy library: 《…》第N条
    categories: tuple[str, ...] = ()
    match: str = "all"  # any / all / first_and_any, or "@reading-id"
    note: str = ""
    local: bool = False

    @property
    def citation(self):  # -> cityrenew.catalogue.policies.Citation | None (None for a local rule with free text)
        """The rule's citation, to resolve to its article (``cityrenew.policies.citations.resolve_article``)."""
        if not self.document:
            return None
        from cityrenew.catalogue.policies import Citation

        return Citation(self.document, self.article, rule=f"{self.id} {self.title}")

    def source(self, documents: dict | None = None) -> str:
        """《title》（文号）article — the citation as a user reads it."""
        if self.source_text:
            return self.source_text
        from cityrenew.catalogue.policies import DOCUMENTS

        doc = (documents or DOCUMENTS).get(self.document)
        if doc is None:
            return f"{self.document}{self.article}{self.item}"
        head = f"《{doc.title}》" + (f"（{doc.number}）" if doc.number else "")
        return f"{head}{self.article}{self.item}"


@dataclass(frozen=True)
class RuleSet:  # 规则目录: one province's rules for one ledger kind
    province: str
    kind: str
    version: str
    title: str
    rules: tuple[Rule, ...]
    readings: dict[str, Reading] = field(default_factory=dict)
    path: str = ""

    @property
    def label(self) -> str:
        return f"{self.province}{self.title}（{self.version}版）"


def _fail(where: str, msg: str) -> RuleError:
    return RuleError(f"{where}：{msg}")


def parse_reading(rid: str, data: dict, where: str) -> Reading:
    choices = data.get("choices")
    if not isinstance(choices, dict) or len(choices) < 2:
        raise _fail(where, f"解读“{rid}”至少要有两个选项（choices）")
    default = data.get("default", "")
    if default not in choices:
        raise _fail(where, f"解读“{rid}”的默认选项“{default}”不在选项 {list(choices)} 中")
    if not data.get("question"):
        raise _fail(where, f"解读“{rid}”缺少问题说明（question）")
    return Reading(rid, data["question"], dict(choices), default, data.get("basis", ""))


def parse_condition(data: dict, kind: str, readings: dict[str, Reading], where: str) -> Condition:
    names = {c.name for c in COLUMNS[kind]} | ({"age"} if kind == "equipment" else set())
    fields = data.get("field")
    fields = (fields,) if isinstance(fields, str) else tuple(fields or ())
    if not fields:
        raise _fail(where, "条件缺少字段（field）")
    for f in fields:
        if f not in names:
            raise _fail(where, f"条件的字段“{f}”不是{kind}台账的字段（可用：{'、'.join(sorted(names))}）")
    op = data.get("op", "")
    words = data.get("words", "")
    value = data.get("value")
    if op.startswith("@"):
        reading = readings.get(op[1:])
        if reading is None:
            raise _fail(where, f"条件引用了未定义的解读“{op[1:]}”")
        values = set(reading.choices.values())
        membership = values <= set(SCOPE_OPS)  # a scope reading: a list either limits the rule or not
        if not membership and not values <= set(NUMERIC_OPS):
            raise _fail(where, f"解读“{reading.id}”的选项值应同为比较符（{'、'.join(NUMERIC_OPS)}）"
                               f"或同为范围（{'、'.join(SCOPE_OPS)}）")
    elif op not in OPS:
        raise _fail(where, f"未知的比较符“{op}”（可用：{'、'.join(OPS)}）")
    if op.startswith("@") and membership:
        if not isinstance(value, list) or not value:
            raise _fail(where, "范围解读的取值应为非空列表")
        value = tuple(str(v) for v in value)
    elif op in NUMERIC_OPS or op.startswith("@"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _fail(where, f"比较“{op}”的阈值应为数字，而不是“{value}”")
        if not words:
            raise _fail(where, "数值条件须写明原文阈值用语（words），如“运行年限满20年”")
        bound = bound_of_words(words)
        if op in NUMERIC_OPS:
            if bound == "ambiguous":
                raise _fail(where, f"阈值用语“{words}”是否包含本数不明确：请用 op = \"@解读编号\" 写明解读及可选项")
            inclusive = op in (">=", "<=")
            if inclusive != (bound == "inclusive"):
                need = "含本数（>= 或 <=）" if bound == "inclusive" else "不含本数（> 或 <）"
                raise _fail(where, f"阈值用语“{words}”按民法典第一千二百五十九条应{need}，而规则写的是“{op}”")
    elif op in ("in", "not in"):
        if not isinstance(value, list) or not value:
            raise _fail(where, f"“{op}”的取值应为非空列表")
        value = tuple(str(v) for v in value)
    elif op == "is" and not isinstance(value, bool):
        raise _fail(where, f"“is”的取值应为 true 或 false，而不是“{value}”")
    return Condition(fields, op, value, words)


def parse_rule(data: dict, kind: str, readings: dict[str, Reading], where: str, *, local: bool = False) -> Rule:
    rid = str(data.get("id", "")).strip()
    if not rid:
        raise _fail(where, "规则缺少编号（id）")
    where = f"{where} 规则“{rid}”"
    verdict = data.get("verdict", "")
    allowed = VERDICTS[kind][:-1]
    if verdict not in allowed:
        raise _fail(where, f"结论“{verdict}”不是{kind}台账可用的结论（{'、'.join(allowed)}）")
    match = data.get("match", "all")
    if match.startswith("@"):
        reading = readings.get(match[1:])
        if reading is None:
            raise _fail(where, f"条件组合引用了未定义的解读“{match[1:]}”")
        if any(v not in MATCHES for v in reading.choices.values()):
            raise _fail(where, f"解读“{reading.id}”的选项值应为 {'、'.join(MATCHES)} 之一")
    elif match not in MATCHES:
        raise _fail(where, f"未知的条件组合“{match}”（可用：{'、'.join(MATCHES)}）")
    conds = tuple(parse_condition(c, kind, readings, f"{where} 第 {i} 个条件")
                  for i, c in enumerate(data.get("when", []), 1))
    if not conds:
        raise _fail(where, "规则没有条件（when）")
    cats = data.get("category", [])
    cats = (cats,) if isinstance(cats, str) else tuple(cats)
    if kind == "equipment" and not cats:
        raise _fail(where, "设施设备规则须写明适用的设备类别（category）")
    document, article = data.get("document", ""), data.get("article", "")
    source_text = data.get("source", "")
    if local:
        if not source_text and not (document and article):
            raise _fail(where, "本地规则须写明依据：source（如“《某市…办法》第五条”）或 document 与 article")
    elif not (document and article):
        raise _fail(where, "规则须写明依据的政策文件（document）与条款（article）")
    if document:
        from cityrenew.catalogue.policies import DOCUMENTS

        if document not in DOCUMENTS:
            raise _fail(where, f"依据的政策文件编码“{document}”未在政策文件目录中登记")
    if not data.get("title"):
        raise _fail(where, "规则缺少标题（title），应摘录原文")
    return Rule(rid, data["title"], verdict, conds, document, article, data.get("item", ""), data.get("lines", ""),
                source_text, cats, match, data.get("note", ""), local)


def parse_ruleset(data: dict, where: str, path: str = "") -> RuleSet:
    for key in ("province", "kind", "version", "title"):
        if not data.get(key):
            raise _fail(where, f"规则文件缺少“{key}”")
    kind = data["kind"]
    if kind not in KINDS:
        raise _fail(where, f"未知的台账类型“{kind}”（可选：{'、'.join(KINDS)}）")
    readings = {rid: parse_reading(rid, r, where) for rid, r in data.get("reading", {}).items()}
    rules = tuple(parse_rule(r, kind, readings, where) for r in data.get("rule", []))
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise _fail(where, f"规则编号重复：{'、'.join(dup)}")
    if len(rules) > MAX_RULES:
        raise _fail(where, f"一个规则目录最多 {MAX_RULES} 条规则")
    return RuleSet(data["province"], kind, str(data["version"]), data["title"], rules, readings, path)


def load_ruleset(path: Path) -> RuleSet:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"规则文件 {path.name} 格式错误：{exc}") from exc
    return parse_ruleset(data, f"规则文件 {path.name}", str(path))


_CACHE: dict[str, list[RuleSet]] = {}


def packaged_rulesets() -> list[RuleSet]:
    """Every rule file shipped in ``data/`` (parsed once per process)."""
    if "all" not in _CACHE:
        _CACHE["all"] = [load_ruleset(p) for p in sorted(DATA_DIR.glob("*.toml"))]
    return _CACHE["all"]


NATIONAL = "全国"


def available_provinces(kind: str = "equipment") -> list[str]:
    """Provinces with a rule catalogue for ``kind`` (``全国`` = applies to every province)."""
    return sorted({rs.province for rs in packaged_rulesets() if rs.kind == kind})


def ruleset_for(kind: str, province: str) -> RuleSet:
    """The rule catalogue of ``province`` for ``kind``; a national catalogue serves every province."""
    if kind not in KINDS:
        raise RuleError(f"未知的台账类型“{kind}”（可选：{'、'.join(KINDS)}）")
    sets = [rs for rs in packaged_rulesets() if rs.kind == kind]
    for rs in sets:
        if rs.province == province:
            return rs
    for rs in sets:
        if rs.province == NATIONAL:
            return rs
    have = "、".join(sorted(rs.province for rs in sets)) or "无"
    label = {"equipment": "设施设备更新", "building": "老旧楼宇认定"}.get(kind, kind)
    raise RuleError(f"{province or '（未指定省份）'}尚无{label}规则目录，无法判定（已有目录的省份：{have}）；"
                    "可在城市规则文件中改选已有目录的省份，或以本地规则（注明依据）补充")


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def check_rule_id(rid: str, where: str) -> None:
    if not _ID_RE.match(rid):
        raise _fail(where, f"规则编号“{rid}”只能由字母、数字、-、_、. 组成")
