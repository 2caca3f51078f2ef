"""/ledgers/tasks/: rule settings, and per ledger kind the task list (GET; POST = evaluate), verdict export, rows → project."""

from django.urls import path

from . import views

app_name = "ledgertasks"

urlpatterns = [
    path("settings/", views.RuleSettingsView.as_view(), name="settings"),
    path("<str:kind>/", views.TaskListView.as_view(), name="tasks"),
    path("<str:kind>/verdicts.xlsx", views.VerdictExportView.as_view(), name="verdicts_xlsx"),
    path("<str:kind>/project/", views.RowsToProjectView.as_view(), name="to_project"),
]
