"""Reads for other pages (the project page, the catalogue) and for a person's points."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Max, Q, QuerySet, Sum
from django.utils import timezone

from incentives.models import Award, Change
from people.models import Person

CENT = Decimal("0.01")

COUNTED = (Change.Status.ELIGIBLE, Change.Status.EMPTY, Change.Status.REVERT)


@dataclass(frozen=True)
class ProjectActivity:
    commits: int  # landed human changes in the window (no duplicates, bots or merges)
    contributors: int  # distinct people (unresolved identities count one each)
    cross_team_contributors: int  # people with a cross-team change in the window
    last_commit_at: dt.datetime | None  # latest landing, any time

    def days_since_last_commit(self, now: dt.datetime | None = None) -> float | None:
        if self.last_commit_at is None:
            return None
        return ((now or timezone.now()) - self.last_commit_at).total_seconds() / 86400


def project_activity(project, *, days: int = 90, today: dt.date | None = None) -> ProjectActivity:
    """For the catalogue's activity score (projects.activity.ActivityInputs). Three queries."""
    since = (today or timezone.localdate()) - dt.timedelta(days=days)
    recent = Change.objects.filter(project=project, status__in=COUNTED, landed_on__gte=since)
    counts = recent.aggregate(
        commits=Count("id"),
        people=Count("author_identity__person", distinct=True),
        unresolved=Count(
            "author_identity", distinct=True, filter=Q(author_identity__person__isnull=True)
        ),
    )
    cross = (
        Award.objects.filter(project=project, landed_on__gte=since)
        .values("person_id")
        .annotate(n=Sum("change_count"))
        .filter(n__gt=0)
        .count()
    )
    last = Change.objects.filter(project=project, status__in=COUNTED).aggregate(
        last=Max("landed_at")
    )["last"]
    return ProjectActivity(
        commits=counts["commits"],
        contributors=counts["people"] + counts["unresolved"],
        cross_team_contributors=cross,
        last_commit_at=last,
    )


def project_awards(
    project, *, since: dt.date | None = None, until: dt.date | None = None
) -> QuerySet[Award]:
    """Ledger rows of the project, newest first, ready to list (person, change, teams)."""
    qs = Award.objects.filter(project=project)
    if since:
        qs = qs.filter(landed_on__gte=since)
    if until:
        qs = qs.filter(landed_on__lte=until)
    return qs.select_related("person", "change", "from_team", "to_team", "policy").order_by(
        "-landed_on", "-id"
    )


def project_contributors(project, *, since=None, until=None) -> QuerySet:
    """Per person: points and cross-team changes earned on the project (SQL aggregate)."""
    qs = Award.objects.filter(project=project)
    if since:
        qs = qs.filter(landed_on__gte=since)
    if until:
        qs = qs.filter(landed_on__lte=until)
    return (
        qs.values("person_id", "person__name")
        .annotate(points=Sum("points"), changes=Sum("change_count"))
        .order_by("-points", "person__name")
    )


def person_awards(person: Person, *, since=None, until=None) -> QuerySet[Award]:
    qs = Award.objects.filter(person=person)
    if since:
        qs = qs.filter(landed_on__gte=since)
    if until:
        qs = qs.filter(landed_on__lte=until)
    return qs.select_related("change", "project", "from_team", "to_team", "policy").order_by(
        "-landed_on", "-id"
    )


def person_totals(person: Person, *, since=None, until=None) -> dict:
    qs = Award.objects.filter(person=person)
    if since:
        qs = qs.filter(landed_on__gte=since)
    if until:
        qs = qs.filter(landed_on__lte=until)
    agg = qs.aggregate(points=Sum("points"), changes=Sum("change_count"))
    return {"points": agg["points"] or 0, "changes": agg["changes"] or 0}


def project_people(project, *, limit: int = 30) -> list[dict]:
    """Who landed changes in the project (same-team and cross-team), with their current teams
    and the points they earned there: two queries."""
    rows = list(
        Change.objects.filter(project=project, status__in=COUNTED)
        .values("author_identity__person_id", "author_identity__person__name", "author_name")
        .annotate(changes=Count("id"), last=Max("landed_at"))
        .order_by("-changes", "author_name")[:limit]
    )
    ids = [r["author_identity__person_id"] for r in rows if r["author_identity__person_id"]]
    from people.models import Membership

    teams: dict[int, list[str]] = {}
    for m in (
        Membership.objects.active_on(timezone.localdate())
        .filter(person_id__in=ids)
        .select_related("team")
    ):
        teams.setdefault(m.person_id, []).append(m.team.path)
    points = {  # SQLite sums decimals as floats: round back to cents
        r["person_id"]: r["points"].quantize(CENT) if r["points"] is not None else None
        for r in Award.objects.filter(project=project, person_id__in=ids)
        .values("person_id")
        .annotate(points=Sum("points"))
    }
    return [
        {
            "person_id": r["author_identity__person_id"],
            "name": r["author_identity__person__name"] or r["author_name"] or "unknown",
            "teams": teams.get(r["author_identity__person_id"], []),
            "changes": r["changes"],
            "last": r["last"],
            "points": points.get(r["author_identity__person_id"]),
        }
        for r in rows
    ]
