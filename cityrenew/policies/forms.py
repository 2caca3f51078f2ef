"""Forms of the policy library: a document's standing (效力信息) and the import of a local document."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cityrenew.core.fieldrules import FieldRulesFormMixin

from cityrenew.catalogue.policies import DOCUMENTS

from .ingest import IMPORT_SUFFIXES, check_upload
from .models import Level, PolicyDocument, Status, Structure

IMPORT_FORMATS = "文本文件（.txt，UTF-8 或 GBK）、Word 文档（.docx）或带文字层的 PDF（.pdf）"
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")  # as cityrenew policies import checks it
STRUCTURES = [("", "自动识别（按“第一条”“一、”“（一）”编号）"), (Structure.ARTICLES, "条文式（第N条）"),
              (Structure.OUTLINE, "提纲式（一、（一）1.）"), (Structure.TABLE, "表格（每行一条）"),
              (Structure.PARAGRAPHS, "段落（新闻、解读等不分条的材料）")]
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _check_dates(form: forms.Form, data: dict[str, Any]) -> None:
    issued, effective, expires = data.get("issued"), data.get("effective"), data.get("expires")
    if issued and effective and effective < issued:
        form.add_error("effective", f"施行日期（{effective:%Y-%m-%d}）早于发布日期（{issued:%Y-%m-%d}）")
    start = effective or issued
    if start and expires and expires < start:
        form.add_error("expires", f"有效期至（{expires:%Y-%m-%d}）早于{'施行' if effective else '发布'}日期（{start:%Y-%m-%d}）")


class DocumentMetaForm(FieldRulesFormMixin, forms.ModelForm):  # 效力信息
    class Meta:
        model = PolicyDocument
        fields = ["status", "issued", "effective", "expires", "replaces", "note"]
        widgets = {"issued": DATE, "effective": DATE, "expires": DATE, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["replaces"]
        field.queryset = PolicyDocument.objects.exclude(pk=self.instance.pk).order_by("order", "key")
        field.label_from_instance = lambda d: f"{d}（{d.key}）"
        field.empty_label = "（不替代其他文件）"
        field.help_text = "本文件施行后被替代的旧版本，如 2025 年版体检手册替代 2024 年版指标体系"
        self.fields["status"].help_text = "存放的状态；发布、施行、失效日期和替代关系会覆盖它（按当天日期计算）"
        self.apply_field_rules()

    def clean_replaces(self) -> PolicyDocument | None:
        old = self.cleaned_data.get("replaces")
        if old is None or self.instance.pk is None:
            return old
        seen, cur = set(), old
        while cur is not None and cur.pk not in seen:  # the new link must not close a circle
            if cur.pk == self.instance.pk:
                raise ValidationError(f"{old}已经（直接或间接）被本文件之后的版本替代，不能互相替代")
            seen.add(cur.pk)
            cur = cur.replaces
        return old

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_dates(self, data)
        return data


class DocumentImportForm(forms.Form):  # 导入本地政策文件
    file = forms.FileField(label="文件", help_text=IMPORT_FORMATS,
                           error_messages={"required": "请选择要导入的文件", "empty": "上传的文件是空的（0 字节），请检查后重新上传"})
    key = forms.CharField(label="编码", max_length=64, help_text="规则引用此编码：字母、数字、连字符、下划线和点，如 ZZ-2025-12",
                          error_messages={"required": "请填写编码"})
    title = forms.CharField(label="标题", max_length=300, help_text="不含书名号", error_messages={"required": "请填写标题"})
    number = forms.CharField(label="文号", max_length=100, required=False, help_text="如 郑政〔2025〕12号")
    issuer = forms.CharField(label="发文机关", max_length=300, required=False)
    level = forms.ChoiceField(label="层级", choices=Level.choices, initial=Level.CITY)
    region = forms.CharField(label="适用地区", max_length=64, required=False, help_text="如 郑州市")
    issued = forms.DateField(label="发布日期", required=False, widget=DATE)
    effective = forms.DateField(label="施行日期", required=False, widget=DATE)
    expires = forms.DateField(label="有效期至", required=False, widget=DATE)
    status = forms.ChoiceField(label="效力状态", choices=Status.choices, initial=Status.IN_FORCE)
    structure = forms.ChoiceField(label="文本结构", choices=STRUCTURES, required=False)
    replace = forms.BooleanField(label="替换同一编码的已导入文件", required=False,
                                 help_text="已导入过同一编码的本地文件时，用新文件重建它（原条文被替换，记入审计日志）")

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        name = PurePosixPath((f.name or "").replace("\\", "/")).name
        if PurePosixPath(name.lower()).suffix not in IMPORT_SUFFIXES:
            raise ValidationError(f"不支持的文件类型“{name}”：请上传{IMPORT_FORMATS}")
        check_upload(f)  # the shared checks: size limit, the content must be what the name says
        return f

    def clean_key(self) -> str:
        key = self.cleaned_data["key"].strip()
        if not KEY_RE.match(key):
            raise ValidationError(f"编码“{key}”无效：只能使用字母、数字、连字符（-）、下划线和点，最多 64 个字符，如 ZZ-2025-12")
        if key in DOCUMENTS:
            raise ValidationError(f"编码“{key}”已是系统内置政策文件的编码，请换一个编码")
        return key

    def clean_title(self) -> str:
        title = self.cleaned_data["title"].strip().strip("《》")
        if not title:
            raise ValidationError("请填写标题")
        return title

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        _check_dates(self, data)
        key = data.get("key")
        existing = PolicyDocument.objects.filter(key=key).first() if key else None
        if existing is not None and not data.get("replace"):
            self.add_error("key", f"编码“{key}”已被{existing}使用；如需用新文件重建它，请勾选“替换同一编码的已导入文件”")
        return data

    def meta(self) -> dict[str, str]:
        """The document's metadata for the job (JSON: dates as ISO strings)."""
        d = self.cleaned_data
        out = {k: (d.get(k) or "").strip() for k in ("key", "title", "number", "issuer", "region")}
        out.update(level=d["level"], status=d["status"], structure=d.get("structure") or "")
        for k in ("issued", "effective", "expires"):
            out[k] = d[k].isoformat() if d.get(k) else ""
        return out
