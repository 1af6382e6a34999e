from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "relance.matching"
    label = "matching"
    verbose_name = "Matching: candidates for a job, skills and titles"
