from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "cityrenew.projects"
    label = "projects"
    verbose_name = "城市更新项目库"
