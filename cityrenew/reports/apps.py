from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "cityrenew.reports"
    label = "reports"
    verbose_name = "报送与统计"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices", "figures")
