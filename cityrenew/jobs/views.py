"""Pages of the background jobs (后台任务): my jobs, a job with its progress (HTMX polling), the result.

A user sees the jobs they submitted; 市级管理员 and superusers see all. The result file is sent as a
download (Content-Disposition: attachment) to those who may see the job, never by its server path.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views import View
from django.views.generic import TemplateView

from cityrenew.core.permissions import is_city_admin

from .choices import JobStatus
from .models import Job

PAGE_SIZE = 50


def sees_all(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or is_city_admin(user)


def visible_jobs(user: Any) -> QuerySet[Job]:
    qs = Job.objects.select_related("owner")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    return qs if sees_all(user) else qs.filter(owner=user)


def job_for(user: Any, pk: int) -> Job:
    """The job if ``user`` may see it; 404 otherwise (its existence is not revealed)."""
    return get_object_or_404(visible_jobs(user), pk=pk)


def launched(request: HttpRequest, job: Job) -> HttpResponse:
    """After a view put work in the queue: a message with the job's link, and the job page."""
    messages.info(request, format_html('已提交后台任务 <a href="{}">#{} {}</a>，完成后可在任务页查看结果。',
                                       job.get_absolute_url(), job.pk, job.title))
    return redirect(job.get_absolute_url())


def confirm_launch(request: HttpRequest, *, title: str, text: str, back_url: str) -> HttpResponse:
    """A page asking to run a large piece of work in the background (the form posts to the same URL)."""
    return render(request, "jobs/launch.html", {"title": title, "text": text, "back_url": back_url,
                                                "action": request.get_full_path()})


class JobListView(LoginRequiredMixin, TemplateView):
    template_name = "jobs/job_list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        qs = visible_jobs(self.request.user)
        status = self.request.GET.get("status", "")
        if status in JobStatus.values:
            qs = qs.filter(status=status)
        page = Paginator(qs, PAGE_SIZE).get_page(self.request.GET.get("page"))
        ctx.update(page=page, status=status, statuses=JobStatus.choices, sees_all=sees_all(self.request.user),
                   query=f"status={status}" if status else "")
        return ctx


class JobDetailView(LoginRequiredMixin, View):
    """The job page; with ``HX-Request`` only its status block (polled every second while it runs)."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = job_for(request.user, pk)
        ctx = {"job": job, "is_owner": job.owner_id == request.user.pk, "has_file": job.result_path is not None}
        if request.headers.get("HX-Request"):
            return render(request, "jobs/_job_status.html", ctx)
        return render(request, "jobs/job_detail.html", ctx)


class JobDownloadView(LoginRequiredMixin, View):
    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        job = job_for(request.user, pk)
        path = job.result_path if job.status == JobStatus.SUCCEEDED else None
        if path is None:
            raise Http404("该任务没有可下载的结果")
        resp = FileResponse(open(path, "rb"), as_attachment=True, filename=job.result_name or path.name)
        resp["X-Content-Type-Options"] = "nosniff"
        return resp


class JobCancelView(LoginRequiredMixin, View):
    """The owner (or a city admin) cancels a job: a queued job at once, a running one at its next
    progress report (its transaction is rolled back)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        job = job_for(request.user, pk)
        if job.finished:
            messages.error(request, "任务已结束，无法取消")
        else:
            Job.objects.filter(pk=job.pk).update(cancel_requested=True)
            Job.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
                status=JobStatus.CANCELLED, finished_at=timezone.now(),
                error="任务已按提交人的要求取消，数据库未做任何修改。")
            messages.info(request, "已请求取消任务")
        return redirect(reverse("jobs:detail", args=[job.pk]))
