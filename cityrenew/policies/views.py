"""Pages of the policy library (政策库), on the generic views (:mod:`cityrenew.core.generic`).

* ``/policies/`` — the documents, filtered by level, region, issuer, year and current status, with
  their article counts; the full-text search box goes to ``policies:search``;
* ``/policies/<key>/`` — the reader: metadata, a table of contents (sections → articles), the whole
  text article by article (anchors ``#a<number>``), how many rules cite each article, and the
  versions when one document replaces another; three queries for the whole document;
* ``/policies/<key>/<number>/`` — one article, previous/next, the rules that rest on it, and its
  citation ready to copy;
* ``/policies/<key>/edit/`` — 市级管理员: status, dates, 替代关系 and note (audited);
* ``/policies/import/`` — 市级管理员: a city's own document (txt, docx, PDF with a text layer) through
  the upload checks, parsed by the ``policies.import`` background job (:mod:`cityrenew.policies.jobs`).

Reading is open to every signed-in user, whatever the role: the documents are public, but the
whole platform sits behind the login and the page frame (navigation, language) assumes a user.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Case, Count, IntegerField, Prefetch, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from cityrenew.core.generic import Column, ObjectEditView, ObjectHistoryView, ObjectListView, Table
from cityrenew.core.generic.views import BaseObjectView
from cityrenew.core.permissions import is_city_admin
from cityrenew.core.uploads import stash_upload
from cityrenew.core.views import forbidden
from cityrenew.jobs.runner import launch
from cityrenew.jobs.views import launched

from .citations import cited_by, rules_by_article
from .filtersets import PolicyDocumentFilterSet
from .forms import DocumentImportForm, DocumentMetaForm
from .jobs import UPLOAD_KIND
from .models import Article, Item, Level, PolicyDocument
from .status import badge_css, status_label, versions, with_current_status

ADMIN_ONLY = "只有市级管理员可以修改政策文件的效力信息或导入本地文件"


# --- citations and sources -------------------------------------------------------------------------

def source_text(doc: PolicyDocument) -> str:
    """来源 for administrators: the file, and its lines unless the file name already says them."""
    lines = f"L{doc.line_start}-L{doc.line_end}" if doc.line_start else ""
    if lines and lines not in doc.source:
        return f"{doc.source} {lines}".strip()
    return doc.source


def citation_text(article: Article) -> str:
    """《标题》（文号）第十二条 — the way a report cites the article."""
    doc = article.document
    return f"《{doc.title}》" + (f"（{doc.number}）" if doc.number else "") + article.ref


# --- the list -----------------------------------------------------------------------------------------

def _dates(doc: PolicyDocument) -> str:
    parts = []
    if doc.issued:
        parts.append(f"{doc.issued:%Y-%m-%d} 发布")
    if doc.effective and doc.effective != doc.issued:
        parts.append(f"{doc.effective:%Y-%m-%d} 施行")
    if doc.expires:
        parts.append(f"有效期至 {doc.expires:%Y-%m-%d}")
    return "，".join(parts)


class PolicyDocumentTable(Table):  # 政策文件
    columns = [
        Column("title", "文件", order_by="title", link=True, accessor=lambda d: f"《{d.title}》"),
        Column("number", "文号", order_by="number"),
        Column("issuer", "发文机关", order_by="issuer"),
        Column("level", "层级", order_by=("level", "order")),
        Column("region", "适用地区", order_by="region"),
        Column("issued", "发布日期", order_by="issued"),
        Column("dates", "施行与有效期", accessor=_dates),
        Column("current_status", "效力状态", order_by="current_status", accessor=lambda d: status_label(d.current_status)),
        Column("n_articles", "条文数", order_by="n_articles", css="num"),
    ]


class DocumentMixin:
    """Read by every signed-in user; edited and imported by a 市级管理员 only; never deleted on a page."""

    queryset = PolicyDocument.objects.all()
    url_base = "policies:document"
    list_url_name = "policies:list"
    lookup_field = "key"
    lookup_url_kwarg = "key"

    def can_add(self, request: HttpRequest) -> bool:
        return is_city_admin(request.user)

    def can_edit(self, request: HttpRequest, obj: Any) -> bool:
        return is_city_admin(request.user)

    def can_delete(self, request: HttpRequest, obj: Any) -> bool:
        return False

    def denial_message(self, action: str, obj: Any = None) -> str:
        verbs = {"view": "查看", "add": "导入", "edit": "修改", "delete": "删除"}
        target = f"政策文件{obj}" if obj is not None else "政策文件"
        return f"无权{verbs.get(action, action)}{target}：{ADMIN_ONLY}"


class PolicyDocumentListView(DocumentMixin, ObjectListView):
    filterset_class = PolicyDocumentFilterSet
    table_class = PolicyDocumentTable
    template_name = "policies/policydocument_list.html"
    partial_template_name = "policies/_policydocument_table.html"
    table_id = "policy-table"
    export_filename = "政策库.xlsx"
    paginate_by = 100

    def get_queryset(self, request: HttpRequest):
        """Grouped by level (中央 → 部委 → 省 → 市 → 区县 → 标准 → 参考资料), then the manifest's order."""
        rank = Case(*[When(level=value, then=Value(i)) for i, value in enumerate(Level.values)], output_field=IntegerField())
        qs = PolicyDocument.objects.annotate(n_articles=Count("articles"), level_rank=rank).select_related("replaces")
        return with_current_status(qs).order_by("level_rank", "order", "key")

    def get_extra_context(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        page = kwargs["page"]
        for d in page.object_list:
            d.status_label, d.status_css = status_label(d.current_status), badge_css(d.current_status)
        return {
            "headers": kwargs["table"].header_map(),
            "import_url": reverse("policies:import") if self.can_add(request) else "",
        }


# --- the reader ---------------------------------------------------------------------------------------

def not_found(request: HttpRequest, reason: str) -> HttpResponse:
    """The Chinese 404 page, naming what was not found, with a way back to the library."""
    return render(request, "404.html", {"reason": reason, "back_url": reverse("policies:list"), "back_label": "政策库"},
                  status=404)


def _document(key: str) -> PolicyDocument | None:
    doc = with_current_status(PolicyDocument.objects.select_related("replaces")).filter(key=key).first()
    if doc is not None:
        doc.status_label, doc.status_css = status_label(doc.current_status), badge_css(doc.current_status)
    return doc


def _display(article: Article) -> None:
    """Paragraphs to show: the text without the label printed at its start, items marked as such."""
    text = article.text.strip()
    for prefix in (article.label, article.ref):
        if prefix and text.startswith(prefix):
            text = text[len(prefix):].lstrip()
            break
    labels = [it.label for it in article.items.all()]
    paras = []
    for line in (p.strip() for p in text.split("\n")):
        if not line:
            continue
        item = next((lb for lb in labels if line.startswith(lb)), None)
        paras.append({"text": line, "item": item or ""})
    article.paragraphs = paras
    article.show_heading = bool(article.heading) and not text.startswith(article.heading)
    # the table of contents names an article by its heading, else by the start of its text
    start = article.heading or (paras[0]["text"] if paras else "")
    article.toc_text = start if len(start) <= 20 else start[:18].rstrip("，、。；：") + "…"


class DocumentView(DocumentMixin, BaseObjectView):
    """The reader: the whole document with its table of contents."""

    template_name = "policies/document.html"

    def get(self, request: HttpRequest, key: str) -> HttpResponse:
        doc = _document(key)
        if doc is None:
            return not_found(request, f"政策库中没有编码为“{key}”的文件")
        articles = list(doc.articles.select_related("section").prefetch_related(
            Prefetch("items", queryset=Item.objects.order_by("order"))).order_by("number"))
        cited = rules_by_article(doc.key)  # ref → rules citing it (in-process index: no query once built)
        toc: list[dict[str, Any]] = []  # sections (or none) with their articles, in order
        for a in articles:
            a.document = doc  # no query per article for its URL
            a.n_rules = len(cited.get(a.ref, []))
            _display(a)
            if not toc or toc[-1]["section"] != a.section:
                toc.append({"section": a.section, "articles": []})
            toc[-1]["articles"].append(a)
        for group in toc:
            arts, section = group["articles"], group["section"]
            opens = bool(section) and arts[0].label == section.label  # 三、's own text before its （一）
            # a section that is itself one article (四、 without （N）) is shown once, as the article
            group["heading"] = section if section and not (opens and len(arts) == 1) else None
            group["intro"] = arts[0] if opens and group["heading"] else None  # the heading links it
            arts[0].is_intro = group["intro"] is not None
        linked = doc.replaces_id is not None or doc.current_status == "replaced"
        ctx = self.base_context() | {
            "doc": doc, "object": doc, "toc": toc, "articles": articles,
            "versions": versions(doc) if linked else [doc],
            "n_rules": sum(a.n_rules for a in articles),
            "can_edit": self.can_edit(request, doc),
            "show_source": is_city_admin(request.user),
            "source_text": source_text(doc),
        }
        chain = ctx["versions"]
        here = next(i for i, v in enumerate(chain) if v.pk == doc.pk)
        ctx["replaced_by"] = chain[here + 1] if here + 1 < len(chain) else None  # the next version
        for v in chain:
            v.status_label, v.status_css = status_label(v.current_status), badge_css(v.current_status)
        return render(request, self.template_name, ctx)


class ArticleView(DocumentMixin, BaseObjectView):
    """One article: its text, previous/next, the rules that rest on it, its citation."""

    template_name = "policies/article.html"

    def get(self, request: HttpRequest, key: str, number: int) -> HttpResponse:
        doc = _document(key)
        if doc is None:
            return not_found(request, f"政策库中没有编码为“{key}”的文件")
        near = list(doc.articles.filter(number__in=[number - 1, number, number + 1]).select_related("section")
                    .prefetch_related(Prefetch("items", queryset=Item.objects.order_by("order"))))
        article = next((a for a in near if a.number == number), None)
        if article is None:
            return not_found(request, f"《{doc.title}》中没有第 {number} 个条文（共 {doc.articles.count()} 个）")
        for a in near:
            a.document = doc
        _display(article)
        rules = cited_by(article)
        ctx = self.base_context() | {
            "doc": doc, "object": doc, "article": article, "rules": rules,
            "previous": next((a for a in near if a.number == number - 1), None),
            "next": next((a for a in near if a.number == number + 1), None),
            "citation_text": citation_text(article),
        }
        return render(request, self.template_name, ctx)


# --- administration: metadata and local documents ---------------------------------------------------

class DocumentEditView(DocumentMixin, ObjectEditView):
    """效力信息 of one document: status, dates, 替代关系, note — 市级管理员, audited."""

    form_class = DocumentMetaForm

    def get_success_url(self, obj: Any) -> str:
        return obj.get_absolute_url()

    def success_message(self, obj: Any, created: bool) -> str:
        return f"已保存{obj}的效力信息"


class DocumentHistoryView(DocumentMixin, ObjectHistoryView):
    pass


class DocumentImportView(LoginRequiredMixin, View):
    """导入本地政策文件: the file is checked here, parsed and written by a background job."""

    template_name = "policies/import.html"

    def denied(self, request: HttpRequest) -> HttpResponse | None:
        if is_city_admin(request.user):
            return None
        return forbidden(request, f"无权导入政策文件：{ADMIN_ONLY}", back_url=reverse("policies:list"), back_label="政策库")

    def get(self, request: HttpRequest) -> HttpResponse:
        if (denied := self.denied(request)) is not None:
            return denied
        return render(request, self.template_name, {"form": DocumentImportForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        if (denied := self.denied(request)) is not None:
            return denied
        form = DocumentImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = form.cleaned_data
        upload = data["file"]
        token, _ = stash_upload(upload, UPLOAD_KIND)
        job = launch("policies.import", owner=request.user, title=f"导入政策文件：{data['title']}"[:200],
                     token=token, filename=upload.name, meta=form.meta(), replace=bool(data.get("replace")))
        return launched(request, job)
