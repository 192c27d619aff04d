"""Reads about projects: owners over time, what a user may see and edit, the catalogue."""

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from people.models import Membership, Person, Team
from people.roles import PERM_ADMIN, PERM_REGISTER
from projects.models import Ownership, Project

# The sort keys double as their English labels (the catalogue translates them).
SORT_LABELS = (
    gettext_noop("activity"),
    gettext_noop("name"),
    gettext_noop("recent"),
    gettext_noop("registered"),
)
SORTS = {
    "activity": ["-activity_score", "path"],
    "name": ["name", "path"],
    "recent": ["-last_commit_at", "path"],
    "registered": ["-registered_at"],
}


def owner_on(project: Project, day: dt.date) -> Team | None:
    own = Ownership.objects.active_on(day).filter(project=project).select_related("team").first()
    return own.team if own else None


def subtree(team: Team) -> Q:
    return Q(pk=team.pk) | Q(path__startswith=f"{team.path}/")


def owner_teams_on(
    project: Project, day: dt.date, *, include_subteams: bool = True
) -> QuerySet[Team]:
    """The owning team on `day`, and (by default) its sub-teams."""
    team = owner_on(project, day)
    if team is None:
        return Team.objects.none()
    return Team.objects.filter(subtree(team) if include_subteams else Q(pk=team.pk))


def current_owner(project: Project) -> Team | None:
    """The owning team today. A list that prefetched `ownerships__team` (the API) asks nothing
    more of the database per project."""
    today = timezone.localdate()
    if "ownerships" in getattr(project, "_prefetched_objects_cache", {}):
        return next(
            (
                own.team
                for own in project.ownerships.all()
                if own.start <= today and (own.end is None or own.end >= today)
            ),
            None,
        )
    return owner_on(project, today)


def user_team_ids(user) -> set[int]:
    """The user's current teams and every team below them."""
    person = Person.objects.filter(user=user).first() if user.is_authenticated else None
    if person is None:
        return set()
    today = timezone.localdate()
    teams = Team.objects.filter(
        memberships__in=Membership.objects.active_on(today).filter(person=person)
    )
    q = Q(pk__in=[])
    for team in teams:
        q |= subtree(team)
    return set(Team.objects.filter(q).values_list("pk", flat=True))


def visible_projects(user) -> QuerySet[Project]:
    """Internal projects for anyone signed in; private ones for the owner team and admins."""
    if not user.is_authenticated:
        return Project.objects.none()
    if user.has_perm(PERM_ADMIN):
        return Project.objects.all()
    today = timezone.localdate()
    owned = Ownership.objects.active_on(today).filter(team_id__in=user_team_ids(user))
    return Project.objects.filter(
        Q(sharing=Project.Sharing.INTERNAL) | Q(pk__in=owned.values("project_id"))
    )


def can_edit(user, project: Project) -> bool:
    """OSPO admins, and researchers in the current owner team (or a team below it)."""
    if not user.is_authenticated:
        return False
    if user.has_perm(PERM_ADMIN):
        return True
    owner = current_owner(project)
    return bool(owner and user.has_perm(PERM_REGISTER) and owner.pk in user_team_ids(user))


def catalogue(
    user,
    *,
    q: str = "",
    team: Team | None = None,
    topic: str = "",
    language: str = "",
    license: str = "",
    sharing: str = "",
    sort: str = "activity",
) -> QuerySet[Project]:
    """Search and filter the projects `user` may see. Every word of `q` must match the name,
    path, summary, description or a topic."""
    qs = visible_projects(user)
    for word in q.split()[:10]:
        qs = qs.filter(
            Q(name__icontains=word)
            | Q(path__icontains=word)
            | Q(summary__icontains=word)
            | Q(description__icontains=word)
            | Q(topics__icontains=word)
        )
    if team is not None:
        today = timezone.localdate()
        owned = Ownership.objects.active_on(today).filter(
            team__in=Team.objects.filter(subtree(team))
        )
        qs = qs.filter(pk__in=owned.values("project_id"))
    if topic:
        qs = qs.filter(topics__icontains=f'"{topic.lower()}"')
    if language:
        qs = qs.filter(language__iexact=language)
    if license:
        qs = qs.filter(license__iexact=license)
    if sharing:
        qs = qs.filter(sharing=sharing)
    return qs.order_by(*SORTS.get(sort, SORTS["activity"]))


def facets(qs: QuerySet[Project]) -> dict[str, list[str]]:
    """Values to offer in the catalogue's filters."""
    topics = sorted({t for ts in qs.values_list("topics", flat=True) for t in ts})
    languages = sorted(set(qs.exclude(language="").values_list("language", flat=True)))
    licenses = sorted(set(qs.exclude(license="").values_list("license", flat=True)))
    return {"topics": topics, "languages": languages, "licenses": licenses}
