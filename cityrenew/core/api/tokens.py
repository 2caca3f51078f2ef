"""API token endpoints: ``POST /api/token/`` (obtain, throttled like the login page), ``POST /api/logout/``."""

from __future__ import annotations

from django.contrib.auth import logout
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from cityrenew.core.auth import issue_token, lockout_message, revoke_tokens, token_expires_at


class TokenObtainView(APIView):
    """POST user name and password, get the API token and when it expires (throttled like the login page)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = AuthTokenSerializer

    @extend_schema(
        request=AuthTokenSerializer,
        responses=inline_serializer("TokenIssued", {"token": serializers.CharField(), "expires": serializers.DateTimeField()}),
        summary="获取 API 令牌",
    )
    def post(self, request):
        # axes flags the Django request it is given; pass that one, not DRF's wrapper.
        serializer = AuthTokenSerializer(data=request.data, context={"request": request._request})
        valid = serializer.is_valid()
        if getattr(request._request, "axes_locked_out", False):
            return Response({"detail": lockout_message()}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        if not valid:
            return Response({"detail": _("用户名或密码不正确。")}, status=status.HTTP_400_BAD_REQUEST)
        token = issue_token(serializer.validated_data["user"])
        return Response({"token": token.key, "expires": timezone.localtime(token_expires_at(token))})


class LogoutApiView(APIView):
    """POST: the caller's token is revoked (and the session, if any, ends)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={200: inline_serializer("LoggedOut", {"detail": serializers.CharField()})},
                   summary="退出登录并作废令牌")
    def post(self, request):
        user = request.user
        logout(request._request)  # ends the session, if any, and fires user_logged_out
        revoke_tokens(user)
        return Response({"detail": _("已退出登录，API 令牌已作废。")})
