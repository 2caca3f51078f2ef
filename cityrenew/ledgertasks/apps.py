from django.apps import AppConfig


class LedgerTasksConfig(AppConfig):
    name = "cityrenew.ledgertasks"
    label = "ledgertasks"
    verbose_name = "台账判定与更新任务"
    default_auto_field = "django.db.models.BigAutoField"
    policy_modules = ("services",)  # cite(): task-list deadlines, indicator 2 computed from the equipment ledger

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the job kind)
