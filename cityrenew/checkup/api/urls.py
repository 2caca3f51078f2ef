from rest_framework.routers import DefaultRouter

from .views import (
    AssessmentUnitViewSet,
    CheckupRunViewSet,
    DepartmentTaskViewSet,
    EvaluationViewSet,
    FieldProblemViewSet,
    IndicatorSetViewSet,
    IndicatorValueViewSet,
    IndicatorViewSet,
)

router = DefaultRouter()
router.include_root_view = False
router.register("checkup/sets", IndicatorSetViewSet, basename="checkup-set")
router.register("checkup/indicators", IndicatorViewSet, basename="checkup-indicator")
router.register("checkup/units", AssessmentUnitViewSet, basename="checkup-unit")
router.register("checkup/runs", CheckupRunViewSet, basename="checkup-run")
router.register("checkup/tasks", DepartmentTaskViewSet, basename="checkup-task")
router.register("checkup/values", IndicatorValueViewSet, basename="checkup-value")
router.register("checkup/evaluations", EvaluationViewSet, basename="checkup-evaluation")
router.register("checkup/problems", FieldProblemViewSet, basename="checkup-problem")
urlpatterns = router.urls
