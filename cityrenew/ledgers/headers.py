"""The ledgers' Chinese headers, one table for every reader (no Django: the rules CLI imports it).

Canonical column name → (the header templates and exports write, other headers accepted on read).
The importer's columns (:mod:`cityrenew.ledgers.columns`) and the rules' columns
(:mod:`cityrenew.ledgers.rules.columns`) both take their headers from here, so ``cityrenew ledgers
import`` and ``cityrenew ledgers evaluate FILE`` read the same file the same way. A header is compared
after :func:`normalise_header`; the canonical name itself is accepted as a header too.
"""

from __future__ import annotations

import re
from typing import Any

HEADERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "code": ("编号", ()),
    "category": ("设备类别", ("类别",)),
    "material": ("材质", ()),
    "commissioned": ("投用日期", ("投入使用日期", "投运日期")),
    "capacity_tph": ("额定蒸发量（蒸吨/小时）", ("额定蒸发量(蒸吨/小时)", "额定蒸发量", "蒸吨")),
    "efficiency_grade": ("能效等级", ()),
    "emission_ok": ("排放达标", ("烟气排放达标",)),
    "hazard": ("安全隐患", ("存在安全隐患",)),
    "inspection": ("检验结论", ()),
    "region": ("所在区域", ("所在区县", "区域", "行政区")),
    "name": ("名称", ()),
    "address": ("地址", ()),
    "length_km": ("长度（公里）", ("长度(公里)", "长度（km）", "长度", "长度（千米）")),
    "diameter_mm": ("管径（毫米）", ("管径(毫米)", "管径")),
    "pressure_class": ("压力级制", ()),
    "model_spec": ("型号规格", ()),
    "quantity": ("数量", ()),
    "floors": ("服务层数", ()),
    "heating_area": ("供热面积（万平方米）", ()),
    "power_kw": ("额定功率（千瓦）", ()),
    "monitored": ("监测对象", ()),
    "owner": ("产权单位", ("所有权人",)),
    "operator": ("管理单位", ("运营单位", "管理/运营单位")),
    "status": ("状态", ()),
    "lon": ("经度", ()),
    "lat": ("纬度", ()),
    "note": ("备注", ()),
    "function": ("主要功能", ()),
    "built_year": ("建成年份", ()),
    "seismic_retrofitted": ("已抗震鉴定加固", ()),
    "other_safety_retrofitted": ("其他安全隐患已鉴定加固", ()),
    "energy_retrofitted": ("已节能改造", ()),
    "energy_ratio_prev2": ("用能占约束值比例（前年）", ("用能占约束值比例(前年)",)),
    "energy_ratio_prev1": ("用能占约束值比例（上年）", ("用能占约束值比例(上年)",)),
    "floor_area": ("建筑面积（平方米）", ()),
    "in_old_ledger": ("纳入老旧楼宇基础台账", ()),
    "in_inefficient_ledger": ("纳入低效楼宇基础台账", ()),
    "households": ("户数", ()),
    "buildings": ("楼栋数", ()),
    "ownership": ("产权类型", ()),
    "items_basic": ("基础类改造内容", ()),
    "items_complete": ("完善类改造内容", ()),
    "items_upgrade": ("提升类改造内容", ()),
    "willingness_pct": ("居民改造意愿（同意率，%）", ("居民同意率",)),
    "implementing_body": ("实施主体", ()),
    "maintenance_fund": ("住宅专项维修资金余额（万元）", ("维修资金（万元）",)),
    "grade": ("危险性等级", ("危险等级",)),
    "land_type": ("土地性质", ()),
    "method": ("改造方式", ()),
    "heritage": ("涉及文物/历史建筑等保护对象", ("保护对象", "文物或历史建筑")),
    "heritage_plan": ("一屋一策改造方案", ()),
    "appraised": ("鉴定日期", ()),
    "subtype": ("设备名称", ("设备子类",)),
    "service_life_exceeded": ("超出使用寿命", ("超过使用寿命",)),
    "damaged": ("老化破损严重", ("主要部件严重受损", "老化磨损严重", "老旧破损")),
    "no_repair_value": ("无维修价值", ()),
    "high_energy": ("能耗高", ()),
    "low_efficiency": ("运行效率低", ()),
    "efficiency_ok": ("能效达标", ()),
    "outdated": ("技术落后", ()),
    "banned": ("国家明令淘汰", ()),
    "standard_fail": ("不满足标准规范", ()),
    "water_quality_fail": ("影响水质达标", ()),
    "frequent_faults": ("故障频繁", ("故障率高",)),
    "high_maintenance": ("维护保养成本高", ()),
    "major_accident": ("发生过重大事故", ()),
    "gb5842_ok": ("钢瓶符合GB5842", ("符合GB5842",)),
    "structure_type": ("管道结构形式", ("结构形式",)),
    "misconnection": ("混错接", ()),
    "structural_defect": ("结构性缺陷", ()),
    "functional_defect": ("功能性缺陷", ()),
    "leak": ("漏损严重", ("泄漏隐患",)),
    "heat_loss_high": ("热损失大", ()),
    "converted_gas": ("原输送其他气体", ()),
    "corroded": ("严重锈蚀", ()),
    "enclosed_space": ("穿越密闭空间", ()),
    "spacing_fail": ("安全间距不符合要求", ()),
    "scrap_condition": ("达到报废条件", ("符合报废技术条件",)),
    "non_self_contained": ("非成套住房", ()),
}


def normalise_header(text: Any) -> str:
    """Header as compared: no spaces, full-width parentheses and slash (``(蒸吨/小时)`` = ``（蒸吨/小时）``)."""
    s = re.sub(r"\s+", "", str(text or ""))
    return s.replace("(", "（").replace(")", "）").replace("／", "/")


def header(name: str) -> str:
    """The Chinese header of a canonical column."""
    return HEADERS[name][0]


def accepted_headers(name: str) -> tuple[str, ...]:
    """Every header read as this column: the Chinese header, the canonical name, the aliases."""
    head, aliases = HEADERS[name]
    return (head, name, *aliases)
