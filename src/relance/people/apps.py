from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate, post_save


class PeopleConfig(AppConfig):
    name = "relance.people"
    label = "people"
    verbose_name = "People"

    def ready(self) -> None:
        from relance.people.models import Candidate
        from relance.people.rights import refuse_erased

        post_save.connect(refuse_erased, sender=Candidate, dispatch_uid="refuse_erased")
        post_migrate.connect(analyse_after_migrating, sender=self, dispatch_uid="analyse")


def analyse_after_migrating(using: str = "default", plan: Any = None, **_: Any) -> None:
    """After migrations ran, by whatever door (`relance manage migrate` too), SQLite's
    planner gets statistics for what they changed: a rebuilt table or a new index starts
    without any, and a list page then reads a whole index (relance/dbstats.py). Not after
    a flush (no plan): nothing changed there."""
    if plan:
        from relance import dbstats

        dbstats.refresh_stale(connections[using])
