"""Writes to the project registry."""

import datetime as dt

from django.db import transaction

from people.models import Team
from projects.models import Ownership, Project


class RegistryError(Exception):
    """A registry change that is not allowed, with a message for people."""


@transaction.atomic
def ownership_transfer(*, project: Project, team: Team, start: dt.date, by=None, note: str = ""):
    """Move the project to `team` from `start`: the current period ends the day before.

    Refused before the project existed, on or before the start of the current period (that
    would rewrite history: correct it in the admin), and to the team that owns it already.
    """
    project = Project.objects.select_for_update().get(pk=project.pk)
    if start < project.created_on:
        raise RegistryError(f"{start} is before the project existed ({project.created_on}).")
    periods = list(project.ownerships.order_by("start"))
    if periods and any(p.end is not None and p.end >= start for p in periods):
        raise RegistryError(f"A closed ownership period already covers {start}.")
    current = next((p for p in periods if p.end is None), None)
    if current is not None:
        if current.team_id == team.pk:
            raise RegistryError(f"{team} already owns {project}.")
        if start <= current.start:
            raise RegistryError(
                f"The transfer date must be after the current period's start ({current.start})."
            )
        current.end = start - dt.timedelta(days=1)
        current.save(update_fields=["end"])
    return Ownership.objects.create(
        project=project, team=team, start=start, created_by=by, note=note
    )
