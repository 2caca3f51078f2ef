from django.apps import AppConfig


class CheckupConfig(AppConfig):
    name = "cityrenew.checkup"
    label = "checkup"
    verbose_name = "城市体检"

    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices", "catalogue", "report", "services.exports", "services.problems")

    def ready(self) -> None:
        from . import inbox  # noqa: F401  (registers the 我的待办 provider)
