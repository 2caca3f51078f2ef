from django.urls import path

from . import urls_search, views

app_name = "policies"

# fixed paths (import/, search/ …) come before "<str:key>/", which would otherwise take them as a key
urlpatterns = [
    path("", views.PolicyDocumentListView.as_view(), name="list"),
    *urls_search.urlpatterns,  # search/
    path("import/", views.DocumentImportView.as_view(), name="import"),
    path("<str:key>/", views.DocumentView.as_view(), name="document"),
    path("<str:key>/edit/", views.DocumentEditView.as_view(), name="document_edit"),
    path("<str:key>/history/", views.DocumentHistoryView.as_view(), name="document_history"),
    path("<str:key>/<int:number>/", views.ArticleView.as_view(), name="article"),
]
