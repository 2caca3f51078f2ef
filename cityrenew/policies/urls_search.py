"""The search page's route, included by ``cityrenew/policies/urls.py`` before the ``<key>/`` routes."""

from django.urls import path

from .views_search import SearchView

urlpatterns = [
    path("search/", SearchView.as_view(), name="search"),
]
