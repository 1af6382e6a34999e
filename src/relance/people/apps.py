from django.apps import AppConfig
from django.db.models.signals import post_save


class PeopleConfig(AppConfig):
    name = "relance.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from relance.people.models import Candidate
        from relance.people.rights import refuse_erased

        post_save.connect(refuse_erased, sender=Candidate, dispatch_uid="refuse_erased")
