"""Named choices of the project library (项目库), each with its policy source."""

from django.db import models

from cityrenew.catalogue.policies import cite


class ProjectCategory(models.TextChoices):  # 更新任务类型
    EXISTING_BUILDING = "existing_building", "既有建筑改造利用"
    OLD_COMMUNITY = "old_community", "城镇老旧小区改造"
    COMPLETE_COMMUNITY = "complete_community", "完整社区建设"
    OLD_BLOCK = "old_block", "老旧街区更新改造"
    OLD_FACTORY = "old_factory", "老旧厂区更新改造"
    URBAN_VILLAGE = "urban_village", "城中村改造"
    OLD_STATION = "old_station", "老旧火车站更新"
    CITY_FUNCTION = "city_function", "城市功能完善"
    INFRASTRUCTURE = "infrastructure", "城市基础设施建设改造"
    ECOLOGY = "ecology", "城市生态系统修复"
    HERITAGE = "heritage", "城市历史文化保护传承"
    UNCLASSIFIED = "unclassified", "未分类"


CATEGORY_SOURCE = cite(
    "CPC-2025-URBAN-RENEWAL",
    "二、（一）",
    "二、主要任务（一）至（八）八项主要任务；第（四）项拆分为老旧街区、老旧厂区、城中村和老旧火车站",
    rule="项目更新类型",
    through="二、（八）",
)


# Names a clerk may type for a category on import (老旧小区改造 → 城镇老旧小区改造): the task names of
# the policy's 二、主要任务 as the text words them, and the short forms in common use. The labels and
# values of ProjectCategory are accepted as well (see projects.importer).
CATEGORY_ALIASES: dict[str, str] = {
    # （一）加强既有建筑改造利用（含危险住房改造）
    "加强既有建筑改造利用": ProjectCategory.EXISTING_BUILDING,
    "既有建筑改造": ProjectCategory.EXISTING_BUILDING,
    "既有建筑更新": ProjectCategory.EXISTING_BUILDING,
    "危险住房改造": ProjectCategory.EXISTING_BUILDING,
    # （二）推进城镇老旧小区整治改造；国办发〔2020〕23号：城镇老旧小区改造
    "推进城镇老旧小区整治改造": ProjectCategory.OLD_COMMUNITY,
    "城镇老旧小区整治改造": ProjectCategory.OLD_COMMUNITY,
    "老旧小区整治改造": ProjectCategory.OLD_COMMUNITY,
    "老旧小区改造": ProjectCategory.OLD_COMMUNITY,
    "老旧小区": ProjectCategory.OLD_COMMUNITY,
    # （三）开展完整社区建设
    "开展完整社区建设": ProjectCategory.COMPLETE_COMMUNITY,
    "完整社区": ProjectCategory.COMPLETE_COMMUNITY,
    # （四）推进老旧街区、老旧厂区、城中村等更新改造（含老旧火车站）
    "老旧街区改造": ProjectCategory.OLD_BLOCK,
    "老旧街区更新": ProjectCategory.OLD_BLOCK,
    "老旧街区": ProjectCategory.OLD_BLOCK,
    "老旧厂区改造": ProjectCategory.OLD_FACTORY,
    "老旧厂区更新": ProjectCategory.OLD_FACTORY,
    "老旧厂区": ProjectCategory.OLD_FACTORY,
    "城中村更新改造": ProjectCategory.URBAN_VILLAGE,
    "城中村": ProjectCategory.URBAN_VILLAGE,
    "老旧火车站更新改造": ProjectCategory.OLD_STATION,
    "老旧火车站改造": ProjectCategory.OLD_STATION,
    "老旧火车站": ProjectCategory.OLD_STATION,
    # （五）完善城市功能
    "完善城市功能": ProjectCategory.CITY_FUNCTION,
    "城市功能": ProjectCategory.CITY_FUNCTION,
    # （六）加强城市基础设施建设改造
    "加强城市基础设施建设改造": ProjectCategory.INFRASTRUCTURE,
    "基础设施建设改造": ProjectCategory.INFRASTRUCTURE,
    "城市基础设施改造": ProjectCategory.INFRASTRUCTURE,
    "基础设施改造": ProjectCategory.INFRASTRUCTURE,
    # （七）修复城市生态系统
    "修复城市生态系统": ProjectCategory.ECOLOGY,
    "城市生态修复": ProjectCategory.ECOLOGY,
    "生态修复": ProjectCategory.ECOLOGY,
    # （八）保护传承城市历史文化
    "保护传承城市历史文化": ProjectCategory.HERITAGE,
    "历史文化保护传承": ProjectCategory.HERITAGE,
    "历史文化保护": ProjectCategory.HERITAGE,
}
CATEGORY_ALIAS_SOURCE = cite(
    "CPC-2025-URBAN-RENEWAL", "二、（一）", "主要任务的名称及常用简称", rule="导入时接受的更新类型别名", through="二、（八）"
)


