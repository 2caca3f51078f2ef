from rest_framework.routers import DefaultRouter

from .views import AuditLogViewSet, OrganisationViewSet, RegionViewSet

router = DefaultRouter()
router.register("regions", RegionViewSet)
router.register("organisations", OrganisationViewSet)
router.register("audit", AuditLogViewSet)
urlpatterns = router.urls
