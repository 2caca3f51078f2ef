"""Named choices of public notices (公示): notice status, comment kinds and comment status."""

from django.db import models


class NoticeStatus(models.TextChoices):  # 公示状态（由日期计算，不存储）
    UPCOMING = "upcoming", "即将公示"
    ACTIVE = "active", "公示中"
    ENDED = "ended", "公示期满"


class CommentKind(models.TextChoices):  # 意见类型
    OPINION = "opinion", "意见"
    OBJECTION = "objection", "异议"
    REPLY = "reply", "实施主体答复"


class CommentStatus(models.TextChoices):  # 意见状态
    VISIBLE = "visible", "公开"
    HIDDEN = "hidden", "已隐藏"
