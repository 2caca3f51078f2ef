from django.apps import AppConfig


class CheckupConfig(AppConfig):
    name = "cityrenew.checkup"
    label = "checkup"
    verbose_name = "城市体检"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices", "catalogue", "report", "services.exports", "services.problems")
