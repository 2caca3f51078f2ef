"""Choices of the ledgers (台账), each with the policy text it comes from.

The category names are the seeds' own wording, so a ledger row reads like the catalogues the
renewal rules (``cityrenew.ledgers.rules``) are written from.
"""

from __future__ import annotations

from django.db import models

from cityrenew.catalogue.policies import cite

# --- every ledger -----------------------------------------------------------------------------


class LedgerKind(models.TextChoices):  # 台账类型
    COMMUNITY = "community", "城镇老旧小区"
    DANGEROUS_HOUSING = "dangerous_housing", "危险住房"
    BUILDING = "building", "老旧低效楼宇"
    EQUIPMENT = "equipment", "设施设备"


class LedgerStatus(models.TextChoices):  # 台账状态
    IN_USE = "in_use", "在册"
    PLANNED = "planned", "已列入更新计划"
    RENEWING = "renewing", "更新改造中"
    RENEWED = "renewed", "已完成更新"
    RETIRED = "retired", "已停用/注销"


# --- 城镇老旧小区 (国办发〔2020〕23号) -----------------------------------------------------------

# seed 003: 国办发〔2020〕23号 二、（一） L1485–1488, 二、（二） L1489–1510, 二、（三） L1541, 三、（三） L1582, 三、（四） L1604
COMMUNITY_SOURCE = cite("GBF-2020-23", "二、（一）", "重点改造2000年底前建成的老旧小区",
                        rule="城镇老旧小区台账：建成年份、改造对象范围")
RENOVATION_SOURCE = cite("GBF-2020-23", "二、（二）", "改造内容分为基础类、完善类、提升类3类",
                         rule="城镇老旧小区台账：改造内容分类（基础类/完善类/提升类）")
MAINTENANCE_FUND_SOURCE = cite("GBF-2020-23", "三、（四）", "建立健全城镇老旧小区住宅专项维修资金归集、使用、续筹机制",
                               rule="城镇老旧小区台账：住宅专项维修资金")
WILLINGNESS_SOURCE = cite("GBF-2020-23", "二、（三）", "优先对居民改造意愿强、参与积极性高的小区实施改造",
                          rule="城镇老旧小区台账：居民改造意愿")
IMPLEMENTING_SOURCE = cite("GBF-2020-23", "三、（三）", "区县人民政府要明确项目实施主体",
                           rule="城镇老旧小区台账：实施主体")


class Ownership(models.TextChoices):  # 产权类型
    COMMERCIAL = "commercial", "商品房"
    REFORM = "reform", "房改房"
    PUBLIC = "public", "直管公房"
    UNIT = "unit", "单位自管房"
    RESETTLEMENT = "resettlement", "安置房"
    MIXED = "mixed", "混合产权"


# 国办发〔2020〕23号 二、（二） (seed 003 L1491–1510): the items of each class, in the text's words.
RENOVATION_ITEMS: dict[str, tuple[str, ...]] = {
    "基础类": ("供水", "排水", "供电", "弱电", "道路", "供气", "供热", "消防", "安防", "生活垃圾分类", "移动通信",
              "光纤入户", "架空线规整（入地）", "屋面维修", "外墙维修", "楼梯等公共部位维修"),
    "完善类": ("拆除违法建设", "绿化", "照明", "适老设施", "无障碍设施", "停车库（场）", "电动自行车及汽车充电设施",
              "智能快件箱", "智能信包箱", "文化休闲设施", "体育健身设施", "物业用房", "建筑节能改造", "加装电梯"),
    "提升类": ("社区综合服务设施", "卫生服务站等公共卫生设施", "幼儿园等教育设施", "周界防护等智能感知设施", "养老", "托育",
              "助餐", "家政保洁", "便民市场", "便利店", "邮政快递末端综合服务站"),
}
RENOVATION_FIELDS = {"基础类": "items_basic", "完善类": "items_complete", "提升类": "items_upgrade"}


# --- 危险住房 (关于持续推进城市更新行动的意见 二、（一）) -----------------------------------------------

