"""Links both ways between rules and articles (条款 ↔ 规则).

A :class:`~cityrenew.catalogue.policies.Citation` names a document key and a canonical article ref
(:mod:`cityrenew.policies.models`); :func:`resolve` finds that :class:`~cityrenew.policies.models.Article`.
:func:`all_citations` lists every citation the codebase defines — rules registered with ``cite(…, rule=…)``,
the check-up indicator catalogue, the national indicator sets and indicators in the database
(``source_document``/``source_article``), and the spatial rules table — and :func:`cited_by` is the reverse
index an article page shows. :func:`unresolved` is the check (``cityrenew policies check-citations``, and
``tests/policies/test_citations.py``) that no citation points at a missing article.

Lookups go through one in-process index of ``(document key, ref) → article`` built with a single query and
dropped whenever a document or article is saved or deleted in this process (and after
:data:`INDEX_SECONDS`, for an ingest run by another process), so a list page with many citation badges
costs one query, not one per badge.
"""

from __future__ import annotations

import importlib
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db.models.signals import post_delete, post_save
from django.urls import NoReverseMatch, reverse

from cityrenew.catalogue.policies import (
    DOCUMENTS,
    Citation,
    indicator_citations,
    registered_citations,
)


@dataclass(frozen=True)
class ArticleRef:  # what a citation badge and the reverse index need of an article (no model instance)
    key: str
    number: int
    ref: str
    label: str
    heading: str
    doc_title: str
    doc_number: str

    @property
    def url(self) -> str:
        return f"/policies/{self.key}/{self.number}/#a{self.number}"

    @property
    def title(self) -> str:  # tooltip: 《title》（文号）ref heading
        head = f"《{self.doc_title}》" + (f"（{self.doc_number}）" if self.doc_number else "")
        return f"{head}{self.ref}{(' ' + self.heading) if self.heading else ''}"


@dataclass(frozen=True)
class CitedRule:  # 依据此条款的规则: one entry of an article page's "what cites it"
    rule: str  # 规则名称
    kind: str  # 规则 / 体检指标 / 体检指标（目录） / 指标体系 / 空间规则
    where: str  # where it is defined or used: module, indicator set, spatial rule table
    note: str
    citation: Citation
    url: str = ""  # the rule's own page, when it has one (a check-up indicator or the one a spatial rule serves)
    area: str = ""  # the part of the platform, in Chinese: 城市更新项目库 / 城市体检 / 一张图空间分析 …


INDEX_SECONDS = 300  # the index is rebuilt at least this often (an ingest in another process)
_lock = threading.Lock()
_built = 0.0
_index: dict[tuple[str, str], ArticleRef] | None = None
_order: dict[str, list[str]] | None = None  # key → refs in article order (for runs 二、（一）至二、（八）)
_reverse: dict[tuple[str, str], list[CitedRule]] | None = None


def clear_cache(**kwargs: object) -> None:
    """Forget the article index and the reverse index (after an ingest, or any document/article change)."""
    global _index, _order, _reverse
    with _lock:
        _index = _order = _reverse = None


def _connect() -> None:
    from .models import Article, PolicyDocument

    for model in (PolicyDocument, Article):
        post_save.connect(clear_cache, sender=model, dispatch_uid=f"policies-citations-{model.__name__}-save")
        post_delete.connect(clear_cache, sender=model, dispatch_uid=f"policies-citations-{model.__name__}-delete")


def article_index() -> dict[tuple[str, str], ArticleRef]:
    """``(document key, ref) → ArticleRef`` for every article in the library (one query, then cached)."""
    global _index, _order, _reverse, _built
    if _index is None or time.monotonic() - _built > INDEX_SECONDS:
        from .models import Article

        index: dict[tuple[str, str], ArticleRef] = {}
        order: dict[str, list[str]] = {}
        rows = Article.objects.order_by("document__key", "number").values_list(
            "document__key", "number", "ref", "label", "heading", "document__title", "document__number"
        )
        for key, number, ref, label, heading, title, doc_number in rows:
            index[(key, ref)] = ArticleRef(key, number, ref, label, heading, title, doc_number)
            order.setdefault(key, []).append(ref)
        with _lock:
            _index, _order, _reverse, _built = index, order, None, time.monotonic()
    return _index


