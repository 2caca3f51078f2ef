"""Authentication hardening: expiring and revocable API tokens, login lockout (django-axes), passwords.

Every request goes through the real middleware, django-axes' database handler and DRF; time is moved
by rewriting the stored timestamps (token ``created``, axes ``attempt_time``), never by patching code.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "Renew-2026-correct-horse"


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("clerk", password=PASSWORD, first_name="王", last_name="科员")


def obtain(client: APIClient, password: str = PASSWORD, username: str = "clerk"):
    return client.post("/api/token/", {"username": username, "password": password}, format="json")


def api_with(key: str) -> APIClient:
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return c


# --- tokens ---------------------------------------------------------------------------------------


def test_token_endpoint_issues_a_token_with_its_expiry(user):
    resp = obtain(APIClient())
    assert resp.status_code == 200, resp.content
    token = Token.objects.get(user=user)
    assert resp.json()["token"] == token.key
    expires = datetime.fromisoformat(resp.json()["expires"])
    assert expires == token.created + settings.API_TOKEN_TTL
    assert expires.utcoffset() == timedelta(hours=8)  # Beijing time
    assert api_with(token.key).get("/api/regions/").status_code == 200
    # asking again while it is valid gives the same token (scripts sharing a user keep working)
    assert obtain(APIClient()).json()["token"] == token.key


def test_wrong_password_gets_no_token(user):
    resp = obtain(APIClient(), password="wrong")
    assert resp.status_code == 400
    assert "用户名或密码不正确" in resp.json()["detail"]
    assert not Token.objects.filter(user=user).exists()


def test_token_valid_until_ttl_then_refused_in_chinese(user):
    key = obtain(APIClient()).json()["token"]
    ttl = settings.API_TOKEN_TTL
    assert ttl == timedelta(hours=8)
    Token.objects.filter(key=key).update(created=timezone.now() - ttl + timedelta(minutes=1))
    assert api_with(key).get("/api/regions/").status_code == 200  # one minute left
    Token.objects.filter(key=key).update(created=timezone.now() - ttl - timedelta(seconds=1))
    resp = api_with(key).get("/api/regions/")
    assert resp.status_code == 401
    assert "令牌已过期" in resp.json()["detail"]
    assert not Token.objects.filter(key=key).exists()
    fresh = obtain(APIClient()).json()["token"]
    assert fresh != key
    assert api_with(fresh).get("/api/regions/").status_code == 200


def test_expired_token_is_replaced_when_obtained_again(user):
    key = obtain(APIClient()).json()["token"]
    Token.objects.filter(key=key).update(created=timezone.now() - settings.API_TOKEN_TTL)
    new = obtain(APIClient()).json()["token"]
    assert new != key and Token.objects.filter(user=user).count() == 1


def test_api_logout_revokes_the_token(user):
    key = obtain(APIClient()).json()["token"]
    c = api_with(key)
    resp = c.post("/api/logout/")
    assert resp.status_code == 200 and "令牌已作废" in resp.json()["detail"]
    assert c.get("/api/regions/").status_code == 401
    assert not Token.objects.filter(user=user).exists()


def test_page_logout_revokes_the_token(user):
    key = obtain(APIClient()).json()["token"]
    browser = Client()
    assert browser.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302
    assert api_with(key).get("/api/regions/").status_code == 200
    assert browser.post("/logout/").status_code == 302
    assert api_with(key).get("/api/regions/").status_code == 401


def test_password_change_page_revokes_token_and_keeps_the_session(user):
    key = obtain(APIClient()).json()["token"]
    browser = Client()
    browser.post("/login/", {"username": "clerk", "password": PASSWORD})
    resp = browser.post("/me/password/", {"old_password": PASSWORD, "new_password1": "Qing-Long-2026-river", "new_password2": "Qing-Long-2026-river"})
    assert resp.status_code == 302 and resp["Location"] == "/me/"
    assert api_with(key).get("/api/regions/").status_code == 401
    assert browser.get("/me/").status_code == 200  # this session stays signed in
    user.refresh_from_db()
    assert user.check_password("Qing-Long-2026-river")


def test_password_set_elsewhere_revokes_token_but_other_saves_do_not(user):
    key = obtain(APIClient()).json()["token"]
    user.first_name = "李"
    user.save()
    assert api_with(key).get("/api/regions/").status_code == 200
    user.set_password("Another-Long-Pass-77")
    user.save()
    assert api_with(key).get("/api/regions/").status_code == 401


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("Ab1-xyz", "密码太短"),  # MinimumLengthValidator: 7 < 8
        ("clerk123!", "太相似"),  # UserAttributeSimilarityValidator: the user name
        ("password123", "太常见"),  # CommonPasswordValidator
        ("8302917465", "只包含数字"),  # NumericPasswordValidator
    ],
)
def test_password_change_applies_all_four_validators_in_chinese(user, new, message):
    browser = Client()
    browser.post("/login/", {"username": "clerk", "password": PASSWORD})
    resp = browser.post("/me/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert resp.status_code == 200
    assert message in resp.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_of_exactly_eight_characters_is_accepted(user):
    browser = Client()
    browser.post("/login/", {"username": "clerk", "password": PASSWORD})
    resp = browser.post("/me/password/", {"old_password": PASSWORD, "new_password1": "Hx7-pq2z", "new_password2": "Hx7-pq2z"})
    assert resp.status_code == 302


# --- lockout ----------------------------------------------------------------------------------------


def fail_page_logins(client: Client, n: int) -> None:
    for _ in range(n):
        resp = client.post("/login/", {"username": "clerk", "password": "not-the-password"})
        assert resp.status_code in (200, 429)


def test_login_page_nth_failure_still_allows_the_right_password(user):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 10
    c = Client()
    fail_page_logins(c, limit - 1)
    resp = c.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert resp.status_code == 302  # signed in; the count starts again
    assert not AccessAttempt.objects.filter(username="clerk").exists()


def test_login_page_locks_out_after_the_limit_even_with_the_right_password(user):
    c = Client()
    fail_page_logins(c, settings.AXES_FAILURE_LIMIT)
    resp = c.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert resp.status_code == 429
    body = resp.content.decode()
    assert "已被暂时锁定" in body and "15 分钟" in body
    assert "_auth_user_id" not in c.session


def test_forty_first_wrong_password_in_a_row_is_refused(user):
    c = Client()
    fail_page_logins(c, 40)
    assert c.post("/login/", {"username": "clerk", "password": "not-the-password"}).status_code == 429
    assert c.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 429


def test_lockout_ends_after_the_cool_off(user):
    c = Client()
    fail_page_logins(c, settings.AXES_FAILURE_LIMIT)
    cool_off = settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off + timedelta(minutes=1))
    assert c.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(seconds=1))
    assert c.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302


def test_token_endpoint_is_throttled_on_both_sides_of_the_limit(user):
    limit = settings.AXES_FAILURE_LIMIT
    c = APIClient()
    for _ in range(limit - 1):
        assert obtain(c, password="wrong").status_code == 400
    assert obtain(c).status_code == 200  # the limit-th attempt, with the right password, passes
    for _ in range(limit):
        obtain(c, password="wrong")
    resp = obtain(c)
    assert resp.status_code == 429
    assert "已被暂时锁定" in resp.json()["detail"]


def test_lockout_is_per_user_name(user, django_user_model):
    django_user_model.objects.create_user("other", password=PASSWORD)
    c = Client()
    fail_page_logins(c, settings.AXES_FAILURE_LIMIT)
    assert c.post("/login/", {"username": "other", "password": PASSWORD}).status_code == 302


def test_limit_and_cool_off_are_settings(user, settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)
    c = Client()
    fail_page_logins(c, 2)
    assert c.post("/login/", {"username": "clerk", "password": PASSWORD}).status_code == 302
    c = Client()
    fail_page_logins(c, 3)
    resp = c.post("/login/", {"username": "clerk", "password": PASSWORD})
    assert resp.status_code == 429 and "30 分钟" in resp.content.decode()
