from rest_framework.routers import DefaultRouter

from .views import VoteViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("votes", VoteViewSet, basename="vote")

urlpatterns = router.urls
