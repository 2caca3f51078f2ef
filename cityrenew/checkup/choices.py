"""Named choices of the city check-up (城市体检), each with its policy source where one exists."""

from __future__ import annotations

from django.db import models

from cityrenew.catalogue.policies import cite


class SetKind(models.TextChoices):  # 指标体系类型
    NATIONAL = "national", "国家基础指标"
    PROVINCIAL = "provincial", "省级自选指标"
    LOCAL = "local", "城市特色指标"


class Dimension(models.TextChoices):  # 体检维度
    HOUSING = "housing", "住房"
    COMMUNITY = "community", "小区（社区）"
    BLOCK = "block", "街区"
    CITY = "city", "城区（城市）"


DIMENSION_BY_LABEL = {label: value for value, label in Dimension.choices}
DIMENSION_SOURCE = cite("MOHURD-CHECKUP-2025", "第一章三、（二）", "住房、小区（社区）、街区、城区（城市）四个维度", rule="体检维度")


class Direction(models.TextChoices):  # 指标方向
    HIGHER_BETTER = "higher_better", "越高越好"
    LOWER_BETTER = "lower_better", "越低越好"
    COUNT_OF_PROBLEMS = "count_of_problems", "问题数量（越少越好）"


class Method(models.TextChoices):  # 数据获取方式
    REPORTED = "reported", "部门填报"
    SPATIAL = "spatial", "空间计算"
    SURVEY = "survey", "现场调查"


class Comparator(models.TextChoices):  # 标准比较方式
    GE = ">=", "不低于"
    LE = "<=", "不高于"


class ValueSource(models.TextChoices):  # 指标值来源
    REPORTED = "reported", "部门填报"
    COMPUTED = "computed", "系统计算"
    SPATIAL = "spatial", "空间计算"


class Computation(models.TextChoices):  # 指标取值方式（谁产生这个值）
    REPORTED = "reported", "部门填报"
    PROBLEMS = "problems", "由现场问题记录计算"
    COMPLETION = "completion", "由上年问题整治情况计算"


class Department(models.TextChoices):  # 责任部门（行业部门）
    HOUSING = "housing", "住房和城乡建设局"
    PLANNING = "planning", "自然资源和规划局"
    EDUCATION = "education", "教育局"
    CIVIL = "civil", "民政局"
    HEALTH = "health", "卫生健康委员会"
    POLICE = "police", "公安局交通管理部门"
    FIRE = "fire", "消防救援支队"
    GAS = "gas", "燃气主管部门"
    URBAN_MGMT = "urban_mgmt", "城市管理局"
    GARDEN = "garden", "园林绿化部门"
    WATER = "water", "水务部门"
    ECOLOGY = "ecology", "生态环境局"
    TRANSPORT = "transport", "交通运输局"
    CULTURE = "culture", "文化广电和旅游局"
    SPORTS = "sports", "体育局"
    COMMERCE = "commerce", "商务局"
    DEVELOPMENT = "development", "发展和改革委员会"
    EMERGENCY = "emergency", "应急管理局"


# Short labels used in tables (“住建”“教育”…).
DEPARTMENT_SHORT = {
    Department.HOUSING: "住建",
    Department.PLANNING: "自然资源和规划",
    Department.EDUCATION: "教育",
    Department.CIVIL: "民政",
    Department.HEALTH: "卫健",
    Department.POLICE: "公安",
    Department.FIRE: "消防",
    Department.GAS: "燃气",
    Department.URBAN_MGMT: "城管",
    Department.GARDEN: "园林",
    Department.WATER: "水务",
    Department.ECOLOGY: "生态环境",
    Department.TRANSPORT: "交通",
    Department.CULTURE: "文旅",
    Department.SPORTS: "体育",
    Department.COMMERCE: "商务",
    Department.DEVELOPMENT: "发改",
    Department.EMERGENCY: "应急",
}


class UnitKind(models.TextChoices):  # 体检单元类型
    BUILDING = "building", "住房（楼栋）"
    COMPOUND = "compound", "小区"
    COMMUNITY = "community", "社区"
    BLOCK = "block", "街区"
    DISTRICT = "district", "城区"


UNIT_KIND_BY_LABEL = {label: value for value, label in UnitKind.choices} | {
    "住房": UnitKind.BUILDING,
    "楼栋": UnitKind.BUILDING,
    "住宅": UnitKind.BUILDING,
}
UNIT_KIND_SOURCE = cite("MOHURD-CHECKUP-2025", "第一章三、（一）", "住房、小区（社区）、街区、城区（城市）四个层级", rule="体检单元层级")


class RunStatus(models.TextChoices):  # 体检工作状态
    IN_PROGRESS = "in_progress", "进行中"
    COMPLETED = "completed", "已完成"


class TaskStatus(models.TextChoices):  # 部门填报任务状态
    PENDING = "pending", "待填报"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已通过"


class ReviewAction(models.TextChoices):  # 审核动作
    SUBMIT = "submit", "提交"
    RETURN = "return", "退回"
    ACCEPT = "accept", "通过"


class Severity(models.TextChoices):  # 问题严重程度
    GENERAL = "general", "一般"
    SERIOUS = "serious", "较严重"
    SEVERE = "severe", "严重"


SEVERITY_SOURCE = cite("MOHURD-CHECKUP-2025", "指标1", "指标解释：非常严重、严重、一般三级问题（本平台记为严重 / 较严重 / 一般）",
                       rule="问题严重程度分级")


class ProblemStatus(models.TextChoices):  # 问题整治状态
    OPEN = "open", "待整治"
    IN_PROGRESS = "in_progress", "整治中"
    FIXED = "fixed", "已整治"


class Relation(models.TextChoices):  # 版本间指标对应关系
    SAME = "same", "相同"
    RENAMED = "renamed", "更名"
    SPLIT = "split", "拆分"
    MERGED = "merged", "合并"
    REPLACED = "replaced", "替换"
    NEW = "new", "新增"
    DROPPED = "dropped", "删除"


class Verdict(models.TextChoices):  # 评价结论
    PASS = "pass", "达标"
    FAIL = "fail", "未达标"
    NO_STANDARD = "no_standard", "无标准"
    MISSING = "missing", "缺少数据"


class Trend(models.TextChoices):  # 与上年比较
    BETTER = "better", "改善"
    WORSE = "worse", "恶化"
    SAME = "same", "持平"
    NOT_COMPARABLE = "not_comparable", "不可比"
