from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import (
    MatrixView,
    ReviewDepartmentViewSet,
    ReviewRecordViewSet,
    ReviewRoundViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("review/records", ReviewRecordViewSet, basename="review-record")
router.register("review/rounds", ReviewRoundViewSet, basename="review-round")
router.register("review/departments", ReviewDepartmentViewSet, basename="review-department")

urlpatterns = [path("review/matrix/", MatrixView.as_view(), name="review-matrix"), *router.urls]
