"""Public notices of implementation plans (实施方案公示) and the public's comments (意见与异议).

A :class:`Notice` is what 《北京市城市更新实施方案联合审查管理办法（试行）》第十一条 requires: the
approved plan is published in the 城市更新信息系统 for no less than 15 working days. What was
published is frozen at publication (``content``: the plan's summary, location, materials, the
period) and proven by its SHA-256 (``content_sha256``) and the publication time; the public pages
show that frozen content, never the live plan. The notice record (公示记录, ``record.py``) states
both, with the days shown.

A :class:`Comment` is an opinion or objection (意见/异议) from the public on a notice, or a reply of
the implementing entity (实施主体答复) to one. The commenter's contact details are kept for the
authority only: never on a public page, never in the API, never in the audit log. Moderation hides a
comment with a reason (its replies stay); every moderation is audited. A :class:`Report` (举报) is a
member of the public flagging a comment for moderation.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel

from .choices import CommentKind, CommentStatus, NoticeStatus


class Notice(AuditedModel):  # 实施方案公示
    plan = models.ForeignKey(
        "plans.ImplementationPlan", verbose_name="实施方案", on_delete=models.PROTECT, related_name="notices"
    )
    title = models.CharField("公示标题", max_length=300)
    start_date = models.DateField("公示起始日", help_text="发布公示之日；期间自次日起算（民法典第二百零一条）")
    days = models.PositiveSmallIntegerField("公示期（工作日）", help_text="不少于15个工作日（联审办法第十一条）")
    end_date = models.DateField("公示截止日", help_text="起始日后第 N 个工作日，当日24时届满")
    content = models.JSONField("公示内容", default=dict, help_text="发布时固定的公示内容，公众页面显示的即此内容")
    content_sha256 = models.CharField("公示内容SHA-256", max_length=64)
    document = models.FileField("公示材料", upload_to="notices/%Y/", blank=True,
                                help_text="发布时复制的实施方案文本，此后不随方案修改而变化")
    published_at = models.DateTimeField("发布时间")
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发布人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField("期满处理时间", null=True, blank=True,
                                     help_text="期满后方案转入“办理许可和备案”的时间")

    class Meta:
        verbose_name = "实施方案公示"
        verbose_name_plural = "实施方案公示"
        ordering = ["-start_date", "-id"]
        indexes = [models.Index(fields=["end_date"])]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("notices:notice_detail", args=[self.pk])

    def get_public_url(self) -> str:
        return reverse("public:notice", args=[self.pk])

    def region_ids(self) -> list[int]:
        return [self.plan.district_id]

    def status_on(self, today: dt.date) -> str:
        if today <= self.start_date:
            return NoticeStatus.UPCOMING if today < self.start_date else NoticeStatus.ACTIVE
        return NoticeStatus.ACTIVE if today <= self.end_date else NoticeStatus.ENDED


class Comment(AuditedModel):  # 公示意见、异议及实施主体答复
    notice = models.ForeignKey(Notice, verbose_name="公示", on_delete=models.CASCADE, related_name="comments")
    parent = models.ForeignKey(
        "self", verbose_name="所答复的意见", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    kind = models.CharField("类型", max_length=16, choices=CommentKind.choices, default=CommentKind.OPINION)
    name = models.CharField("署名", max_length=60)
    contact = models.CharField("联系方式", max_length=120, blank=True, help_text="仅主管部门可见，不公开")
    body = models.TextField("内容", max_length=2000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="答复人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField("状态", max_length=16, choices=CommentStatus.choices, default=CommentStatus.VISIBLE)
    moderation_reason = models.CharField("隐藏理由", max_length=200, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="处理人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    moderated_at = models.DateTimeField("处理时间", null=True, blank=True)
    client_hash = models.CharField("来源标识", max_length=64, blank=True, help_text="来源地址的加盐散列，仅用于频率限制")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    # Privacy: the contact and the client hash never enter the audit log (readable by more people).
    audit_exclude = ("contact", "client_hash", "updated_at", "created_at")

    class Meta:
        verbose_name = "公示意见"
        verbose_name_plural = "公示意见"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["notice", "created_at"]), models.Index(fields=["client_hash", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}#{self.pk}（{self.notice.title}）"

    def region_ids(self) -> list[int]:
        return self.notice.region_ids()

    @property
    def hidden(self) -> bool:
        return self.status == CommentStatus.HIDDEN

    @property
    def public_name(self) -> str:
        """The name as the public site shows it: a reply by the entity's name; a resident's masked (张**)."""
        if self.kind == CommentKind.REPLY:
            return self.name
        return (self.name[:1] + "**") if self.name else "匿名"


class Report(AuditedModel):  # 举报（公众请求审核某条意见）
    comment = models.ForeignKey(Comment, verbose_name="被举报的意见", on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField("举报理由", max_length=200)
    client_hash = models.CharField("来源标识", max_length=64, blank=True)
    created_at = models.DateTimeField("举报时间", auto_now_add=True)
    handled = models.BooleanField("已处理", default=False)

    audit_exclude = ("client_hash", "created_at")

    class Meta:
        verbose_name = "举报"
        verbose_name_plural = "举报"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"举报#{self.pk}：{self.reason}"
