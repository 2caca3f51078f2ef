from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import EvaluationViewSet, PeriodViewSet, ReleaseCheckView, ResidentEvaluationViewSet, TargetTableViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("performance/tables", TargetTableViewSet, basename="performance-table")
router.register("performance/periods", PeriodViewSet, basename="performance-period")
router.register("performance/evaluations", EvaluationViewSet, basename="performance-evaluation")
router.register("performance/resident-evaluations", ResidentEvaluationViewSet, basename="performance-resident")

urlpatterns = [
    path("performance/release-check/", ReleaseCheckView.as_view(), name="performance-release-check"),
    *router.urls,
]
