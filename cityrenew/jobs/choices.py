"""Choices of the background jobs (后台任务)."""

from django.db import models


class JobStatus(models.TextChoices):  # 任务状态
    QUEUED = "queued", "排队中"
    RUNNING = "running", "运行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"
    CANCELLED = "cancelled", "已取消"


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)
