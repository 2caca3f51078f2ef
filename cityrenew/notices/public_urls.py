"""The public site's notice pages, under /public/ (no login)."""

from django.urls import path

from . import public_views as views

app_name = "public"

urlpatterns = [
    path("", views.notice_list, name="index"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/comments/", views.comment_create, name="comment_create"),
    path("notices/<int:pk>/comments/<int:comment_pk>/report/", views.comment_report, name="comment_report"),
    path("notices/<int:pk>/document/", views.notice_document, name="notice_document"),
    path("notices/<int:pk>/content.json", views.notice_content, name="notice_content"),
]
