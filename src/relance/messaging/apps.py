from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "relance.messaging"
    label = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        from relance.messaging import webhooks

        webhooks.connect()