# seed 003 L53–63
DANGEROUS_SOURCE = cite("CPC-2025-URBAN-RENEWAL", "二、（一）",
                        "加快拆除改造D级危险住房，通过加固、改建、重建等多种方式实施C级危险住房改造；涉及保护对象的“一屋一策”",
                        rule="危险住房台账：危险性等级、改造方式、保护对象")


class DangerGrade(models.TextChoices):  # 房屋危险性等级（《危险房屋鉴定标准》）
    C = "C", "C级"
    D = "D", "D级"


class LandType(models.TextChoices):  # 土地性质
    STATE = "state", "国有土地"
    COLLECTIVE = "collective", "集体土地"


class RenovationMethod(models.TextChoices):  # 改造方式
    DEMOLISH = "demolish", "拆除"
    REINFORCE = "reinforce", "加固"
    RECONSTRUCT = "reconstruct", "改建"
    REBUILD = "rebuild", "重建"


# --- 老旧/低效楼宇 (北京 京建法〔2024〕14号) -------------------------------------------------------------

# seed 003: 第二条 L2281–2290, 第四条 L2312–2316
BUILDING_SOURCE = cite("BJ-2024-OLD-BUILDINGS", "第二条", "以办公、商业服务业等功能为主的老旧楼宇与低效楼宇；第一类、第二类老旧楼宇",
                       rule="老旧低效楼宇台账：主要功能、建成年份、抗震与安全鉴定加固、节能改造、用能占标准约束值比例")
BUILDING_LEDGERS_SOURCE = cite("BJ-2024-OLD-BUILDINGS", "第四条", "老旧楼宇基础台账、低效楼宇基础台账",
                               rule="老旧低效楼宇台账：纳入老旧楼宇基础台账、低效楼宇基础台账")


class BuildingFunction(models.TextChoices):  # 主要功能
    OFFICE = "office", "办公"
    COMMERCE = "commerce", "商业服务业"
    MIXED = "mixed", "办公与商业服务业"
    OTHER = "other", "其他"


# --- 设施设备 (河南省设备更新标准目录 and the provinces' plans) ------------------------------------------

# seed 003 L7228–7479: the table's 重点任务 rows 1–10 name the categories
EQUIPMENT_SOURCE = cite("HN-EQUIPMENT-CATALOGUE", "序号1", "重点任务：电梯、供水、污水、供热、液化石油气、城市生命线、环卫、建筑施工、建筑节能",
                        rule="设施设备台账：设备类别", through="序号10")


class EquipmentCategory(models.TextChoices):  # 设备类别（按各地设备更新目录的用语）
    GAS_PIPE = "燃气管道", "燃气管道"
    WATER_PIPE = "供水管道", "供水管道"
    SEWAGE_PIPE = "污水管道", "污水管道"
    DRAIN_PIPE = "排水管道", "排水管道"
    HEATING_PIPE = "供热管道", "供热管道"
    SECONDARY_WATER = "二次供水设施", "二次供水设施"
    ELEVATOR = "住宅电梯", "住宅电梯"
    COAL_BOILER = "燃煤锅炉", "燃煤锅炉"
    GAS_BOILER = "燃气锅炉", "燃气锅炉"
    HEAT_STATION = "换热站", "换热站"
    LPG_STATION = "液化石油气充装站", "液化石油气充装站"
    LPG_CYLINDER = "液化石油气钢瓶", "液化石油气钢瓶"
    SANITATION = "环卫车辆/设备", "环卫车辆/设备"
    CONSTRUCTION = "建筑施工机械", "建筑施工机械"
    BUILDING_ENERGY = "建筑节能设备", "建筑节能设备"
    LIFELINE_SENSOR = "生命线感知设备", "生命线感知设备"


PIPE_CATEGORIES = frozenset({EquipmentCategory.GAS_PIPE, EquipmentCategory.WATER_PIPE, EquipmentCategory.SEWAGE_PIPE,
                             EquipmentCategory.DRAIN_PIPE, EquipmentCategory.HEATING_PIPE})
BOILER_CATEGORIES = frozenset({EquipmentCategory.COAL_BOILER, EquipmentCategory.GAS_BOILER})
