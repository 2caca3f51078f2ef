"""The REST API: one router, each app registers its viewsets in ``<app>/api/urls.py``."""

from django.urls import include, path, re_path
from cityrenew.core.api.tokens import LogoutApiView, TokenObtainView
from cityrenew.lifeline.sta.views import SensorThingsView

urlpatterns = [
    path("token/", TokenObtainView.as_view(), name="api-token"),
    path("logout/", LogoutApiView.as_view(), name="api-logout"),
    path("", include("cityrenew.core.api.urls")),
    path("", include("cityrenew.projects.api.urls")),
    path("", include("cityrenew.checkup.api.urls")),
    path("", include("cityrenew.ledgers.api.urls")),
    path("", include("cityrenew.jobs.api.urls")),
    path("", include("cityrenew.centralfund.api.urls")),
    path("", include("cityrenew.map.api")),
    path("", include("cityrenew.policies.api.urls")),
    path("", include("cityrenew.policies.api.search")),
    path("", include("cityrenew.performance.api.urls")),
    path("", include("cityrenew.reports.api.urls")),
    path("", include("cityrenew.ballots.api.urls")),
    path("", include("cityrenew.notices.api.urls")),
    path("", include("cityrenew.funding.api.urls")),
    path("", include("cityrenew.plans.api.urls")),
    path("", include("cityrenew.review.api.urls")),
    path("", include("cityrenew.lifeline.api.urls")),
    # OGC SensorThings API v1.1 (lifeline monitoring): resource paths such as Things(1)/Datastreams
    re_path(r"^sta/v1\.1/(?P<path>.*)$", SensorThingsView.as_view(), name="sta"),
]
