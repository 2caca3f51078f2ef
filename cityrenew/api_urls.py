"""The REST API: one router, each app registers its viewsets in ``<app>/api/urls.py``."""

from django.urls import include, path
from cityrenew.core.api.tokens import LogoutApiView, TokenObtainView

urlpatterns = [
    path("token/", TokenObtainView.as_view(), name="api-token"),
    path("logout/", LogoutApiView.as_view(), name="api-logout"),
    path("", include("cityrenew.core.api.urls")),
    path("", include("cityrenew.projects.api.urls")),
    path("", include("cityrenew.checkup.api.urls")),
    path("", include("cityrenew.ledgers.api.urls")),
    path("", include("cityrenew.jobs.api.urls")),
    path("", include("cityrenew.map.api")),
    path("", include("cityrenew.policies.api.urls")),
    path("", include("cityrenew.policies.api.search")),
    path("", include("cityrenew.review.api.urls")),
]
