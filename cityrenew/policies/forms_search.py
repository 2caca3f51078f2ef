"""The search form: the question and the filters, shared by the search page and the search API."""

from __future__ import annotations

from django import forms

from .models import Level, Status


class SearchForm(forms.Form):
    q = forms.CharField(label="检索", max_length=200, required=False,
                        widget=forms.TextInput(attrs={"placeholder": "如：北京实施方案公示多少天", "autofocus": True,
                                                      "type": "search", "data-testid": "search-q"}))
    level = forms.ChoiceField(label="层级", choices=[("", "全部")] + Level.choices, required=False)
    status = forms.ChoiceField(label="效力状态", choices=[("", "全部")] + Status.choices, required=False)
    year = forms.IntegerField(label="发布年份", min_value=1949, max_value=2100, required=False,
                              error_messages={"invalid": "发布年份须为四位数字，如 2025",
                                              "min_value": "发布年份不早于 1949 年",
                                              "max_value": "发布年份不晚于 2100 年"})
    issuer = forms.CharField(label="发文机关", max_length=100, required=False)
    region = forms.CharField(label="地区", max_length=50, required=False)
    document = forms.CharField(label="文件", max_length=64, required=False, widget=forms.HiddenInput)
    top = forms.IntegerField(label="条数", min_value=1, max_value=100, required=False,
                             error_messages={"min_value": "条数至少为 1", "max_value": "条数最多为 100",
                                             "invalid": "条数须为整数"})

    def filters(self) -> dict:
        d = self.cleaned_data
        return {k: d.get(k) for k in ("level", "status", "year", "issuer", "region", "document") if d.get(k)}

    def clean_document(self) -> str:
        from .models import PolicyDocument

        key = self.cleaned_data.get("document", "").strip()
        if key and not PolicyDocument.objects.filter(key=key).exists():
            raise forms.ValidationError(f"政策库中没有编码为“{key}”的文件")
        return key
