from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import DoubleFundingView, FundingLineViewSet, TrancheViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("funding/lines", FundingLineViewSet, basename="funding-line")
router.register("funding/tranches", TrancheViewSet, basename="funding-tranche")

urlpatterns = [path("funding/double-funding/", DoubleFundingView.as_view(), name="funding-double"), *router.urls]
