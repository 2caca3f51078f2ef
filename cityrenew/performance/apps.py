from django.apps import AppConfig


class PerformanceConfig(AppConfig):
    name = "cityrenew.performance"
    label = "performance"
    verbose_name = "绩效"
    default_auto_field = "django.db.models.BigAutoField"

    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices",)

    def ready(self) -> None:
        from cityrenew.core.uploads import register_attachments
        from cityrenew.funding.hooks import register_release_check

        from . import inbox  # noqa: F401  (registers the 我的待办 provider)
        from .release import central_subsidy_check
        from .scope import can_read_file

        register_release_check(central_subsidy_check)
        from django.apps import apps

        if apps.is_installed("cityrenew.centralfund"):  # filing the sealed targets (W1) needs the tables here
            from cityrenew.centralfund.workflow import register_guard

            from .release import targets_filed_guard

            register_guard("targets_filed", targets_filed_guard)
        register_attachments("performance/", can_read_file)
