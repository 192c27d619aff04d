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


def rollup_refresh(*, touched: Iterable[tuple[int, dt.date]]) -> int:
    """Rebuild PersonMonth for (person, landing day) pairs written to the ledger."""
    by_person: dict[int, set[dt.date]] = {}
    for person_id, day in touched:
        by_person.setdefault(person_id, set()).add(month_of(day))
    if not by_person:
        return 0
    first = min(min(m) for m in by_person.values())
    last = month_end(max(max(m) for m in by_person.values()))
    people = sorted(by_person)
    written = 0
    for i in range(0, len(people), CHUNK):
        chunk = people[i : i + CHUNK]
        PersonMonth.objects.filter(person_id__in=chunk, month__range=(first, last)).delete()
        rows = (
            Award.objects.filter(person_id__in=chunk, landed_on__range=(first, last))
            .annotate(m=TruncMonth("landed_on"))
            .values_list("person_id", "m", "from_team_id")
            .annotate(points=Sum("points"), changes=Sum("change_count"))
            .order_by()
        )
        written += insert(
            PersonMonth,
            ("person_id", "month", "from_team_id", "points", "changes"),
            (
                (p, m.date() if isinstance(m, dt.datetime) else m, t, pts, n)
                for p, m, t, pts, n in rows
            ),
        )
    return written
