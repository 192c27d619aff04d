"""Reads about projects and their owners."""

import datetime as dt

from django.db.models import Q, QuerySet

from people.models import Team
from projects.models import Ownership, Project


def owner_on(project: Project, day: dt.date) -> Team | None:
    own = Ownership.objects.active_on(day).filter(project=project).select_related("team").first()
    return own.team if own else None


def owner_teams_on(
    project: Project, day: dt.date, *, include_subteams: bool = True
) -> QuerySet[Team]:
    """The owning team on `day`, and (by default) its sub-teams."""
    team = owner_on(project, day)
    if team is None:
        return Team.objects.none()
    if not include_subteams:
        return Team.objects.filter(pk=team.pk)
    return Team.objects.filter(Q(pk=team.pk) | Q(path__startswith=f"{team.path}/"))


def current_owner(project: Project) -> Team | None:
    own = project.ownerships.filter(end__isnull=True).select_related("team").first()
    return own.team if own else None
