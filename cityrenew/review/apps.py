from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "cityrenew.review"
    label = "review"
    verbose_name = "联合审查"
    default_auto_field = "django.db.models.BigAutoField"
    # modules that define rules citing policy documents (cite(..., rule=...)), listed on /policies/
    policy_modules = ("matrix", "services")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from cityrenew.core.uploads import register_attachments
        from cityrenew.plans.choices import PlanState
        from cityrenew.plans.models import PlanTransition
        from cityrenew.plans.workflow import register_guard

        from . import (
            inbox,  # noqa: F401  (registers the 我的待办 provider)
            services,
        )

        post_save.connect(services.on_plan_transition, sender=PlanTransition, dispatch_uid="review.on_plan_transition")
        register_guard(PlanState.APPROVED, services.approval_guard)
        register_attachments("review/", services.can_read_file)