class ProjectStatus(models.TextChoices):  # 项目状态（全生命周期）
    PLANNING = "planning", "谋划"
    RESERVE = "reserve", "储备"
    LIBRARY = "library", "入库"
    IMPLEMENTING = "implementing", "实施"
    COMPLETED = "completed", "竣工"
    REMOVED = "removed", "调出"


STATUS_SOURCE = cite("MOF-2025-11", "四、（二）", "城市更新机制建设：项目储备和生成机制（谋划、储备、实施时序，项目储备库）",
                     rule="项目状态（谋划、储备、入库）", item="2.")


class BatchType(models.TextChoices):  # 项目库调整类型
    INITIAL = "initial", "初始入库"
    ADD = "add", "新增入库"
    ADJUST = "adjust", "调整"
    REMOVE = "remove", "调出"


# The --batch-type option and import files may name a batch type by its Chinese label.
BATCH_TYPE_BY_LABEL = {label: value for value, label in BatchType.choices}


class ChangeAction(models.TextChoices):  # 批次对项目的变更
    ADDED = "added", "新增入库"
    UPDATED = "updated", "调整"
    REMOVED = "removed", "调出"


class FundingSource(models.TextChoices):  # 资金来源
    TREASURY_BOND = "treasury_bond", "超长期特别国债"
    CENTRAL_BUDGET = "central_budget", "中央预算内投资"
    CENTRAL_FINANCE = "central_finance", "中央财政城市更新补助资金"
    VEHICLE_TAX = "vehicle_tax", "车购税资金"
    OTHER_CENTRAL = "other_central", "其他中央资金"
    PROVINCIAL_BUDGET = "provincial_budget", "省级财政资金"
    GENERAL_BUDGET = "general_budget", "地方政府一般公共预算"
    SPECIAL_BOND = "special_bond", "地方政府专项债券"
    GOV_FUND = "gov_fund", "其他政府性基金预算"
    STATE_CAPITAL = "state_capital", "国有资本经营预算"
    CREDIT = "credit", "银行信贷"
    POLICY_LOAN = "policy_loan", "政策性金融及再贷款"
    PPP = "ppp", "政府和社会资本合作（PPP）"
    SOCIAL_CAPITAL = "social_capital", "社会资本"
    REITS = "reits", "基础设施REITs"
    ABS = "abs", "资产证券化"
    CORPORATE_BOND = "corporate_bond", "公司信用类债券"
    RESIDENT = "resident", "居民出资"
    MAINTENANCE_FUND = "maintenance_fund", "住宅专项维修资金"
    OTHER = "other", "其他"


FUNDING_SOURCE_SOURCE = cite(
    "CPC-2025-URBAN-RENEWAL", "三、（四）", "健全多元化投融资方式；另见财办建〔2025〕11号 四、（二）2. 资金安排和筹措机制",
    rule="项目资金来源",
)
