from rest_framework.routers import DefaultRouter

from .views import PlanViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("plans", PlanViewSet, basename="plan")

urlpatterns = router.urls
