"""Who may see whose individual points.

- OSPO admins see everyone; so does everyone signed in when an admin has switched on
  `IncentiveSettings.show_individual_ranks`.
- A manager sees individual ranks for their own teams: the teams they currently belong to and
  those teams' sub-teams (awards credited to those teams).
- Team and project totals are for managers (and for everyone when the switch is on).
- Everyone can always see their own standing and points.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from incentives.models import IncentiveSettings
from people.models import Membership, Person, Team
from people.roles import PERM_ADMIN, PERM_DASHBOARD


@dataclass(frozen=True)
class Scope:
    all_people: bool
    team_ids: frozenset[int]  # people boards restricted to these credited teams
    totals: bool  # team and project boards
    person: Person | None  # the viewer's own person, if any

    @property
    def people_board(self) -> bool:
        return self.all_people or bool(self.team_ids)

    @property
    def board_team_ids(self):
        """`team_ids` for leaderboards.leaderboard(by="person"): None means everyone."""
        return None if self.all_people else self.team_ids


def person_of(user) -> Person | None:
    if not user.is_authenticated:
        return None
    return Person.objects.filter(Q(user=user) | Q(email__iexact=user.email or "-")).first()


def managed_team_ids(person: Person | None) -> frozenset[int]:
    """Teams the person belongs to today, with their sub-teams."""
    if person is None:
        return frozenset()
    today = timezone.localdate()
    paths = list(
        Membership.objects.active_on(today)
        .filter(person=person)
        .values_list("team__path", flat=True)
    )
    if not paths:
        return frozenset()
    q = Q()
    for path in paths:
        q |= Q(path=path) | (Q(path__startswith=f"{path}/") if path else Q())
    return frozenset(Team.objects.filter(q).values_list("id", flat=True))


def scope_for(user) -> Scope:
    person = person_of(user)
    if user.has_perm(PERM_ADMIN) or IncentiveSettings.load().show_individual_ranks:
        return Scope(True, frozenset(), True, person)
    if user.has_perm(PERM_DASHBOARD):
        return Scope(False, managed_team_ids(person), True, person)
    return Scope(False, frozenset(), False, person)


def can_see_person(scope: Scope, person: Person) -> bool:
    if scope.all_people or (scope.person is not None and scope.person.pk == person.pk):
        return True
    if not scope.team_ids:
        return False
    today = timezone.localdate()
    return (
        Membership.objects.active_on(today)
        .filter(person=person, team_id__in=scope.team_ids)
        .exists()
    )


def team_choices(scope: Scope) -> list[Team]:
    """Teams a viewer may narrow the boards to: all of them for admins, else their own."""
    if not scope.totals:
        return []
    teams = Team.objects.exclude(path="")
    if not scope.all_people:
        teams = teams.filter(id__in=scope.team_ids)
    return list(teams.order_by("path"))


def team_filter(scope: Scope, value: str) -> tuple[Team | None, frozenset[int] | None]:
    """The team picked on the dashboard (a Team id in `value`) and the ids of it and its
    sub-teams, limited to what the viewer may see; (None, None) for "all teams"."""
    if not value.isdigit():
        return None, None
    team = next((t for t in team_choices(scope) if t.pk == int(value)), None)
    if team is None:
        return None, None
    ids = frozenset(
        Team.objects.filter(Q(pk=team.pk) | Q(path__startswith=f"{team.path}/")).values_list(
            "id", flat=True
        )
    )
    return team, ids if scope.all_people else ids & scope.team_ids
