from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "relance.imports"
    label = "imports"
    verbose_name = "Imports"
