from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "cityrenew.notices"
    label = "notices"
    verbose_name = "实施方案公示"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("rules",)

    def ready(self) -> None:
        from . import inbox, jobs, services, signals  # noqa: F401 - 我的待办 provider, job kind, plan guards, page versions
