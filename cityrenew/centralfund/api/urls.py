from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import ApplicationViewSet, CapRegionViewSet, CapView, RoundViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("centralfund/applications", ApplicationViewSet, basename="centralfund-application")
router.register("centralfund/rounds", RoundViewSet, basename="centralfund-round")
router.register("centralfund/caps", CapRegionViewSet, basename="centralfund-caps")

urlpatterns = [path("centralfund/cap/", CapView.as_view(), name="centralfund-cap"), *router.urls]
