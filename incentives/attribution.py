"""Who belonged to which team, and which team owned which project, on a given day.

Everything is loaded once per ingest (or recompute) into memory and looked up by interval, so
attributing 50,000 changes costs three queries, not one per change.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from people.models import Membership, Team
from projects.models import Ownership

FOREVER = dt.date.max


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive; FOREVER when open
    team_id: int
    row_id: int  # the Membership or Ownership id

    def covers(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


class OrgIndex:
    """Time-ranged memberships of some people and ownerships of some projects."""

    def __init__(self, *, person_ids: Iterable[int], project_ids: Iterable[int]):
        self.paths: dict[int, str] = dict(Team.objects.values_list("id", "path"))
        self._members: dict[int, list[Period]] = defaultdict(list)
        person_ids = list(set(person_ids))
        for i in range(0, len(person_ids), 2000):
            rows = Membership.objects.filter(person_id__in=person_ids[i : i + 2000]).values_list(
                "person_id", "start", "end", "team_id", "id"
            )
            for person_id, start, end, team_id, row_id in rows:
                self._members[person_id].append(Period(start, end or FOREVER, team_id, row_id))
        self._owners: dict[int, list[Period]] = defaultdict(list)
        rows = Ownership.objects.filter(project_id__in=set(project_ids)).values_list(
            "project_id", "start", "end", "team_id", "id"
        )
        for project_id, start, end, team_id, row_id in rows:
            self._owners[project_id].append(Period(start, end or FOREVER, team_id, row_id))
        for periods in (*self._members.values(), *self._owners.values()):
            periods.sort(key=lambda p: (p.start, p.row_id))

    def memberships_on(self, person_id: int, day: dt.date) -> list[Period]:
        """The person's memberships covering `day`, the most recently started first."""
        periods = self._members.get(person_id)
        if not periods:
            return []
        if len(periods) == 1:
            p = periods[0]
            return [p] if p.start <= day <= p.end else []
        found = [p for p in periods if p.start <= day <= p.end]
        if len(found) > 1:
            found.sort(key=lambda p: (-p.start.toordinal(), self.paths.get(p.team_id, "")))
        return found

    def owner_on(self, project_id: int, day: dt.date) -> Period | None:
        for p in self._owners.get(project_id, ()):
            if p.covers(day):
                return p
        return None

    def owner_teams(self, team_id: int, include_subteams: bool) -> frozenset[int]:
        return self._owner_teams(team_id, include_subteams)

    @functools.cache  # noqa: B019 - one index lives for one ingest
    def _owner_teams(self, team_id: int, include_subteams: bool) -> frozenset[int]:
        if not include_subteams:
            return frozenset({team_id})
        path = self.paths.get(team_id)
        if path is None:
            return frozenset({team_id})
        if path == "":  # the institute root owns everything below it
            return frozenset(self.paths)
        prefix = path + "/"
        return frozenset({team_id, *(tid for tid, p in self.paths.items() if p.startswith(prefix))})
