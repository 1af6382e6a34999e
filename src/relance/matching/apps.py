from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "relance.matching"
    label = "matching"
    verbose_name = "Matching: candidates for a job, skills and titles"

    def ready(self) -> None:
        # CVs stored and candidates erased keep the index and the profiles up to date,
        # without intake or people knowing matching exists.
        from relance.matching import signals

        signals.connect()
