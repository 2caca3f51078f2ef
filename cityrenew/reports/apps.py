from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "cityrenew.reports"
    label = "reports"
    verbose_name = "报送与统计"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices", "figures")

    def ready(self) -> None:
        from . import inbox  # noqa: F401  (registers the 我的待办 provider)
