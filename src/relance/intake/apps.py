from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "relance.intake"
    label = "intake"
    verbose_name = "Intake: CVs and public forms"

    def ready(self) -> None:
        # A person's CVs and pending sign-ups are part of their data: exported with it,
        # removed by erasure and anonymisation (people/rights.py asks through its registry).
        from relance.intake import personal

        personal.register()
