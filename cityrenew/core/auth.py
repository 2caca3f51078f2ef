"""Authentication: expiring API tokens, login throttling, logout and password change.

API tokens are DRF's own ``Token`` (one per user, ``Authorization: Token <key>``) with an expiry
checked here, rather than django-rest-knox: existing scripts and tests keep the header and the model
they know, revocation is one row to delete, and the expiry is a dozen lines on top of a class DRF
maintains. A token lives ``settings.API_TOKEN_TTL`` after it is issued and dies on logout (page or API)
and on any password change (page, admin, ``changepassword``), because the receivers below listen to
the model and the auth signals, not to one view. The API views (``/api/token/``, ``/api/logout/``) are
in ``core/api/tokens.py``: DRF imports this module from its settings, before its views can be imported.

Wrong passwords are counted by django-axes (see ``AXES_*`` in settings) on every path that calls
``django.contrib.auth.authenticate`` with the request: the login page, the admin and ``/api/token/``.
"""

from __future__ import annotations

import math
from typing import Any

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import password_validation, views as auth_views
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import pre_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


# --- Tokens -------------------------------------------------------------------------------------


def token_expires_at(token: Token):
    return token.created + settings.API_TOKEN_TTL


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token <key>``, refused with a Chinese 401 once the token is older than the TTL."""

    def authenticate_credentials(self, key: str):
        user, token = super().authenticate_credentials(key)
        if timezone.now() >= token_expires_at(token):
            token.delete()
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新获取（POST /api/token/）。"))
        return user, token


def issue_token(user) -> Token:
    """The user's valid token, or a fresh one when there is none or it has expired."""
    token = Token.objects.filter(user=user).first()
    if token is not None and timezone.now() >= token_expires_at(token):
        token.delete()
        token = None
    return token or Token.objects.create(user=user)


def revoke_tokens(user) -> int:
    return Token.objects.filter(user=user).delete()[0]


@receiver(user_logged_out, dispatch_uid="cityrenew-revoke-token-on-logout")
def _revoke_on_logout(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    if user is not None:
        revoke_tokens(user)


@receiver(pre_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="cityrenew-revoke-token-on-password")
def _revoke_on_password_change(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    if raw or instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values_list("password", flat=True).first()
    if old is not None and old != instance.password:
        revoke_tokens(instance)


# --- Login throttling ---------------------------------------------------------------------------


class LoginThrottleBackend(AxesStandaloneBackend):
    """django-axes' check, skipped when there is no HTTP request to throttle.

    Every network login (login page, admin, ``/api/token/``) passes its request. Calls without one are
    local: the test client's ``login()`` and management commands; axes would refuse them outright.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def lockout_message() -> str:
    minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
    return _("连续登录失败次数过多（%(limit)d 次），该账号已被暂时锁定，请 %(minutes)d 分钟后再试，或联系管理员解锁。") % {
        "limit": settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
    }


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None) -> HttpResponse:
    """What a locked-out login gets (axes' AXES_LOCKOUT_CALLABLE): 429, in Chinese."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": lockout_message()}, status=429)
    return render(request, "core/login.html", {"lockout_message": lockout_message()}, status=429)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form refused by the CSRF check (CSRF_FAILURE_VIEW): the Chinese 403 page with what to do."""
    from .views import forbidden

    return forbidden(request, _("页面已过期或来源无法确认，本次提交没有保存。"),
                     hint=_("请刷新页面后重新提交；如果一直出现，请清除浏览器 Cookie 后重新登录。"))


# --- Password change ----------------------------------------------------------------------------


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's minimum length rule with a Chinese message (Django 5.2's catalogue misses this one)."""

    def get_error_message(self) -> str:
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return _("密码至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}


class PasswordChangeView(auth_views.PasswordChangeView):
    """修改密码: Django's form with all four password validators; sessions elsewhere and API tokens end."""

    template_name = "core/password_change.html"
    success_url = reverse_lazy("core:profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, _("密码已修改；其他会话和 API 令牌已失效。"))
        return response

