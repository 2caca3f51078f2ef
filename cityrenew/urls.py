"""URL configuration: pages per app, the REST API under /api/, its OpenAPI schema and docs."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cityrenew.core.views import HomeView, media

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("", include("cityrenew.core.urls")),
    path("projects/", include("cityrenew.projects.urls")),
    path("checkup/", include("cityrenew.checkup.urls")),
    path("ledgers/tasks/", include("cityrenew.ledgertasks.urls")),
    path("ledgers/", include("cityrenew.ledgers.urls")),
    path("funding/central/", include("cityrenew.centralfund.urls")),
    path("jobs/", include("cityrenew.jobs.urls")),
    path("funding/performance/", include("cityrenew.performance.urls")),
    path("map/", include("cityrenew.map.urls")),
    path("policies/", include("cityrenew.policies.urls")),
    path("lifeline/", include("cityrenew.lifeline.urls")),
    path("reports/", include("cityrenew.reports.urls")),
    path("plans/votes/", include("cityrenew.ballots.urls")),
    path("public/vote/", include("cityrenew.ballots.public_urls")),
    path("plans/notices/", include("cityrenew.notices.urls")),
    path("public/", include("cityrenew.notices.public_urls")),
    path("funding/", include("cityrenew.funding.urls")),
    path("plans/review/", include("cityrenew.review.urls")),  # before plans/: its <code>/ would catch review/
    # apps nesting under plans/ (review, notices, votes) go above this line: <code>/ would match them
    path("plans/", include("cityrenew.plans.urls")),
    path("public/plans/", include("cityrenew.plans.public_urls")),
    path("api/", include("cityrenew.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its initialiser as a script file (no inline script: works under a strict CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    re_path(r"^media/(?P<path>.+)$", media, name="media"),
]
