from django.contrib.auth import views as auth_views
from django.urls import path

from . import auth, views

app_name = "core"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="core/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("me/password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("regions/", views.RegionListView.as_view(), name="region_list"),
    path("regions/boundaries/import/", views.BoundaryImportView.as_view(), name="boundary_import"),
    path("regions/<int:pk>/", views.RegionDetailView.as_view(), name="region_detail"),
    path("audit/", views.AuditLogListView.as_view(), name="audit_list"),
    path("audit/export.xlsx", views.AuditLogExportView.as_view(), name="audit_export"),
    path("me/", views.ProfileView.as_view(), name="profile"),
]
