from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "relance.people"
    label = "people"
    verbose_name = "People"
