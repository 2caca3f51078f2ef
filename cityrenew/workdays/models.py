"""State Council holiday notices (国务院办公厅关于某年部分节假日安排的通知) a city loads itself.

They override and extend the ``chinese-calendar`` package, which is released once a year and may lag
behind a newly published notice (see :mod:`cityrenew.workdays.calendar`).
"""

from __future__ import annotations

from django.db import models

from cityrenew.core.models import AuditedModel


class DayKind(models.TextChoices):
    HOLIDAY = "放假", "放假"
    WORKDAY = "调休上班", "调休上班"


class HolidayNotice(AuditedModel):
    year = models.PositiveSmallIntegerField("年份", db_index=True)
    number = models.CharField("文号", max_length=80, unique=True, help_text="如 国办发明电〔2025〕7号")
    title = models.CharField("标题", max_length=200)
    issued = models.DateField("印发日期")
    source_text = models.TextField("通知原文", blank=True)

    class Meta:
        ordering = ["-year", "number"]
        verbose_name = "节假日安排通知"
        verbose_name_plural = "节假日安排通知"

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class HolidayNoticeDay(models.Model):
    notice = models.ForeignKey(HolidayNotice, on_delete=models.CASCADE, related_name="days", verbose_name="通知")
    date = models.DateField("日期", unique=True)
    kind = models.CharField("类别", max_length=8, choices=DayKind.choices)
    name = models.CharField("节日", max_length=40)

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日安排（日）"
        verbose_name_plural = "节假日安排（日）"

    def __str__(self) -> str:
        return f"{self.date} {self.name} {self.kind}"
