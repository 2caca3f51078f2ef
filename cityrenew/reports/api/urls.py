from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import ProgressReportViewSet, StatisticsView

router = DefaultRouter()
router.include_root_view = False
router.register("reports", ProgressReportViewSet, basename="progress-report")

urlpatterns = [path("reports-statistics/", StatisticsView.as_view(), name="reports-statistics"), *router.urls]
