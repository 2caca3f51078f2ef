"""Find a document by 文号 or key, and an article by a reference the way people write it.

``cityrenew policies show 财办建〔2025〕11号 四、（一）`` and the search page use these: a 文号 is matched
ignoring spaces and bracket style (财办建[2025]11号, 财办建〔2025〕11 号), an article reference
accepts 第12条 / 12 for 第十二条 and 二（三） for 二、（三） (the convention in :mod:`cityrenew.policies.models`).
"""

from __future__ import annotations

import re

from cityrenew.policies.models import Article, PolicyDocument

_DIGITS = "零一二三四五六七八九"
_BRACKETS = str.maketrans({"[": "〔", "]": "〕", "［": "〔", "］": "〕", "【": "〔", "】": "〕", "(": "（", ")": "）"})


class NotFound(LookupError):
    """A document or an article that is not in the library; the message is Chinese, for the user."""


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 105 → 一百零五 (the numbering of 第N条 and 一、)."""
    if n <= 0 or n >= 1000:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = ""
    if hundreds:
        out += _DIGITS[hundreds] + "百"
        if rest and tens == 0:
            out += "零"
    if tens:
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    if ones:
        out += _DIGITS[ones]
    return out


def _squash(s: str) -> str:
    return re.sub(r"\s+", "", s).translate(_BRACKETS)


def find_document(name: str) -> PolicyDocument:
    """The document whose 文号 or key is ``name``."""
    wanted = _squash(name)
    doc = PolicyDocument.objects.filter(key__iexact=wanted).first()
    if doc:
        return doc
    for pk, number in PolicyDocument.objects.exclude(number="").values_list("pk", "number"):
        if _squash(number) == wanted:
            return PolicyDocument.objects.get(pk=pk)
    raise NotFound(f"政策库中没有文号或编码为“{name}”的文件")


def ref_candidates(ref: str) -> list[str]:
    """Canonical references ``ref`` may stand for, most likely first."""
    r = _squash(ref)
    out = [r]

    def cn(m: re.Match) -> str:
        return chinese_number(int(m.group(0)))

    if re.fullmatch(r"\d+", r):
        n = int(r)
        c = chinese_number(n) if 0 < n < 1000 else r
        out += [f"第{c}条", f"{c}、", f"（{c}）", f"序号{n}", f"指标{n}", f"第{n}段"]
    m = re.fullmatch(r"第(\d+)条", r)
    if m:
        out.append(f"第{chinese_number(int(m.group(1)))}条")
    converted = re.sub(r"\d+", cn, r) if not r.startswith(("序号", "指标")) and not re.fullmatch(r"第\d+段", r) else r
    if converted != r:
        out.append(converted)
    for form in list(out):
        m = re.fullmatch(r"([一二三四五六七八九十百零]+)、?（([一二三四五六七八九十百零]+)）", form)
        if m:
            out.append(f"{m.group(1)}、（{m.group(2)}）")
        m = re.fullmatch(r"([一二三四五六七八九十百零]+)", form)
        if m:
            out += [f"第{form}条", f"{form}、", f"（{form}）"]
    return list(dict.fromkeys(out))


def find_article(doc: PolicyDocument, ref: str) -> Article:
    """The article of ``doc`` that ``ref`` names (see :func:`ref_candidates`)."""
    for candidate in ref_candidates(ref):
        article = doc.articles.filter(ref=candidate).first()
        if article:
            return article
    raise NotFound(f"{doc}中没有条款“{ref}”（可写作 第十二条、第12条、12 或 二、（三））")
