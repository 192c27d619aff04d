"""The rollups of the ledger, refreshed after ledger writes: PersonMonth (per person and credited
team), PersonSpan (per person), TeamProjectMonth (per project, contributor team and owner team)
and ProjectPeople (the number of people with net cross-team changes in a project), each by
month, quarter and year.

A refresh recomputes the rows of the given people (and projects) for the years touched,
straight from Award, so it is always exactly the ledger's sum whatever wrote to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from incentives.bulk import insert
from incentives.models import Award, PersonMonth, PersonSpan, ProjectPeople, TeamProjectMonth

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
    people: set[int] = set()
    years: set[int] = set()
    projects: set[int] = set()
    for person_id, day, project_id in touched:
        people.add(person_id)
        projects.add(project_id)
        years.add(day.year)
    if not people:
        return 0
    first, last = dt.date(min(years), 1, 1), dt.date(max(years), 12, 31)
    written = 0
    for chunk in _chunks(people):
        written += _people(chunk, first, last)
    for chunk in _chunks(projects):
        written += _projects(chunk, first, last) + _project_people(chunk, first, last)
    return written


def _chunks(ids: set[int]) -> Iterator[list[int]]:
    ordered = sorted(ids)
    for i in range(0, len(ordered), CHUNK):
        yield ordered[i : i + CHUNK]


def _monthly(key: str, ids: list[int], first, last, group: tuple[str, ...], **sums):
    """(span, span start, *group, *sums) of Award rows whose `key` is in `ids`, summed per month
    and repeated for the month, its quarter and its year."""
    rows = (
        Award.objects.filter(**{f"{key}__in": ids}, landed_on__range=(first, last))
        .annotate(m=TruncMonth("landed_on"))
        .values_list("m", *group)
        .annotate(**sums)
        .order_by()
    )
    for m, *rest in rows:
        m = m.date() if isinstance(m, dt.datetime) else m
        for span, start in _spans(m):
            yield span, start, *rest


def _replace(model, key: str, ids: list[int], first, last, columns, rows) -> int:
    """Delete `model`'s rows of `ids` in [first, last] and insert `rows` instead."""
    model.objects.filter(**{f"{key}__in": ids}, month__range=(first, last)).delete()
    return insert(model, columns, rows)


def _sums(rows) -> dict[tuple, list]:
    """{key: [points, changes]} summed over (*key, points, changes) rows."""
    totals: dict[tuple, list] = {}
    for *key, points, changes in rows:
        acc = totals.setdefault(tuple(key), [0, 0])
        acc[0] += points
        acc[1] += changes
    return totals


def _people(ids: list[int], first, last) -> int:
    group = ("person_id", "from_team_id")
    sums = _sums(_monthly("person_id", ids, first, last, group, p=Sum("points"), n=Sum("change_count")))  # fmt: skip
    columns = ("span", "month", "person_id", "from_team_id", "points", "changes")
    written = _replace(PersonMonth, "person_id", ids, first, last, columns,
                       ((*key, *acc) for key, acc in sums.items()))  # fmt: skip
    totals = _sums((*key[:3], *acc) for key, acc in sums.items())  # over credited teams
    columns = ("span", "month", "person_id", "points", "changes")
    return written + _replace(PersonSpan, "person_id", ids, first, last, columns,
                              ((*key, *acc) for key, acc in totals.items() if any(acc)))  # fmt: skip


def _projects(ids: list[int], first, last) -> int:
    group = ("project_id", "from_team_id", "to_team_id")
    sums = _sums(_monthly("project_id", ids, first, last, group, p=Sum("points"), n=Sum("change_count")))  # fmt: skip
    columns = ("span", "month", "project_id", "from_team_id", "to_team_id", "points", "changes")
    return _replace(TeamProjectMonth, "project_id", ids, first, last, columns,
                    ((*key, *acc) for key, acc in sums.items()))  # fmt: skip


def _project_people(ids: list[int], first, last) -> int:
    net: dict[tuple, int] = {}  # (span, start, project, person) -> net cross-team changes
    for span, start, project_id, person_id, changes in _monthly(
        "project_id", ids, first, last, ("project_id", "person_id"), n=Sum("change_count")
    ):
        key = (span, start, project_id, person_id)
        net[key] = net.get(key, 0) + changes
    people: dict[tuple, int] = {}
    for (span, start, project_id, _), changes in net.items():
        if changes > 0:
            people[(span, start, project_id)] = people.get((span, start, project_id), 0) + 1
    columns = ("span", "month", "project_id", "people")
    return _replace(ProjectPeople, "project_id", ids, first, last, columns,
                    ((*key, count) for key, count in people.items()))  # fmt: skip
