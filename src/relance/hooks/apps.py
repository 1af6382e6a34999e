from django.apps import AppConfig


class HooksConfig(AppConfig):
    name = "relance.hooks"
    label = "hooks"
    verbose_name = "Webhooks out"
    default_auto_field = "django.db.models.BigAutoField"