def resolve(citation: Citation) -> ArticleRef | None:
    """The article a citation names (its first article, for a run), or None when the library lacks it."""
    if not citation.article:
        return None
    return article_index().get((citation.document, citation.article))


def resolve_article(citation: Citation):  # -> Article | None
    """The :class:`~cityrenew.policies.models.Article` instance a citation names (one query)."""
    from .models import Article

    if not citation.article:
        return None
    return Article.objects.select_related("document").filter(document__key=citation.document, ref=citation.article).first()


def cited_refs(citation: Citation) -> list[str]:
    """Every article ref a citation covers: its article, or the run from ``article`` through ``through``."""
    if not citation.through:
        return [citation.article] if citation.article else []
    article_index()
    refs = (_order or {}).get(citation.document, [])
    if citation.article in refs and citation.through in refs:
        a, b = refs.index(citation.article), refs.index(citation.through)
        if a <= b:
            return refs[a : b + 1]
    return [citation.article]


def problem(citation: Citation) -> str:
    """Why ``citation`` does not resolve, in Chinese (naming rule, document and ref); "" when it does."""
    name = citation.rule or citation.note or citation.origin or "（未命名规则）"
    head = f"规则“{name}”" + (f"（{citation.origin}）" if citation.origin and citation.origin != name else "")
    reasons = citation.problems()
    if not reasons:
        index = article_index()
        if citation.document not in (_order or {}):
            reasons = [f"政策库中没有文件《{DOCUMENTS[citation.document].title}》（{citation.document}），请先运行 cityrenew policies ingest"]
        else:
            for ref in (citation.article, citation.through):
                if ref and (citation.document, ref) not in index:
                    reasons.append(f"文件中没有条款“{ref}”")
            if not reasons and citation.through and cited_refs(citation) == [citation.article]:
                reasons.append(f"条款“{citation.through}”在“{citation.article}”之前")
            if not reasons and citation.item:
                from .models import Item

                if not Item.objects.filter(article__document__key=citation.document, article__ref=citation.article,
                                           label=citation.item).exists():
                    reasons.append(f"条款“{citation.article}”中没有第“{citation.item}”项")
    if not reasons:
        return ""
    doc = DOCUMENTS.get(citation.document)
    title = f"《{doc.title}》" if doc else citation.document
    return f"{head}引用{title}（{citation.document}）{citation.where or '（未指明条款）'}：{'；'.join(reasons)}"


def import_rule_modules() -> None:
    """Import every module that defines rules (each app's ``policy_modules``), so their cite() calls register."""
    for app in apps.get_app_configs():
        for module in getattr(app, "policy_modules", ()):
            importlib.import_module(f"{app.name}.{module}")


def _area(module: str) -> str:
    """The verbose name of the app a module belongs to (城市更新项目库, 城市体检 …)."""
    for app in apps.get_app_configs():
        if module == app.name or module.startswith(app.name + "."):
            return str(app.verbose_name)
    return ""


def _indicator_urls() -> dict[tuple[str, int], str]:
    """(version year, number) → the page of that indicator of the national set (its row on the set page)."""
    if not apps.is_installed("cityrenew.checkup"):
        return {}
    from cityrenew.checkup.choices import SetKind
    from cityrenew.checkup.models import Indicator

    rows = Indicator.objects.filter(indicator_set__kind=SetKind.NATIONAL, is_local=False).values_list(
        "indicator_set__year", "number", "indicator_set_id", "pk")
    return {(str(year), number): _url("checkup:set_detail", set_id, f"#ind-{pk}") for year, number, set_id, pk in rows}


