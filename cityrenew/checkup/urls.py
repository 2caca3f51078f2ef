"""Pages of the city check-up (城市体检): dashboard, indicator sets, runs, tasks, problems, lists, report."""

from django.urls import path

from .views import dashboard, lists, problems, runs, sets, tasks, units

app_name = "checkup"

urlpatterns = [
    path("", dashboard.DashboardView.as_view(), name="dashboard"),
    # indicator sets (指标体系)
    path("sets/", sets.SetListView.as_view(), name="set_list"),
    path("sets/diff/", sets.SetDiffView.as_view(), name="set_diff"),
    path("sets/<int:pk>/", sets.SetDetailView.as_view(), name="set_detail"),
    path("sets/<int:pk>/copy/", sets.SetCopyView.as_view(), name="set_copy"),
    path("indicators/<int:pk>/retire/", sets.IndicatorRetireView.as_view(), name="indicator_retire"),
    # runs (城市体检)
    path("runs/", runs.RunListView.as_view(), name="run_list"),
    path("runs/new/", runs.RunCreateView.as_view(), name="run_create"),
    path("runs/<int:pk>/", runs.RunDetailView.as_view(), name="run_detail"),
    path("runs/<int:pk>/evaluate/", runs.RunEvaluateView.as_view(), name="run_evaluate"),
    path("runs/<int:pk>/evaluation/", lists.EvaluationView.as_view(), name="evaluation"),
    path("runs/<int:pk>/map.geojson", dashboard.MapGeoJSONView.as_view(), name="map_geojson"),
    path("runs/<int:pk>/report.docx", dashboard.ReportView.as_view(), name="report"),
    path("runs/<int:pk>/problems/", problems.ProblemListView.as_view(), name="problem_list"),
    path("runs/<int:pk>/problems/new/", problems.ProblemCreateView.as_view(), name="problem_create"),
    path("runs/<int:pk>/problems/action/", problems.ProblemActionView.as_view(), name="problem_action"),
    path("runs/<int:pk>/issues/", lists.IssueListView.as_view(), name="issue_list"),
    path("runs/<int:pk>/issues.xlsx", lists.IssueListExportView.as_view(), name="issue_list_export"),
    path("runs/<int:pk>/remediation/", lists.RemediationListView.as_view(), name="remediation_list"),
    path("runs/<int:pk>/engine/", units.RunEngineView.as_view(), name="run_engine"),
    path("runs/<int:pk>/remediation.xlsx", lists.RemediationListExportView.as_view(), name="remediation_list_export"),
    # department tasks (部门填报任务)
    path("tasks/<int:pk>/", tasks.TaskDetailView.as_view(), name="task_detail"),
    path("tasks/<int:pk>/template.xlsx", tasks.TaskTemplateView.as_view(), name="task_template"),
    path("tasks/<int:pk>/upload/", tasks.TaskUploadView.as_view(), name="task_upload"),
    path("tasks/<int:pk>/values/", tasks.TaskValuesView.as_view(), name="task_values"),
    path("tasks/<int:pk>/evidence/", tasks.TaskEvidenceView.as_view(), name="task_evidence"),
    path("tasks/<int:pk>/submit/", tasks.TaskSubmitView.as_view(), name="task_submit"),
    path("tasks/<int:pk>/deadline/", tasks.TaskDeadlineView.as_view(), name="task_deadline"),
    path("tasks/<int:pk>/return/", tasks.TaskReturnView.as_view(), name="task_return"),
    path("tasks/<int:pk>/accept/", tasks.TaskAcceptView.as_view(), name="task_accept"),
    # assessment units (体检单元)
    path("units/", units.UnitListView.as_view(), name="unit_list"),
    path("units/import/", units.UnitImportView.as_view(), name="unit_import"),
    path("units/template.xlsx", units.UnitTemplateView.as_view(), name="unit_template"),
    path("units/<int:pk>/", units.UnitDetailView.as_view(), name="unit_detail"),
    # field problems (现场问题)
    path("problems/<int:pk>/", problems.ProblemDetailView.as_view(), name="problem_detail"),
]
