from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "cityrenew.consent"
    label = "consent"
    verbose_name = "业主表决"
    default_auto_field = "django.db.models.BigAutoField"
    policy_modules = ("tally",)  # cite(): 民法典第二百七十八条, 建筑物区分所有权解释第八条、第九条
