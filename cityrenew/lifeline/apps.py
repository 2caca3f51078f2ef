from django.apps import AppConfig


class LifelineConfig(AppConfig):
    name = "cityrenew.lifeline"
    label = "lifeline"
    verbose_name = "城市生命线"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("rules", "policy")

    def ready(self) -> None:
        from . import broker

        broker.connect_signals()  # device, key and datastream changes rewrite the MQTT broker's logins and rights
