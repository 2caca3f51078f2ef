"""The REST API: one router, each app registers its viewsets in ``<app>/api/urls.py``."""

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token

urlpatterns = [
    path("token/", obtain_auth_token, name="api-token"),
    path("", include("cityrenew.core.api.urls")),
    path("", include("cityrenew.projects.api.urls")),
    path("", include("cityrenew.checkup.api.urls")),
    path("", include("cityrenew.jobs.api.urls")),
]