def _db_entries() -> Iterable[CitedRule]:
    """National indicator sets and indicators in the database (local ones are the city's own data)."""
    if not apps.is_installed("cityrenew.checkup"):
        return
    from cityrenew.checkup.choices import SetKind
    from cityrenew.checkup.models import Indicator, IndicatorSet

    for s in IndicatorSet.objects.filter(kind=SetKind.NATIONAL).order_by("code"):
        c = Citation.from_text(s.source_document, s.source_article, note=s.description, rule=s.name, origin=f"指标体系 {s.code}")
        yield CitedRule(s.name, "指标体系", s.code, "", c, _url("checkup:set_detail", s.pk), "城市体检")
    rows = (Indicator.objects.filter(indicator_set__kind=SetKind.NATIONAL, is_local=False)
            .select_related("indicator_set").order_by("indicator_set__code", "number"))
    for i in rows:
        rule = f"体检指标 {i.number}. {i.name}"  # as the catalogue row of the same indicator
        c = Citation.from_text(i.source_document, i.source_article, rule=rule, origin=f"指标体系 {i.indicator_set.code}")
        yield CitedRule(rule, "体检指标", i.indicator_set.name, "", c,
                        _url("checkup:set_detail", i.indicator_set_id, f"#ind-{i.pk}"), "城市体检")


def _url(name: str, pk: int, anchor: str = "") -> str:
    try:
        return reverse(name, args=[pk]) + anchor
    except NoReverseMatch:
        return ""


def all_citations(include_db: bool = True) -> list[CitedRule]:
    """Every citation the codebase defines, as rule entries (see the module docstring)."""
    from cityrenew.catalogue.spatial import load_spatial_rules

    import_rule_modules()
    urls = _indicator_urls() if include_db else {}
    out = [CitedRule(c.rule, "规则", c.origin, c.note, c, "", _area(c.origin)) for c in registered_citations()]
    for c in indicator_citations():
        year, number = c.origin.rsplit("（", 1)[1][:4], int(c.article[2:])
        out.append(CitedRule(c.rule, "体检指标（目录）", c.origin, c.note, c, urls.get((year, number), ""), "城市体检"))
    out += [CitedRule(f"{r.code} {r.name}", "空间规则", "spatial_rules.csv", r.source, r.citation,
                      urls.get((r.indicator_version, r.indicator_number or 0), ""), "空间分析")
            for r in load_spatial_rules()]
    if include_db:
        out += list(_db_entries())
    return out


def unresolved(citations: Iterable[CitedRule] | None = None) -> list[str]:
    """The Chinese message of every citation that does not resolve to an article."""
    entries = all_citations() if citations is None else citations
    return [m for m in (problem(e.citation) for e in entries) if m]


def reverse_index() -> dict[tuple[str, str], list[CitedRule]]:
    """``(document key, ref) → rules citing it`` (a run cites each of its articles), cached like the index."""
    global _reverse
    article_index()  # (re)built first: a stale index drops the reverse index too
    if _reverse is None:
        rev: dict[tuple[str, str], list[CitedRule]] = {}
        seen: set[tuple[str, str, str]] = set()
        # of two entries with one name (an indicator's catalogue row and its database row) the one with a
        # page wins, then the database row
        entries = sorted(all_citations(), key=lambda e: (not e.url, e.kind == "体检指标（目录）"))
        for e in entries:
            for ref in cited_refs(e.citation):
                k = (e.citation.document, ref, e.rule)
                if k in seen:
                    continue
                seen.add(k)
                rev.setdefault((e.citation.document, ref), []).append(e)
        with _lock:
            _reverse = rev
    return _reverse


def cited_by(article) -> list[CitedRule]:  # article: policies.models.Article (or anything with .document.key, .ref)
    """What cites ``article``: rule entries in a stable order (rules, indicator sets, indicators, spatial rules)."""
    kinds = ["规则", "指标体系", "体检指标", "体检指标（目录）", "空间规则"]
    entries = reverse_index().get((article.document.key, article.ref), [])
    return sorted(entries, key=lambda e: (kinds.index(e.kind) if e.kind in kinds else len(kinds), e.where, e.rule))


def rules_by_article(key: str) -> dict[str, list[CitedRule]]:
    """For a document page: ref → rules citing it, for every cited article of document ``key``."""
    return {ref: v for (k, ref), v in reverse_index().items() if k == key}
