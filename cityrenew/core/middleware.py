"""Request middleware: attribute every change made during a request to its user."""

from __future__ import annotations

from typing import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

from . import audit
from .choices import AuditSource


class AuditActorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        source = AuditSource.API if request.path.startswith("/api/") else AuditSource.WEB
        with audit.request_context(request, source):
            return self.get_response(request)


class ChineseFirstLocaleMiddleware:
    """Chinese (zh-hans) for everyone unless the user chose another language in the language menu.

    Django's LocaleMiddleware would follow the browser's Accept-Language header, so a clerk with an
    English-language browser would get English pages; here only the explicit choice (the language
    cookie set by ``/i18n/setlang/``) changes the language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        response.headers.setdefault("Vary", "Cookie")
        return response
