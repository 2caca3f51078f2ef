"""Named choices of the core app (行政区划层级、组织类型、角色、审计动作、待办分组)."""

from django.db import models


class RegionLevel(models.TextChoices):  # 行政区划层级
    PROVINCE = "province", "省"
    CITY = "city", "市"
    DISTRICT = "district", "区县"
    STREET = "street", "街道"
    COMMUNITY = "community", "社区"


class RegionKind(models.TextChoices):  # 区划类型
    PROVINCE = "province", "省"
    PREFECTURE_CITY = "prefecture_city", "地级市"
    URBAN_DISTRICT = "urban_district", "市辖区"
    COUNTY_CITY = "county_city", "县级市"
    COUNTY = "county", "县"
    DEVELOPMENT_ZONE = "development_zone", "开发区（功能区）"
    SUBDISTRICT = "subdistrict", "街道"
    TOWN = "town", "镇"
    COMMUNITY = "community", "社区"
    VILLAGE = "village", "村"


class OrganisationKind(models.TextChoices):  # 组织类型
    GOVERNMENT = "government", "人民政府"
    AUTHORITY = "authority", "城市更新主管部门"
    DEPARTMENT = "department", "行业部门"
    ENTITY = "entity", "实施主体"
    CONSULTANT = "consultant", "咨询单位"
    SURVEYOR = "surveyor", "调查单位"


class Role(models.TextChoices):  # 角色
    CITY_ADMIN = "city_admin", "市级管理员"
    DISTRICT_EDITOR = "district_editor", "区级编辑"
    VIEWER = "viewer", "只读用户"
    DEPT_REVIEWER = "dept_reviewer", "部门审核员"
    DEPT_EDITOR = "dept_editor", "部门填报员"
    SURVEYOR = "surveyor", "调查员"
    ENTITY_EDITOR = "entity_editor", "实施主体填报员"


# Roles that may change data inside their region scope.
EDITOR_ROLES = frozenset({Role.CITY_ADMIN, Role.DISTRICT_EDITOR})


class AuditAction(models.TextChoices):  # 审计动作
    CREATE = "create", "新增"
    UPDATE = "update", "修改"
    DELETE = "delete", "删除"


class AuditSource(models.TextChoices):  # 变更来源
    WEB = "web", "网页"
    API = "api", "接口"
    CLI = "cli", "命令行"
    IMPORT = "import", "导入"
    SYSTEM = "system", "系统"


class InboxGroup(models.TextChoices):  # 待办分组（我的待办）
    TO_FILL = "to_fill", "待填报"
    TO_REVIEW = "to_review", "待审核"
    RETURNED = "returned", "已退回"
    SUBMITTED = "submitted", "已提交（审核中）"


# Groups that only inform (the user's own work waiting for someone else): listed, not counted.
INBOX_INFO_GROUPS = frozenset({InboxGroup.SUBMITTED})
