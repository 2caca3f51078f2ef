"""Named choices of the funding app (资金拨付状态)."""

from django.db import models


class TrancheState(models.TextChoices):  # 资金拨付申请状态
    REQUESTED = "requested", "已申请"
    DISTRICT_APPROVED = "district_approved", "区级已审核"
    APPROVED = "approved", "财政已审核"
    REJECTED = "rejected", "已退回"
    PAID = "paid", "已拨付"


class ReviewStage(models.TextChoices):  # 审核环节
    DISTRICT = "district", "区级审核"
    FINANCE = "finance", "财政审核"
    PAYMENT = "payment", "拨付"


class ReviewDecision(models.TextChoices):  # 审核意见
    APPROVE = "approve", "同意"
    REJECT = "reject", "退回"
    PAID = "paid", "已拨付"
