"""What the ledger already holds that shapes new scores: teams a person already contributed to
(novelty) and small changes already landed in the same week (pooling)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum

from incentives.models import Award
from incentives.policies import PolicyBook
from incentives.scoring import ChangeInput, Context, week_of

CHUNK = 2000


def context_for(project, inputs: list[ChangeInput], book: PolicyBook) -> Context:
    context = Context()
    people = sorted({p for ci in inputs for p, _ in ci.credits})
    if not people or not Award.objects.exists():
        return context
    first = min(week_of(ci.landed_on) for ci in inputs)
    last = max(week_of(ci.landed_on) for ci in inputs) + dt.timedelta(days=6)
    tiny_max = max(p.tiny_lines for p in book.policies)
    for i in range(0, len(people), CHUNK):
        chunk = people[i : i + CHUNK]
        for person_id, team_id in (
            Award.objects.filter(person_id__in=chunk)
            .values("person_id", "to_team_id")
            .annotate(n=Sum("change_count"))
            .filter(n__gt=0)
            .values_list("person_id", "to_team_id")
        ):
            context.seen_teams.add((person_id, team_id))
        rows = (
            Award.objects.filter(
                person_id__in=chunk, project=project, landed_on__range=(first, last)
            )
            .values(
                "person_id",
                "change_id",
                "landed_on",
                "change__lines_added",
                "change__lines_removed",
            )
            .annotate(n=Sum("change_count"))
            .filter(n__gt=0)
        )
        for r in rows:
            lines = r["change__lines_added"] + r["change__lines_removed"]
            if lines < min(tiny_max, book.on(r["landed_on"]).tiny_lines):
                key = (r["person_id"], project.id, week_of(r["landed_on"]))
                context.tiny_pool[key] = context.tiny_pool.get(key, 0) + lines
    return context
