from django.apps import AppConfig


class BallotsConfig(AppConfig):
    name = "cityrenew.ballots"
    label = "ballots"
    verbose_name = "业主表决"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices",)

    def ready(self) -> None:
        from cityrenew.plans.choices import PlanState
        from cityrenew.plans.workflow import register_guard

        from . import inbox  # noqa: F401  (registers the 我的待办 provider)
        from .services import consent_guard

        register_guard(PlanState.CONSENTED, consent_guard)
