"""Public voting pages, under /public/vote/ (no login)."""

from django.urls import path

from . import public

app_name = "vote"

urlpatterns = [
    path("", public.vote_index, name="index"),
    path("<int:pk>/", public.vote_detail, name="detail"),
]
