"""The rollups of the ledger, refreshed after ledger writes: PersonMonth (per person and credited
team), TeamProjectMonth (per project, contributor team and owner team) and ProjectPeople (the
number of people with net cross-team changes in a project), each by month, quarter and year.

A refresh recomputes the rows of the given people (and projects) for the years touched,
straight from Award, so it is always exactly the ledger's sum whatever wrote to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from incentives.bulk import insert
from incentives.models import Award, PersonMonth, ProjectPeople, TeamProjectMonth

CHUNK = 1000


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: dt.date) -> dt.date:
    return month_end(quarter_of(day) + dt.timedelta(days=62))


def _spans(m: dt.date) -> tuple[tuple[str, dt.date], ...]:
    return (("m", m), ("q", quarter_of(m)), ("y", m.replace(month=1)))


def rollup_refresh(*, touched: Iterable[tuple]) -> int:
    """Rebuild the rollups (months, quarters, years) for the (person, landing day, project)
    triples written to the ledger: the whole years they fall in are recomputed from Award."""
    people_set: set[int] = set()
    years: set[int] = set()
    projects: set[int] = set()
    for person_id, day, project_id in touched:
        people_set.add(person_id)
        projects.add(project_id)
        years.add(day.year)
    if not people_set:
        return 0
    return (
        _people(people_set, years) + _projects(projects, years) + _project_people(projects, years)
    )


def _people(people_set: set[int], years: set[int]) -> int:
    first, last = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    people = sorted(people_set)
    written = 0
    for i in range(0, len(people), CHUNK):
        chunk = people[i : i + CHUNK]
        PersonMonth.objects.filter(person_id__in=chunk, month__range=(first, last)).delete()
        months = (
            Award.objects.filter(person_id__in=chunk, landed_on__range=(first, last))
            .annotate(m=TruncMonth("landed_on"))
            .values_list("person_id", "m", "from_team_id")
            .annotate(points=Sum("points"), changes=Sum("change_count"))
            .order_by()
        )
        totals: dict[tuple, list] = {}
        for person_id, m, team_id, points, changes in months:
            m = m.date() if isinstance(m, dt.datetime) else m
            for span, start in _spans(m):
                key = (span, person_id, start, team_id)
                acc = totals.setdefault(key, [0, 0])
                acc[0] += points
                acc[1] += changes
        written += insert(
            PersonMonth,
            ("span", "person_id", "month", "from_team_id", "points", "changes"),
            ((*key, acc[0], acc[1]) for key, acc in totals.items()),
        )
    return written


def _projects(projects: set[int], years: set[int]) -> int:
    first, last = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    ids = sorted(projects)
    written = 0
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        TeamProjectMonth.objects.filter(project_id__in=chunk, month__range=(first, last)).delete()
        months = (
            Award.objects.filter(project_id__in=chunk, landed_on__range=(first, last))
            .annotate(m=TruncMonth("landed_on"))
            .values_list("project_id", "m", "from_team_id", "to_team_id")
            .annotate(points=Sum("points"), changes=Sum("change_count"))
            .order_by()
        )
        totals: dict[tuple, list] = {}
        for project_id, m, from_team, to_team, points, changes in months:
            m = m.date() if isinstance(m, dt.datetime) else m
            for span, start in _spans(m):
                acc = totals.setdefault((span, start, project_id, from_team, to_team), [0, 0])
                acc[0] += points
                acc[1] += changes
        written += insert(
            TeamProjectMonth,
            ("span", "month", "project_id", "from_team_id", "to_team_id", "points", "changes"),
            ((*key, acc[0], acc[1]) for key, acc in totals.items()),
        )
    return written


def _project_people(projects: set[int], years: set[int]) -> int:
    first, last = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    ids = sorted(projects)
    written = 0
    for i in range(0, len(ids), CHUNK):
        chunk = ids[i : i + CHUNK]
        ProjectPeople.objects.filter(project_id__in=chunk, month__range=(first, last)).delete()
        months = (
            Award.objects.filter(project_id__in=chunk, landed_on__range=(first, last))
            .annotate(m=TruncMonth("landed_on"))
            .values_list("project_id", "m", "person_id")
            .annotate(changes=Sum("change_count"))
            .order_by()
        )
        net: dict[tuple, int] = {}  # (span, start, project, person) -> net changes
        for project_id, m, person_id, changes in months:
            m = m.date() if isinstance(m, dt.datetime) else m
            for span, start in _spans(m):
                key = (span, start, project_id, person_id)
                net[key] = net.get(key, 0) + changes
        people: dict[tuple, int] = {}
        for (span, start, project_id, _), changes in net.items():
            if changes > 0:
                people[(span, start, project_id)] = people.get((span, start, project_id), 0) + 1
        written += insert(
            ProjectPeople,
            ("span", "month", "project_id", "people"),
            ((*key, count) for key, count in people.items()),
        )
    return written
