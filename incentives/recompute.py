"""When facts behind awards change, recompute the affected people's awards as adjustments.

- HR data corrected (org import): `awards_recompute_for_memberships`
- an identity resolved to a person: `awards_recompute_for_identities`
- a project's ownership corrected: `awards_recompute_for_project`
- an admin asks for a period to be scored again under today's rules: `awards_recompute_period`
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from incentives.ledger import RecomputeReport, awards_recompute
from incentives.models import Award, Change
from people.models import Identity, Membership


def _credited_people(changes) -> set[int]:
    ids = list(changes.values_list("id", flat=True))
    people: set[int] = set()
    for i in range(0, len(ids), 2000):
        chunk = ids[i : i + 2000]
        people |= set(
            Change.objects.filter(id__in=chunk, author_identity__person__isnull=False).values_list(
                "author_identity__person_id", flat=True
            )
        )
        people |= set(
            Change.objects.filter(
                id__in=chunk, coauthors__identity__person__isnull=False
            ).values_list("coauthors__identity__person_id", flat=True)
        )
        people |= set(Award.objects.filter(change_id__in=chunk).values_list("person_id", flat=True))
    return people


def awards_recompute_for_memberships(*, membership_ids, reason: str) -> RecomputeReport:
    """Call after memberships were created or corrected (ImportReport.changed_membership_ids).

    Recomputes, from the earliest changed membership's start on, the awards of the people whose
    memberships changed and of everyone whose change they merged (acceptance depends on the
    merger's teams)."""
    rows = list(Membership.objects.filter(id__in=membership_ids).values_list("person_id", "start"))
    if not rows:
        return RecomputeReport()
    people = {p for p, _ in rows}
    since = min(s for _, s in rows)
    identities = Identity.objects.filter(person_id__in=people).values("id")
    merged = Change.objects.filter(landed_on__gte=since).filter(
        Q(merge_author_identity__in=identities) | Q(merge_committer_identity__in=identities)
    )
    people |= _credited_people(merged)
    return awards_recompute(person_ids=people, since=since, reason=reason)


def awards_recompute_for_identities(*, identity_ids, reason: str) -> RecomputeReport:
    """Call after identities were resolved (or moved) to a person: every change they authored,
    co-authored or merged is scored again for everyone credited with it."""
    identity_ids = list(identity_ids)
    changes = Change.objects.filter(
        Q(author_identity_id__in=identity_ids)
        | Q(coauthors__identity_id__in=identity_ids)
        | Q(merge_author_identity_id__in=identity_ids)
        | Q(merge_committer_identity_id__in=identity_ids)
    ).distinct()
    people = _credited_people(changes)
    people |= set(
        Identity.objects.filter(id__in=identity_ids, person__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    return awards_recompute(person_ids=people, reason=reason)


def awards_recompute_for_project(*, project, since: dt.date, reason: str) -> RecomputeReport:
    """Call after a project's ownership periods were corrected from `since` on."""
    changes = Change.objects.filter(project=project, landed_on__gte=since)
    return awards_recompute(person_ids=_credited_people(changes), since=since, reason=reason)


def awards_recompute_period(
    *, since: dt.date, until: dt.date, reason: str, by=None
) -> RecomputeReport:
    """An admin's explicit recompute: score [since, until] again with the policy versions now in
    force for each day (this is the only way a closed period's scores change)."""
    if until < since:
        raise ValueError("until is before since")
    changes = Change.objects.filter(landed_on__range=(since, until))
    who = f" (asked by {by})" if by else ""
    return awards_recompute(
        person_ids=_credited_people(changes),
        since=since,
        until=until,
        reason=f"{reason}{who}",
        keep_versions=False,
    )
