"""Pages of implementation plans: /plans/ (list, new, detail, edit, history) and the plan's actions."""

from django.urls import path

from cityrenew.core.generic import object_urls

from . import views

app_name = "plans"

CODE = "<str:code>"

urlpatterns = [
    *object_urls("plan", list_view=views.PlanListView, detail_view=views.PlanView, edit_view=views.PlanEditView,
                 history_view=views.PlanHistoryView, lookup=CODE),
    path(f"{CODE}/transition/", views.TransitionView.as_view(), name="plan_transition"),
    path(f"{CODE}/versions/", views.VersionUploadView.as_view(), name="plan_version_add"),
    path(f"{CODE}/materials/", views.MaterialUploadView.as_view(), name="plan_material_add"),
    path(f"{CODE}/revision/", views.RevisionRequestView.as_view(), name="plan_revision_request"),
    path(f"{CODE}/revision/items/<int:item>/", views.RespondView.as_view(), name="plan_revision_respond"),
    path(f"{CODE}/expert-reviews/", views.ExpertReviewView.as_view(), name="plan_expert_review_add"),
    path(f"{CODE}/permits/", views.PermitView.as_view(), name="plan_permit_add"),
]
