from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "cityrenew.projects"
    label = "projects"
    verbose_name = "城市更新项目库"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("choices", "summary", "demo", "fieldrules")
