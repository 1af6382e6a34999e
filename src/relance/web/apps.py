from django.apps import AppConfig
from django.conf import settings


class WebConfig(AppConfig):
    name = "relance.web"
    label = "web"

    def ready(self) -> None:
        from relance import clock
        from relance.web import deploy  # noqa: F401  (registers the deployment checks)

        if settings.RELANCE_CLOCK_START:
            clock.start_at(clock.parse_instant(settings.RELANCE_CLOCK_START, "RELANCE_CLOCK_START"))
