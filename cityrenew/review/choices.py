"""Named choices of the joint review (联合审查): opinions, record and round states."""

from django.db import models


class Opinion(models.TextChoices):  # 审查意见
    AGREE = "agree", "同意"
    CONDITIONAL = "conditional", "有条件同意"  # conditions required
    DISAGREE = "disagree", "不同意"  # reasons required


class RoundStatus(models.TextChoices):  # 审查轮次状态
    OPEN = "open", "审查中"
    APPROVED = "approved", "已通过"
    RETURNED = "returned", "已退回修改"
    NOT_APPROVED = "not_approved", "未通过"
    WITHDRAWN = "withdrawn", "已撤回"
