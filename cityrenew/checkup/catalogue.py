"""Indicator sets (指标体系): loading the MOHURD basic sets, comparing versions, local copies.

The catalogue is ``cityrenew/catalogue/data/checkup_indicators.csv`` (60 rows of the 2025 manual,
61 rows of the earlier list). What the CSV does not say — responsible department, whether a value
is typed by a department or derived from field-problem records, the level it is reported at and the
sub-problem items — is kept in the tables below, next to their source. The manual's Chinese
【指标解释】【体检方法】【参考标准】 come from ``checkup_indicators_zh.csv`` beside it
(:mod:`cityrenew.catalogue.indicator_texts`); a 2024 indicator gets the text of its 2025 counterpart.

Thresholds are parsed from the catalogue's ``standard_or_threshold`` text *conservatively*
(:func:`parse_threshold`): only a text that starts with a single number (``>=70%``, ``100%``,
``>=8 km/km2``, ``0``) gives a numeric threshold. Texts whose number depends on the city class
(``>=30% for municipalities … >=15% for prefecture-level``), that give only an example from another
city, a radius, or "set by each province" keep their text and get no number; the evaluation then
says 无标准 for them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from cityrenew.catalogue.indicator_texts import read_texts, text_fields
from cityrenew.catalogue.policies import cite

from .choices import Comparator, Computation, Department, Dimension, DIMENSION_BY_LABEL, Direction, Method, Relation, SetKind, Severity, UnitKind
from .models import Indicator, IndicatorMapping, IndicatorSet, SubProblemType

CATALOGUE_CSV = Path(__file__).resolve().parent.parent / "catalogue" / "data" / "checkup_indicators.csv"

SET_2025 = "MOHURD-2025"
SET_2024 = "MOHURD-2024"

SETS = {
    "2025": dict(
        code=SET_2025,
        name="城市体检基础指标体系（2025年）",
        year=2025,
        source_document="MOHURD-CHECKUP-2025",
        source_article="第一章三、（二）",
        description="住房和城乡建设部《城市体检工作手册（试行）》（2025年5月）：住房9项、小区（社区）12项、街区8项、"
        "城区（城市）30项及问题整治完成率，共60项。",
    ),
    "2024": dict(
        code=SET_2024,
        name="城市体检基础指标体系（2024年，61项）",
        year=2024,
        source_document="MOHURD-CHECKUP-2024",
        source_article="指标1至指标61",
        description="2025年手册之前使用的61项基础指标清单。年份为推定（见 spec/checkup-indicators.md §3），"
        "可能是2023年试行清单。",
    ),
}
SETS_SOURCE = cite("MOHURD-CHECKUP-2025", "第一章三、（二）", "60项基础指标；2024年版为61项", rule="体检指标体系")

# --- responsible departments (责任部门), keyed by the 2025 indicator name ------------------------
# Assignment follows the 数据来源 paragraph of each indicator in the 2025 manual (e.g. 指标2 数据来源
# "燃气企业", 指标12 "教育部门"); where the manual names several, the first is the lead department.
_D = Department
DEPARTMENT_BY_NUMBER_2025 = {
    1: _D.HOUSING, 2: _D.GAS, 3: _D.HOUSING, 4: _D.HOUSING, 5: _D.HOUSING, 6: _D.HOUSING, 7: _D.HOUSING,
    8: _D.HOUSING, 9: _D.HOUSING,
    10: _D.CIVIL, 11: _D.HEALTH, 12: _D.EDUCATION, 13: _D.EDUCATION, 14: _D.POLICE, 15: _D.DEVELOPMENT,
    16: _D.FIRE, 17: _D.PLANNING, 18: _D.HOUSING, 19: _D.URBAN_MGMT, 20: _D.HOUSING, 21: _D.HOUSING,
    22: _D.EDUCATION, 23: _D.SPORTS, 24: _D.CULTURE, 25: _D.GARDEN, 26: _D.POLICE, 27: _D.COMMERCE,
    28: _D.PLANNING, 29: _D.HOUSING,
    30: _D.WATER, 31: _D.ECOLOGY, 32: _D.GARDEN, 33: _D.SPORTS, 34: _D.CULTURE, 35: _D.TRANSPORT,
    36: _D.HOUSING, 37: _D.PLANNING, 38: _D.HOUSING, 39: _D.CULTURE, 40: _D.PLANNING, 41: _D.PLANNING,
    42: _D.TRANSPORT, 43: _D.TRANSPORT, 44: _D.HOUSING, 45: _D.HOUSING, 46: _D.HOUSING, 47: _D.WATER,
    48: _D.WATER, 49: _D.WATER, 50: _D.DEVELOPMENT, 51: _D.URBAN_MGMT, 52: _D.GAS, 53: _D.FIRE,
    54: _D.EMERGENCY, 55: _D.URBAN_MGMT, 56: _D.HOUSING, 57: _D.FIRE, 58: _D.PLANNING, 59: _D.URBAN_MGMT,
    60: _D.HOUSING,
}
# 2024-only indicators (no 2025 counterpart with the same name).
DEPARTMENT_BY_NAME_2024 = {
    "入户水质不达标的住宅数量": _D.WATER,
    "需要更新改造的老旧街区数量": _D.HOUSING,
    "人均体育场地面积": _D.SPORTS,
    "未达标配建的妇幼保健机构数量": _D.HEALTH,
    "房屋市政工程安全生产事故数": _D.HOUSING,
    "老旧燃气管网改造完成率": _D.GAS,
    "安全距离不达标的加油加气加氢站数量": _D.EMERGENCY,
    "高层建筑智能化火灾监测预警覆盖率": _D.FIRE,
    "城市运行管理服务平台覆盖率": _D.URBAN_MGMT,
}

# Counts that the check-up derives from field-problem records (现场问题记录) instead of a typed value:
# the number of distinct buildings (住房) or 小区 with at least one recorded problem of the indicator.
# 《城市体检工作手册（试行）》2025: 住房、小区（社区）维度 "逐栋、逐小区" 查找问题 (第二章、第三章).
PROBLEM_COUNT_NUMBERS_2025 = {1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 16, 17, 19, 20, 21}
PROBLEM_COUNT_SOURCE = cite("MOHURD-CHECKUP-2025", "第一章三、（四）", "逐栋、逐小区查找问题，形成问题台账",
                            rule="问题数量类指标按问题清单计数")
# 问题整治完成率 (指标60): computed from last year's problems (see services.completion_rate).
COMPLETION_NUMBER_2025 = 60
COMPLETION_SOURCE = cite("MOHURD-CHECKUP-2025", "指标60", "问题整治完成率：上一年度体检发现问题的整治完成比例", rule="问题整治完成率的计算")

# Indicators reported per assessment unit (one value per 小区 / 街区; the city value is the sum).
REPORT_LEVEL_BY_NUMBER_2025 = {
    13: UnitKind.COMPOUND, 14: UnitKind.COMPOUND, 15: UnitKind.COMPOUND, 18: UnitKind.COMPOUND,
    23: UnitKind.BLOCK, 24: UnitKind.BLOCK, 26: UnitKind.BLOCK,
}

EVIDENCE_BY_METHOD = {
    Method.REPORTED: "部门统计报表或台账（加盖公章）",
    Method.SPATIAL: "空间分析成果（数据文件、分析范围和参数说明）",
    Method.SURVEY: "现场调查记录表、照片及检测报告",
}

# --- sub-problem items (问题细项), 2025 manual 指标解释 and 附件四 (spec §5) ------------------------
_G, _S, _V = Severity.GENERAL, Severity.SERIOUS, Severity.SEVERE
SUB_PROBLEMS_2025: dict[int, list[tuple[str, str]]] = {
    1: [("混凝土结构构件裂缝", _V), ("违规拆除承重构件", _V), ("砖混主体缺棱掉角、表面裂缝、砂浆粉化", _S),
        ("违规拆除窗下墙加建阳台或加建悬挑飘窗", _G)],
    2: [("燃气立管、引入管、水平干管运行满20年且锈蚀严重或破损", _V), ("橡胶软管老化、私改私接等户内燃气隐患", _S)],
    3: [("踏步缺损、扶手松动、照明缺失或护栏损坏", ""), ("通风井道、排风烟道堵塞或串味", ""),
        ("消防门缺失、损坏或无法关闭", ""), ("高层住宅消火栓缺失、无水或无维护", ""), ("灭火器缺失或无保护设施", ""),
        ("安全出口指示灯损坏或缺失", ""), ("占用楼梯、楼道、管道井堆物", ""), ("楼道停放电动自行车或违规充电", "")],
    4: [("外墙装饰或保温材料开裂、损坏、脱落", ""), ("外墙悬挂设施不规范或松脱", ""), ("门窗玻璃破损脱落", ""),
        ("屋面排水不畅或漏水", ""), ("外墙内侧或地下室渗漏", "")],
    5: [("无独立厨房或卫生间", "")],
    6: [("给水管道跑冒滴漏", ""), ("排水管道老化破损、渗漏堵塞", ""), ("采暖季室内温度不达标", ""),
        ("电力电信管线老化破损裸露或私搭乱接", "")],
    7: [("具备条件的多层住宅未加装电梯", ""), ("出入口、通道无障碍与防滑设施缺失", ""), ("楼梯间未沿墙加装扶手", ""),
        ("特殊困难老年人家庭未进行适老化改造", "")],
    8: [("2000年前建成、具备改造价值且尚未进行节能改造", "")],
    9: [("不具备光纤入户条件", ""), ("公共空间无入侵报警或视频监控", ""), ("高层住宅公共部位未设烟感报警", ""),
        ("无家庭健康紧急呼叫系统", "")],
    10: [("养老服务设施配建缺失或面积不达标", ""), ("生活照料、康复护理、助餐助行等服务不健全", "")],
    11: [("婴幼儿照护服务设施配建缺失", ""), ("早期发展指导等服务不到位", "")],
    12: [("幼儿园配建缺失或面积不达标", ""), ("普惠性学前教育服务不到位", "")],
    13: [("小学学位供给不足", ""), ("难以就近入学（超过500米）", "")],
    14: [("停车泊位缺口", ""), ("车辆占用消防通道", "")],
    15: [("新能源汽车充电桩缺口", ""), ("充电桩安装、使用或运维存在问题", "")],
    16: [("未配建电动自行车充电设施或数量不足", ""), ("乱拉飞线充电、防护与消防管理不到位", "")],
    17: [("公共活动场地面积不达标", ""), ("公共绿地不达标", ""), ("儿童、老年、健身设施不足或破损", ""),
         ("无障碍设施不达标", ""), ("私搭乱建占用场地", "")],
    18: [("步行道路面破损", ""), ("步行道宽度不足", ""), ("雨后积水", ""), ("夜间照明不足", ""), ("铺装不防滑", ""),
         ("无障碍设施不达标", ""), ("不能联贯住宅与公共服务设施", "")],
    19: [("无生活垃圾分类制度", ""), ("无分类投放、收集、运输或处理设施", "")],
    20: [("未实施物业管理", ""), ("缺少协调、联动执法或纠纷调解机制", "")],
    21: [("无智能信包箱或快递柜", ""), ("智能安防设施缺失或系统不完善", ""), ("智慧社区平台与公共服务信息化不足", "")],
    22: [("中学1000米服务半径未覆盖", "")],
    23: [("多功能运动场地缺失", ""), ("多功能运动场地面积不足", ""), ("运动设施不完善", "")],
    24: [("文化活动中心缺失", ""), ("文化活动中心面积不足", ""), ("青少年、老年、儿童之家功能不完善", ""),
         ("布局不合理", "")],
    25: [("公园绿化活动场地覆盖不足", ""), ("面积不达标或布局不均", "")],
    26: [("车辆在划线泊位外无序停放", ""), ("车辆占用绿化带或人行道", "")],
    27: [("老旧商业街区需要更新改造", "")],
    28: [("老旧厂区需要更新改造", "")],
    29: [("老旧生活街区需要更新改造", "")],
}
SUB_PROBLEMS_SOURCE = cite("MOHURD-CHECKUP-2025", "第一章三、（二）", "细化基础指标体检内容；各指标的问题类型见其指标解释", rule="指标下的问题类型")

# 整治建议 (remediation suggestions) per 2025 indicator, after the manual's 附件五 整治建议清单样例.
SUGGESTIONS_2025 = {
    1: "委托专业机构开展房屋安全鉴定，按鉴定结论加固维修或纳入危房改造",
    2: "更换运行满20年且锈蚀破损的燃气立管、引入管，纳入老旧燃气管网更新改造",
    3: "修复楼道设施，补齐消防设施器材，清理楼道堆物，规范电动自行车停放充电",
    4: "排查并修复外墙脱落隐患，规范外墙悬挂设施，修缮屋面和防水",
    5: "结合老旧小区改造完善厨卫设施，或实施成套化改造",
    6: "更换老化破损的给排水、供暖管道，规范电力电信管线",
    7: "具备条件的加装电梯，完善无障碍和适老化设施",
    8: "实施外墙保温、门窗更换等建筑节能改造",
    9: "完善光纤入户、安防监控、烟感报警等数字化设施",
    10: "通过新建、购置、租赁、改造等方式补齐养老服务设施",
    11: "补齐婴幼儿照护服务设施，完善托育服务",
    12: "补齐幼儿园，扩大普惠性学前教育资源",
    13: "优化小学布局，扩大学位供给",
    14: "挖潜增加停车泊位，推进错时共享停车，清理占用消防通道车辆",
    15: "增建新能源汽车充电桩，完善运维管理",
    16: "建设电动自行车集中充电设施，整治飞线充电",
    17: "补齐公共活动场地和公共绿地，更新儿童、老年、健身设施",
    18: "修复步行道路面，完善照明、排水和无障碍设施",
    19: "建立生活垃圾分类制度，配齐分类投放收集设施",
    20: "引入专业化物业服务或组织居民自治管理",
    21: "建设智能信包箱、智能安防和智慧社区平台",
    22: "优化中学布局，补齐服务半径未覆盖区域",
    23: "利用闲置用地补齐多功能运动场地",
    24: "补齐文化活动中心，完善青少年、老年、儿童活动功能",
    25: "增加口袋公园和绿化活动场地",
    26: "施划停车泊位，加强停车秩序管理",
    27: "纳入城市更新片区，编制老旧商业街区更新改造方案",
    28: "纳入城市更新片区，编制老旧厂区更新改造方案",
    29: "纳入城市更新片区，编制老旧生活街区更新改造方案",
}
DEFAULT_SUGGESTION = "制定专项整治方案，明确责任单位和完成时限"

# --- differences between the 2024 (61) and 2025 (60) lists, spec §4 -----------------------------
# 2024 number → 2025 number. Indicators with the same name are matched by name.
RENAMED_2024_TO_2025 = {30: 29, 53: 52, 59: 57}
REPLACED_2024_TO_2025 = {34: 33, 48: 46, 55: 51, 61: 59}
DROPPED_2024 = {8, 36}
NEW_2025 = {60}
# Units that mean the same thing written differently.
EQUIVALENT_UNITS = {("公里/平方公里", "千米/平方千米"), ("公里/小时", "千米/小时")}
DIFF_SOURCE = cite("MOHURD-CHECKUP-2025", "第一章三、（二）", "与2024年版61项指标对照", rule="指标体系比较")

_THRESHOLD_RE = re.compile(
    r"^\s*(>=|<=|≥|≤)?\s*(\d+(?:\.\d+)?)\s*(%|m2/person|km/km2|km/h)?\s*(?:$|[;；(（]|by\s)"
)
COUNT_UNITS = {"栋", "套", "个", "条", "座", "起", "千米"}


def parse_threshold(text: str, direction: str, unit: str) -> tuple[Decimal | None, str, str]:
    """Read a numeric threshold from a catalogue standard text, or nothing.

    Returns ``(threshold, comparator, note)``. Only texts that *start* with one number count
    (``>=70% by 2025``, ``100%``, ``>=2 m2/person (GB…)``, ``0``); anything else gives
    ``(None, "", reason)`` so that no number is invented.
    """
    text = (text or "").strip()
    if not text:
        return None, "", "目录未给出标准值"
    m = _THRESHOLD_RE.match(text)
    if not m:
        return None, "", "标准为文字描述或随城市规模、省份而定，未设数值标准"
    op, num, _suffix = m.groups()
    value = Decimal(num)
    if op in (">=", "≥"):
        comp = Comparator.GE
    elif op in ("<=", "≤"):
        comp = Comparator.LE
    else:  # a bare number: a target to reach (higher_better) or a ceiling (counts, lower_better)
        comp = Comparator.GE if direction == Direction.HIGHER_BETTER else Comparator.LE
    return value, comp, ""


def value_bounds(unit: str, direction: str) -> tuple[Decimal | None, Decimal | None]:
    """Plausible value range: a percentage lies in 0–100, everything in the catalogue is ≥ 0."""
    if unit.strip() == "%":
        return Decimal("0"), Decimal("100")
    return Decimal("0"), None


def primary_method(method_text: str) -> str:
    first = (method_text or "reported").split("+")[0].strip()
    return first if first in Method.values else Method.REPORTED


def evidence_for(method_text: str) -> str:
    parts = [p.strip() for p in (method_text or "").split("+") if p.strip() in Method.values]
    return "；".join(EVIDENCE_BY_METHOD[p] for p in parts) or EVIDENCE_BY_METHOD[Method.REPORTED]


def read_catalogue(path: Path | str = CATALOGUE_CSV) -> dict[str, list[dict[str, str]]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        out.setdefault(r["version"], []).append(r)
    return out


def _upsert(model, lookup: dict[str, Any], values: dict[str, Any]):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values)
        obj.save()
        return obj, True
    for k, v in values.items():
        setattr(obj, k, v)
    if obj.audit_diff():
        obj.save()
    return obj, False


def _indicator_values(row: dict[str, str], version: str, names_2025: dict[str, int]) -> dict[str, Any]:
    number = int(row["number"])
    direction = row["direction"]
    unit = row["unit"].strip()
    threshold, comparator, tnote = parse_threshold(row["standard_or_threshold"], direction, unit)
    lo, hi = value_bounds(unit, direction)
    n2025 = number if version == "2025" else names_2025.get(row["name"])
    if n2025 is None and version == "2024":
        for old, new in RENAMED_2024_TO_2025.items():
            if old == number:
                n2025 = new
    if version == "2025" or (n2025 is not None and number not in REPLACED_2024_TO_2025):
        dept = DEPARTMENT_BY_NUMBER_2025.get(n2025, "")
    else:
        dept = DEPARTMENT_BY_NAME_2024.get(row["name"], "")
    computation = Computation.REPORTED
    report_level = ""
    if n2025 is not None and (version == "2025" or number not in REPLACED_2024_TO_2025):
        if n2025 in PROBLEM_COUNT_NUMBERS_2025:
            computation = Computation.PROBLEMS
        elif n2025 == COMPLETION_NUMBER_2025:
            computation = Computation.COMPLETION
        report_level = REPORT_LEVEL_BY_NUMBER_2025.get(n2025, "")
    doc = "MOHURD-CHECKUP-2025" if version == "2025" else "MOHURD-CHECKUP-2024"
    same_2025 = n2025 is not None and (version == "2025" or number not in REPLACED_2024_TO_2025)
    texts = text_fields(read_texts().get(n2025) if same_2025 else None)
    return texts | dict(
        code=str(number),
        dimension=DIMENSION_BY_LABEL[row["dimension"]],
        group=row["group"],
        name=row["name"],
        unit=unit,
        direction=direction,
        method_text=row["method"],
        method=primary_method(row["method"]),
        computation=computation,
        report_level=report_level,
        standard=row["standard_or_threshold"],
        threshold=threshold,
        comparator=comparator,
        threshold_note=tnote,
        min_value=lo,
        max_value=hi,
        department=dept,
        evidence=evidence_for(row["method"]),
        definition=row["definition"],
        source_document=doc,
        source_article=f"指标{number}",
        source_note=row["source_note"],
    )


@transaction.atomic
def load_indicator_sets(path: Path | str = CATALOGUE_CSV) -> dict[str, IndicatorSet]:
    """Create or update MOHURD-2025 (60) and MOHURD-2024 (61) and the mapping between them. Idempotent."""
    rows = read_catalogue(path)
    names_2025 = {r["name"]: int(r["number"]) for r in rows["2025"]}
    sets: dict[str, IndicatorSet] = {}
    for version in ("2025", "2024"):
        meta = SETS[version]
        s, _ = _upsert(IndicatorSet, {"code": meta["code"]}, {k: v for k, v in meta.items() if k != "code"} | {"kind": SetKind.NATIONAL})
        sets[version] = s
        for row in rows[version]:
            ind, _ = _upsert(Indicator, {"indicator_set": s, "number": int(row["number"])}, _indicator_values(row, version, names_2025))
            subs = SUB_PROBLEMS_2025.get(names_2025.get(row["name"], 0) if version == "2024" else ind.number, [])
            n = ind.number if version == "2025" else names_2025.get(row["name"])
            for k, (name, sev) in enumerate(subs, start=1):
                code = f"2.{n}.{k}" if ind.dimension == Dimension.HOUSING else f"{n}.{k}"
                _upsert(SubProblemType, {"indicator": ind, "code": code},
                        {"name": name, "default_severity": sev, "suggestion": SUGGESTIONS_2025.get(n, "")})
    _load_mapping(sets["2024"], sets["2025"])
    return {s.code: s for s in sets.values()}


def counterpart_2025(source_document: str, number: int, name: str) -> int | None:
    """The 2025 number of a national indicator (by number in 2025, by name or rename in 2024)."""
    if source_document == "MOHURD-CHECKUP-2025":
        return number
    if source_document == "MOHURD-CHECKUP-2024" and number not in REPLACED_2024_TO_2025:
        by_name = {t.name: n for n, t in read_texts().items()}
        return by_name.get(name, RENAMED_2024_TO_2025.get(number))
    return None


def fill_manual_texts(indicator_model=Indicator) -> int:
    """Write the manual's texts into every national indicator (and copies of one) that lacks them.

    Used by the data migration for databases loaded before the texts existed; ``indicator_model``
    may be the migration's historical model. Returns the number of indicators updated.
    """
    texts = read_texts()
    n = 0
    for ind in indicator_model.objects.filter(is_local=False, definition_zh=""):
        n2025 = counterpart_2025(ind.source_document, ind.number, ind.name)
        if n2025 in texts:
            indicator_model.objects.filter(pk=ind.pk).update(**text_fields(texts[n2025]))
            n += 1
    return n


def _load_mapping(old: IndicatorSet, new: IndicatorSet) -> None:
    old_by_n = {i.number: i for i in old.indicators.all()}
    new_by_n = {i.number: i for i in new.indicators.all()}
    new_by_name = {i.name: i for i in new_by_n.values()}
    wanted: list[tuple[Indicator | None, Indicator | None, str, bool, str]] = []
    matched_new: set[int] = set()
    for n, ind in sorted(old_by_n.items()):
        if n in DROPPED_2024:
            wanted.append((ind, None, Relation.DROPPED, False, "2025年清单删除"))
            continue
        if n in REPLACED_2024_TO_2025:
            to = new_by_n[REPLACED_2024_TO_2025[n]]
            wanted.append((ind, to, Relation.REPLACED, False, f"由“{to.name}”替换，口径不同"))
            matched_new.add(to.number)
            continue
        if n in RENAMED_2024_TO_2025:
            to = new_by_n[RENAMED_2024_TO_2025[n]]
            rel = Relation.RENAMED
        else:
            to = new_by_name.get(ind.name)
            if to is None:
                raise ValueError(f"2024年指标{n}“{ind.name}”在2025年清单中找不到对应指标，请在对照表中登记")
            rel = Relation.SAME
        matched_new.add(to.number)
        comparable, note = True, ""
        if rel == Relation.RENAMED:
            note = f"名称由“{ind.name}”改为“{to.name}”"
        if ind.unit != to.unit:
            if (ind.unit, to.unit) in EQUIVALENT_UNITS:
                note = (note + "；" if note else "") + f"计量单位写法由“{ind.unit}”改为“{to.unit}”，含义相同"
            else:
                comparable = False
                note = (note + "；" if note else "") + f"计量单位由“{ind.unit}”改为“{to.unit}”，数值不可比"
        wanted.append((ind, to, rel, comparable, note))
    for n, ind in sorted(new_by_n.items()):
        if n not in matched_new:
            wanted.append((None, ind, Relation.NEW, False, "2025年新增"))
    existing = IndicatorMapping.objects.filter(from_indicator__indicator_set=old, to_indicator__indicator_set=new)
    existing |= IndicatorMapping.objects.filter(from_indicator__indicator_set=old, to_indicator__isnull=True)
    existing |= IndicatorMapping.objects.filter(from_indicator__isnull=True, to_indicator__indicator_set=new)
    have = {(m.from_indicator_id, m.to_indicator_id): m for m in existing}
    for frm, to, rel, comparable, note in wanted:
        key = (frm.pk if frm else None, to.pk if to else None)
        m = have.pop(key, None)
        if m is None:
            IndicatorMapping(from_indicator=frm, to_indicator=to, relation=rel, comparable=comparable, note=note).save()
        else:
            m.relation, m.comparable, m.note = rel, comparable, note
            if m.audit_diff():
                m.save()
    for stale in have.values():
        stale.delete()


# --- comparing two sets ----------------------------------------------------------------------------


@dataclass
class SetDiff:  # 两个指标体系的差异
    old: IndicatorSet
    new: IndicatorSet
    same: list[tuple[Indicator, Indicator]]
    renamed: list[tuple[Indicator, Indicator, str]]
    replaced: list[tuple[Indicator, Indicator, str]]
    unit_changed: list[tuple[Indicator, Indicator, str]]
    added: list[Indicator]
    dropped: list[Indicator]

    def lines(self) -> list[str]:
        out = [f"{self.old.code}（{self.old.indicators.count()}项）→ {self.new.code}（{self.new.indicators.count()}项）"]
        for i in self.dropped:
            out.append(f"删除：{self.old.code} 指标{i.number} {i.name}（{i.unit}）")
        for i in self.added:
            out.append(f"新增：{self.new.code} 指标{i.number} {i.name}（{i.unit}）")
        for a, b, note in self.replaced:
            out.append(f"替换：指标{a.number} {a.name} → 指标{b.number} {b.name}（{note}）")
        for a, b, note in self.renamed:
            out.append(f"更名：指标{a.number} {a.name} → 指标{b.number} {b.name}")
        for a, b, note in self.unit_changed:
            out.append(f"单位变化：指标{a.number} {a.name}：{a.unit} → {b.unit}（{note}）")
        return out

    def as_dict(self) -> dict[str, Any]:
        def ind(i: Indicator) -> dict[str, Any]:
            return {"number": i.number, "name": i.name, "unit": i.unit, "dimension": i.get_dimension_display()}

        return {
            "old": self.old.code,
            "new": self.new.code,
            "dropped": [ind(i) for i in self.dropped],
            "added": [ind(i) for i in self.added],
            "replaced": [{"from": ind(a), "to": ind(b), "note": n} for a, b, n in self.replaced],
            "renamed": [{"from": ind(a), "to": ind(b), "note": n} for a, b, n in self.renamed],
            "unit_changed": [{"from": ind(a), "to": ind(b), "note": n} for a, b, n in self.unit_changed],
            "same": len(self.same),
        }


def mapped_pairs(old: IndicatorSet, new: IndicatorSet) -> dict[int, IndicatorMapping]:
    """Mappings from indicators of ``old`` to indicators of ``new``, keyed by the new indicator's id.

    Follows the chain through a copied set: a city copy of MOHURD-2025 maps back to MOHURD-2024
    through the copy's ``same`` mappings to its original.
    """
    direct = IndicatorMapping.objects.filter(
        from_indicator__indicator_set=old, to_indicator__indicator_set=new
    ).select_related("from_indicator", "to_indicator")
    out = {m.to_indicator_id: m for m in direct}
    if out:
        return out
    # the new set is a copy: map via its original
    if new.copied_from_id:
        via = mapped_pairs(old, new.copied_from)
        for m in IndicatorMapping.objects.filter(
            from_indicator__indicator_set=new.copied_from, to_indicator__indicator_set=new
        ).select_related("to_indicator"):
            base = via.get(m.from_indicator_id)
            if base is not None:
                out[m.to_indicator_id] = IndicatorMapping(
                    from_indicator=base.from_indicator, to_indicator=m.to_indicator,
                    relation=base.relation, comparable=base.comparable, note=base.note,
                )
    if old.copied_from_id and not out:
        via = mapped_pairs(old.copied_from, new)
        copy_of = {
            m.from_indicator_id: m.to_indicator
            for m in IndicatorMapping.objects.filter(
                from_indicator__indicator_set=old.copied_from, to_indicator__indicator_set=old
            ).select_related("to_indicator")
        }
        for to_id, base in via.items():
            if base.from_indicator_id in copy_of:
                out[to_id] = IndicatorMapping(
                    from_indicator=copy_of[base.from_indicator_id], to_indicator=base.to_indicator,
                    relation=base.relation, comparable=base.comparable, note=base.note,
                )
    return out


def diff_sets(old: IndicatorSet, new: IndicatorSet) -> SetDiff:
    """List what changed from ``old`` to ``new``: dropped, added, replaced, renamed, unit changes.

    Uses the recorded :class:`IndicatorMapping` rows; two sets without mappings are compared by
    indicator name.
    """
    old_inds = list(old.indicators.filter(retired=False).order_by("number"))
    new_inds = list(new.indicators.filter(retired=False).order_by("number"))
    pairs = mapped_pairs(old, new)
    same, renamed, replaced, unit_changed = [], [], [], []
    if pairs:
        active_new = {b.pk for b in new_inds}
        matched_old = {m.from_indicator_id for k, m in pairs.items() if k in active_new}
        by_id = {i.pk: i for i in old_inds}
        for b in new_inds:
            m = pairs.get(b.pk)
            if m is None or m.from_indicator_id not in by_id:
                continue
            a = by_id[m.from_indicator_id]
            if m.relation == Relation.REPLACED:
                replaced.append((a, b, m.note))
                continue
            if m.relation == Relation.RENAMED or a.name != b.name:
                renamed.append((a, b, m.note))
            else:
                same.append((a, b))
            if a.unit != b.unit:
                unit_changed.append((a, b, m.note))
        added = [b for b in new_inds if b.pk not in pairs or pairs[b.pk].from_indicator_id not in by_id]
        dropped = [a for a in old_inds if a.pk not in matched_old]
    else:
        by_name = {i.name: i for i in old_inds}
        new_names = {i.name for i in new_inds}
        for b in new_inds:
            a = by_name.get(b.name)
            if a is not None:
                same.append((a, b))
                if a.unit != b.unit:
                    unit_changed.append((a, b, "计量单位不同"))
        added = [b for b in new_inds if b.name not in by_name]
        dropped = [a for a in old_inds if a.name not in new_names]
    return SetDiff(old, new, same, renamed, replaced, unit_changed, added, dropped)


# --- a city's own set --------------------------------------------------------------------------------

_COPY_FIELDS = [
    "number", "code", "dimension", "group", "name", "unit", "direction", "method_text", "method", "computation",
    "report_level", "standard", "threshold", "comparator", "threshold_note", "min_value", "max_value",
    "department", "evidence", "definition", "source_document", "source_article", "source_note", "is_local", "retired",
    "definition_zh", "method_zh", "standard_zh", "texts_source",
]


@transaction.atomic
def copy_set(source: IndicatorSet, city, code: str, name: str, kind: str = SetKind.LOCAL) -> IndicatorSet:
    """Copy ``source`` for ``city`` (all indicators and sub-problems, linked by ``same`` mappings)."""
    if IndicatorSet.objects.filter(code=code).exists():
        raise ValueError(f"指标体系编码“{code}”已存在")
    new = IndicatorSet(
        code=code, name=name, year=source.year, kind=kind, city=city, copied_from=source,
        source_document=source.source_document, source_article=source.source_article,
        description=f"复制自{source.name}（{source.code}）",
    )
    new.save()
    for ind in source.indicators.order_by("number").prefetch_related("sub_problems"):
        copy = Indicator(indicator_set=new, **{f: getattr(ind, f) for f in _COPY_FIELDS})
        copy.save()
        for sp in ind.sub_problems.all():
            SubProblemType(indicator=copy, code=sp.code, name=sp.name, default_severity=sp.default_severity,
                           suggestion=sp.suggestion).save()
        IndicatorMapping(from_indicator=ind, to_indicator=copy, relation=Relation.SAME, note="复制").save()
    return new


def add_local_indicator(indicator_set: IndicatorSet, **fields: Any) -> Indicator:
    """Add a city (or provincial) indicator to a copied set; numbered after the last one."""
    if indicator_set.city_id is None:
        raise ValueError("国家基础指标体系不能直接增加指标，请先复制为本市指标体系")
    last = indicator_set.indicators.order_by("-number").first()
    number = fields.pop("number", (last.number if last else 0) + 1)
    fields.setdefault("code", f"L{number:02d}")
    fields.setdefault("method", primary_method(fields.get("method_text", "reported")))
    fields.setdefault("method_text", fields["method"])
    unit = fields.get("unit", "")
    lo, hi = value_bounds(unit, fields.get("direction", Direction.HIGHER_BETTER))
    fields.setdefault("min_value", lo)
    fields.setdefault("max_value", hi)
    ind = Indicator(indicator_set=indicator_set, number=number, is_local=True, **fields)
    ind.full_clean(exclude=["indicator_set"])
    ind.save()
    IndicatorMapping(from_indicator=None, to_indicator=ind, relation=Relation.NEW, comparable=False, note="地方增设").save()
    return ind


def retire_indicator(indicator: Indicator) -> Indicator:
    """Stop using an indicator in a city's set (kept for history; excluded from new runs)."""
    if indicator.indicator_set.city_id is None:
        raise ValueError("国家基础指标体系中的指标不能停用，请先复制为本市指标体系")
    indicator.retired = True
    indicator.save()
    return indicator
