from django.apps import AppConfig


class LedgersConfig(AppConfig):
    name = "cityrenew.ledgers"
    label = "ledgers"
    verbose_name = "台账"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices",)

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (job kinds register themselves)
