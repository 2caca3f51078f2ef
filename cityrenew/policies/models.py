"""The policy library (政策库): documents → sections (章 / 一、) → articles (条 / （一）) → items (项 / 1.).

A document's ``key`` is the key the rules cite (:mod:`cityrenew.catalogue.policies`): a citation names
the document key and an article ``ref`` and resolves to one :class:`Article`.

Article references (``Article.ref``), one convention for every document:

* 条文式 (articles numbered 第N条): ``第十二条``; chapters (第二章 …) are sections, not part of the ref.
* 提纲式 (一、 / （一） / 1.): a （N） paragraph under section 二 is ``二、（三）``; a section without
  （N） paragraphs is itself one article, ``四、``; a document with （N） but no 一、 sections: ``（三）``.
  A document whose chapters restart the 一、 numbering (the check-up manual) prefixes the chapter:
  ``第一章三、（五）``.
  Numbered items 1. 2. inside an article are :class:`Item` rows (a citation may name one).
* 表格 (a catalogue table): one article per row, ``序号N`` (N as printed; for a code table the code).
* 指标 (the check-up manual's indicator explanations): ``指标N``.
* 新闻 / 解读 (news and commentary): one article per paragraph, ``第N段``.
* Text before the first numbered part (a preamble, the addressee of a notice) is ``序言``; a closing
  paragraph after the last numbered part of a 提纲式 document (本方案自…施行) is ``结语``; a table's
  header is ``表头`` and its printed total row ``合计``.
* An annex cited as a whole is ``附件四`` (the check-up manual's sample lists).
* A number the source repeats (an OCR slip or a drafting error) gets ``之2``, ``之3`` on its second and
  third article (``二、（三）之2``), so refs stay unique; the label keeps what is printed.

The shapes are checked by :func:`cityrenew.catalogue.policies.check_ref`; a citation may add an item
(``2.``) or cite a run of articles (``二、（一）`` through ``二、（八）``), see :mod:`cityrenew.policies.citations`.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from cityrenew.core.models import AuditedModel


class Level(models.TextChoices):  # 层级
    CENTRAL = "central", "中央"
    MINISTRY = "ministry", "国家部委"
    PROVINCE = "province", "省级"
    CITY = "city", "市级"
    DISTRICT = "district", "区县级"
    STANDARD = "standard", "标准规范"
    REFERENCE = "reference", "参考资料"  # news, commentary, project lists


class Status(models.TextChoices):  # 效力状态
    IN_FORCE = "in_force", "现行有效"
    TRIAL = "trial", "试行"
    NOT_YET = "not_yet", "尚未施行"
    EXPIRED = "expired", "已失效"
    REPLACED = "replaced", "已被替代"
    REFERENCE = "reference", "参考资料"


class Structure(models.TextChoices):  # 文本结构
    ARTICLES = "articles", "条文式（第N条）"
    OUTLINE = "outline", "提纲式（一、（一）1.）"
    TABLE = "table", "表格"
    INDICATORS = "indicators", "指标说明"
    PARAGRAPHS = "paragraphs", "段落（新闻、解读）"


class PolicyDocument(AuditedModel):  # 政策文件
    key = models.CharField("编码", max_length=64, unique=True, help_text="规则引用此编码，如 MOF-2025-11")
    title = models.CharField("标题", max_length=300)
    number = models.CharField("文号", max_length=100, blank=True)
    issuer = models.CharField("发文机关", max_length=300, blank=True)
    level = models.CharField("层级", max_length=16, choices=Level.choices)
    region = models.CharField("适用地区", max_length=64, blank=True, help_text="全国、河南省、北京市……")
    structure = models.CharField("文本结构", max_length=16, choices=Structure.choices)
    issued = models.DateField("发布日期", null=True, blank=True)
    effective = models.DateField("施行日期", null=True, blank=True)
    expires = models.DateField("有效期至", null=True, blank=True)
    status = models.CharField("效力状态", max_length=16, choices=Status.choices, default=Status.IN_FORCE)
    replaces = models.ForeignKey(
        "self", verbose_name="替代的文件", null=True, blank=True, on_delete=models.SET_NULL, related_name="replaced_by"
    )
    excerpt = models.BooleanField("摘录", default=False, help_text="库中只有部分条文")
    note = models.TextField("说明", blank=True)
    source = models.CharField("来源", max_length=300, blank=True, help_text="原文文件及行号，或导入的文件名")
    line_start = models.PositiveIntegerField("起始行", null=True, blank=True)
    line_end = models.PositiveIntegerField("结束行", null=True, blank=True)
    url = models.URLField("原文链接", blank=True)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = "政策文件"
        verbose_name_plural = "政策文件"

    def __str__(self) -> str:
        return f"《{self.title}》" + (f"（{self.number}）" if self.number else "")

    def get_absolute_url(self) -> str:
        return reverse("policies:document", args=[self.key])


class Section(models.Model):  # 章 / 一、
    document = models.ForeignKey(PolicyDocument, on_delete=models.CASCADE, related_name="sections")
    label = models.CharField("编号", max_length=32)  # 第二章 / 二、
    title = models.CharField("标题", max_length=300, blank=True)
    order = models.PositiveIntegerField("顺序")

    class Meta:
        ordering = ["document", "order"]
        constraints = [models.UniqueConstraint(fields=["document", "order"], name="policies_section_order")]

    def __str__(self) -> str:
        return f"{self.label} {self.title}".strip()


class Article(models.Model):  # 条
    document = models.ForeignKey(PolicyDocument, on_delete=models.CASCADE, related_name="articles")
    section = models.ForeignKey(Section, null=True, blank=True, on_delete=models.CASCADE, related_name="articles")
    ref = models.CharField("条款", max_length=64)  # canonical reference, see the module docstring
    label = models.CharField("编号", max_length=32)  # as printed: 第十二条 / （三） / 序号3
    heading = models.CharField("标题", max_length=300, blank=True)  # （三）推进老旧街区改造。 → 推进老旧街区改造
    text = models.TextField("正文")  # cleaned full text, items included
    number = models.PositiveIntegerField("序号")  # 1-based position in the document: URL and anchor a<number>
    line_start = models.PositiveIntegerField("起始行", null=True, blank=True)
    line_end = models.PositiveIntegerField("结束行", null=True, blank=True)
    tokens = models.TextField("分词", blank=True, editable=False)  # segmented text the search index is built on

    class Meta:
        ordering = ["document", "number"]
        verbose_name = "条文"
        verbose_name_plural = "条文"
        constraints = [
            models.UniqueConstraint(fields=["document", "ref"], name="policies_article_ref"),
            models.UniqueConstraint(fields=["document", "number"], name="policies_article_number"),
        ]

    def __str__(self) -> str:
        return f"{self.document}{self.ref}"

    @property
    def anchor(self) -> str:
        return f"a{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("policies:article", args=[self.document.key, self.number])


class Item(models.Model):  # 项 / 款：1. 2. （1）
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="items")
    label = models.CharField("编号", max_length=16)
    text = models.TextField("正文")
    order = models.PositiveIntegerField("顺序")

    class Meta:
        ordering = ["article", "order"]
        constraints = [models.UniqueConstraint(fields=["article", "order"], name="policies_item_order")]

    def __str__(self) -> str:
        return f"{self.article.ref}{self.label}"
