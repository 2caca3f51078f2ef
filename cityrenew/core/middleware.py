"""Request middleware: attribute every change made during a request to its user."""

from __future__ import annotations

from typing import Callable

from django.http import HttpRequest, HttpResponse

from . import audit
from .choices import AuditSource


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = AuditSource.API if request.path.startswith("/api/") else AuditSource.WEB
        with audit.request_context(request, source):
            return self.get_response(request)
