from rest_framework.routers import DefaultRouter

from .views import ArticleViewSet, PolicyDocumentViewSet

router = DefaultRouter()
router.include_root_view = False
router.register("policies/documents", PolicyDocumentViewSet, basename="policy-document")
router.register("policies/articles", ArticleViewSet, basename="policy-article")
urlpatterns = router.urls
