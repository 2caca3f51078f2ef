from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import BatchViewSet, FundingViewSet, ProjectChangeViewSet, ProjectViewSet, SummaryView

router = DefaultRouter()
router.include_root_view = False
router.register("projects", ProjectViewSet, basename="project")
router.register("batches", BatchViewSet, basename="batch")
router.register("batch-changes", ProjectChangeViewSet, basename="batch-change")
router.register("fundings", FundingViewSet, basename="funding")

urlpatterns = [path("projects-summary/", SummaryView.as_view(), name="projects-summary"), *router.urls]
