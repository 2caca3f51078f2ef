from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "cityrenew.funding"
    label = "funding"
    verbose_name = "资金"
    default_auto_field = "django.db.models.BigAutoField"
