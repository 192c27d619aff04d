"""The per-person monthly rollup of the ledger (PersonMonth), refreshed after ledger writes.

A refresh recomputes the rows of the given people for the months touched, straight from Award,
so it is always exactly the ledger's sum whatever wrote to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Sum
from django.db.models.functions import TruncMonth

from incentives.bulk import insert
from incentives.models import Award, PersonMonth

CHUNK = 1000


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def quarter_of(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_end(day: dt.date) -> dt.date:
    return month_end(quarter_of(day) + dt.timedelta(days=62))


def rollup_refresh(*, touched: Iterable[tuple[int, dt.date]]) -> int:
    """Rebuild PersonMonth (months, quarters, years) for the (person, landing day) pairs written
    to the ledger: the whole years they fall in are recomputed from Award."""
    people_set: set[int] = set()
    years: set[int] = set()
    for person_id, day in touched:
        people_set.add(person_id)
        years.add(day.year)
    if not people_set:
        return 0
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
            for key in (
                ("m", person_id, m, team_id),
                ("q", person_id, quarter_of(m), team_id),
                ("y", person_id, m.replace(month=1), team_id),
            ):
                acc = totals.setdefault(key, [0, 0])
                acc[0] += points
                acc[1] += changes
        written += insert(
            PersonMonth,
            ("span", "person_id", "month", "from_team_id", "points", "changes"),
            ((*key, acc[0], acc[1]) for key, acc in totals.items()),
        )
    return written
