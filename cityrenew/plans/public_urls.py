"""Public (no login) address of a noticed plan's text: /public/plans/<code>/document/."""

from django.urls import path

from . import views

app_name = "plans_public"

urlpatterns = [
    path("<str:code>/document/", views.PublicPlanDocumentView.as_view(), name="document"),
]
