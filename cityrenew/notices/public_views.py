"""The public site (公示公告, no login): the list of notices and one notice with its comments.

The notice page is the one residents open from a WeChat link, many at once: its rendered HTML is kept
per process (and language) under the notice's page version (``pagecache``: a new version on every change of the
notice or its comments, shared by all processes) and today's date (the countdown), so a change shows
at once and an unchanged page touches no database. The page holds nothing personal
(no CSRF token, no messages, no user), so every reader gets the same bytes; the comment and report
forms post to their own URLs, which answer with a page of their own (never cached).

The public forms are exempt from CSRF: they act for no account (the session's user is never read),
so a forged post could do nothing a direct post cannot; spam is held by the honeypot field and the
per-address rate limits (``CITYRENEW_NOTICE_COMMENTS_PER_HOUR``/``…_REPORTS_PER_HOUR``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from cityrenew.core.geo import to_geojson
from cityrenew.core.models import Region
from cityrenew.core.uploads import attachment_response

from . import pagecache, services
from .choices import CommentKind, NoticeStatus
from .models import Comment, Notice
from .rules import NOTICE_PERIOD


def public_links() -> dict[str, str]:
    """Links of the public site's menu; 业主表决 only where the ballots app serves it."""
    links = {"notices": "/public/"}
    try:
        resolve("/public/vote/")
        links["vote"] = "/public/vote/"
    except Resolver404:
        pass
    return links


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


# --- the list -----------------------------------------------------------------------------------


@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    today = services.today()
    qs = Notice.objects.select_related("plan__district").order_by("-start_date", "-pk")
    districts = Region.objects.filter(pk__in=Notice.objects.values("plan__district")).order_by("code")
    district = request.GET.get("district", "")
    if district.isdigit():
        qs = qs.filter(plan__district_id=int(district))
    q = request.GET.get("q", "").strip()[:50]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(plan__code__icontains=q))
    when = request.GET.get("when", "")
    if when == "current":
        qs = qs.filter(end_date__gte=today, start_date__lte=today)
    elif when == "past":
        qs = qs.filter(end_date__lt=today)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    rows = [(n, n.status_on(today), services.workdays_left(n, today)) for n in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "public/notices/list.html", {
        "rows": rows, "page": page, "districts": districts, "district": district, "q": q, "when": when,
        "query": query.urlencode(), "links": public_links(), "Status": NoticeStatus,
    })


# --- one notice ---------------------------------------------------------------------------------


def _thread(notice: Notice) -> list[tuple[Comment, list[Comment]]]:
    tops = (notice.comments.filter(parent__isnull=True)
            .prefetch_related(Prefetch("replies", queryset=Comment.objects.order_by("created_at", "id")))
            .order_by("created_at", "id"))
    return [(c, list(c.replies.all())) for c in tops]


def notice_context(notice: Notice, **extra: Any) -> dict[str, Any]:
    today = services.today()
    c = notice.content
    boundary = notice.plan.district.boundary
    district_geojson = to_geojson(boundary.simplify(0.0005, preserve_topology=True)) if boundary else None
    status = notice.status_on(today)
    thread = _thread(notice)
    return {
        "notice": notice, "c": c, "status": status, "Status": NoticeStatus, "today": today,
        "left": services.workdays_left(notice, today), "thread": thread,
        "n_comments": sum(1 for t, _ in thread if t.kind != CommentKind.REPLY),
        "map_data": {"location": c.get("location"), "district": district_geojson, "label": c.get("plan_title", "")},
        "basis": NOTICE_PERIOD, "links": public_links(), "kinds": [CommentKind.OPINION, CommentKind.OBJECTION],
        "messages": [], "form": {}, "errors": [], **extra,
    }


@require_GET
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    v = pagecache.version(pk)
    if v is None:  # first view since the shared cache was emptied: only for a notice that exists
        if not Notice.objects.filter(pk=pk).exists():
            raise Http404("没有这项公示")
        v = pagecache.ensure(pk)
    day, lang = services.today().isoformat(), translation.get_language() or "zh-hans"
    etag = f'"{v}-{day}-{lang}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified(headers={"ETag": etag})
    key = f"notices:page:{pk}:{v}:{day}:{lang}"
    html = cache.get(key)
    if html is None:
        notice = get_object_or_404(Notice.objects.select_related("plan__district"), pk=pk)
        html = render_to_string("public/notices/detail.html", notice_context(notice), request=request)
        cache.set(key, html, settings.CITYRENEW_NOTICE_PAGE_CACHE_SECONDS)
    response = HttpResponse(html)
    response["ETag"] = etag
    response["Cache-Control"] = "no-cache"  # browsers revalidate (a 304 reads one small file)
    return response


def _form_page(request: HttpRequest, notice: Notice, *, errors: list[str], form: dict[str, str], status: int) -> HttpResponse:
    ctx = notice_context(notice, errors=errors, form=form)
    return HttpResponse(render_to_string("public/notices/detail.html", ctx, request=request), status=status)


@csrf_exempt
@require_POST
def comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.select_related("plan__district"), pk=pk)
    form = {k: request.POST.get(k, "") for k in ("name", "contact", "body", "kind")}
    try:
        comment = services.add_comment(notice, name=form["name"], contact=form["contact"], body=form["body"],
                                       kind=form["kind"] or CommentKind.OPINION, ip=_client_ip(request),
                                       honeypot=request.POST.get("website", ""))
    except services.NoticeError as exc:
        return _form_page(request, notice, errors=[str(exc)], form=form, status=400)
    return render(request, "public/notices/thanks.html", {
        "notice": notice, "links": public_links(), "messages": [],
        "text": f"您的{comment.get_kind_display()}已提交并公开显示（联系方式不公开）。实施主体将在公示页面答复。",
        "anchor": f"c{comment.pk}",
    })


@csrf_exempt
@require_POST
def comment_report(request: HttpRequest, pk: int, comment_pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice.objects.select_related("plan__district"), pk=pk)
    comment = get_object_or_404(notice.comments, pk=comment_pk)
    try:
        services.report(comment, reason=request.POST.get("reason", ""), ip=_client_ip(request),
                        honeypot=request.POST.get("website", ""))
    except services.NoticeError as exc:
        return _form_page(request, notice, errors=[str(exc)], form={}, status=400)
    return render(request, "public/notices/thanks.html", {
        "notice": notice, "links": public_links(), "messages": [],
        "text": "举报已收到，主管部门将审核该意见；处理结果会在公示页面显示。", "anchor": f"c{comment.pk}",
    })


@require_GET
def notice_document(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk)
    if not notice.document:
        raise Http404("该公示没有单独的材料文件")
    doc = notice.content.get("document") or {}
    return attachment_response(notice.document.path, doc.get("name") or notice.document.name)


@require_GET
def notice_content(request: HttpRequest, pk: int) -> HttpResponse:
    """The published content exactly as hashed: its SHA-256 is the one on the page and in the record."""
    notice = get_object_or_404(Notice, pk=pk)
    response = HttpResponse(services.canonical(notice.content), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="notice-{notice.pk}-content.json"'
    return response

