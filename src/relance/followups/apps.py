from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "relance.followups"
    label = "followups"
    verbose_name = "Follow-ups"
