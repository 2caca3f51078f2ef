"""Named choices of implementation plans (实施方案): states of the joint-review workflow and plan categories.

The states follow 《北京市城市更新实施方案联合审查管理办法（试行）》 第五条至第十八条 (document key
``BJ-2024-JOINT-REVIEW``); the transitions between them, with the roles allowed to make each and the
article each cites, are in ``workflow.py``.
"""

from django.db import models


class PlanState(models.TextChoices):  # 实施方案状态
    DRAFTING = "drafting", "编制中"  # 第五条
    CONSULTATION = "consultation", "意见征询中"  # 第五条：与物业权利人协商、征询利害关系人意见
    CONSENTED = "consented", "已同意/表决通过"  # 第六条：经物业权利人同意或者依法共同表决通过
    SUBMITTED = "submitted", "已报送"  # 第六条
    PRE_REVIEW = "pre_review", "审查前准备"  # 第八条
    REVISION = "revision", "退回修改"  # 第八条：告知修改、补充、完善
    EXPERT_REVIEW = "expert_review", "专家评审"  # 第九条
    JOINT_REVIEW = "joint_review", "联合审查中"  # 第十条、第十二条
    APPROVED = "approved", "通过联合审查"  # 第十条：出具审查意见
    NOT_APPROVED = "not_approved", "未通过联合审查"  # 办法未规定未通过的后续程序
    NOTICE = "notice", "公示中"  # 第十一条：不少于15个工作日
    PERMITS = "permits", "办理许可和备案"  # 第十三条
    LAND = "land", "办理土地手续"  # 第十八条：首期2年内、全部5年内
    IMPLEMENTATION = "implementation", "实施监管"  # 第十五条：全过程监管
    WITHDRAWN = "withdrawn", "已撤回"


class PlanCategory(models.TextChoices):  # 需编制实施方案的项目类别（第四条）
    AREA = "area", "区域综合性城市更新项目"
    FUNCTION = "function", "改变用地功能、建筑规模、高度、土地用途或利用方式、适用过渡期政策、业态和经营方式发生较大变化的项目"
    PUBLIC = "public", "涉及重大公共利益调整、重大公共安全保障的项目"
    OTHER = "other", "区政府确定的其他项目"


class MaterialKind(models.TextChoices):  # 申报材料（第六条）
    APPLICATION = "application", "实施方案联合审查申请书"  # 第六条（一）
    LICENCE = "licence", "统筹主体、实施主体合法有效证照"  # 第六条（二）
    PLAN = "plan", "城市更新实施方案"  # 第六条（三）：以方案的最新版本为准
    OTHER_RIGHTS = "other_rights", "他项权益人书面同意意见"  # 第六条（四）：涉及抵押登记他项权益的


class ExpertConclusion(models.TextChoices):  # 专家评审结论（第九条）
    PASS = "pass", "通过"
    PASS_WITH_CHANGES = "pass_with_changes", "修改后通过"
    FAIL = "fail", "不通过"


class PermitKind(models.TextChoices):  # 行政许可或备案的类别（第十三条）
    INVESTMENT = "investment", "投资"
    LAND = "land", "土地"
    PLANNING = "planning", "规划"
    CONSTRUCTION = "construction", "建设"


class PermitMode(models.TextChoices):
    PERMIT = "permit", "行政许可"
    FILING = "filing", "备案"


class LandPhase(models.TextChoices):  # 土地手续（第十八条）
    FIRST = "first", "首期用地手续"
    ALL = "all", "全部用地手续"
