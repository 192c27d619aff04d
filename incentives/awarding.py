"""Awards and revert claw-backs for the changes an ingest has just stored."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from incentives.attribution import OrgIndex
from incentives.bulk import insert
from incentives.ledger import AWARD_COLUMNS, award_tuple, clawback_reverts
from incentives.models import Award, Change
from incentives.policies import PolicyBook
from incentives.prior import context_for
from incentives.scoring import ChangeInput, Scorer


def award_new_changes(project, changes, who, now, report, touched: list) -> int:
    """Score the eligible new changes (one Scorer, context from the ledger) into award rows;
    (person, landing day, project) of each row is appended to `touched` for the rollups."""
    inputs = []
    for ch in changes:
        credits = ch.credits  # worked out while the log streamed (building.py)
        if ch.status != Change.Status.ELIGIBLE or not credits:
            continue
        acceptors = []
        if ch.merge is not None:
            for email in (ch.merge.author_email, ch.merge.committer_email):
                w = who.get(email)
                if w is not None and w.person_id:
                    acceptors.append((w.person_id, w.value))
        inputs.append(
            ChangeInput(
                change_id=ch.id,
                project_id=project.id,
                sha=ch.commit.sha,
                landed_at=ch.landed_at,
                landed_on=ch.landed_on,
                landing=ch.landing,
                lines_added=ch.added,
                lines_removed=ch.removed,
                vendored_lines=ch.vendored,
                credits=credits,
                acceptors=acceptors,
                merge_sha=ch.merge.sha if ch.merge else "",
            )
        )
    if not inputs:
        return 0
    people = {p for ci in inputs for p, _ in ci.credits + ci.acceptors}
    book = PolicyBook()
    org = OrgIndex(person_ids=people, project_ids=[project.id])
    scorer = Scorer(org, book, context_for(project, inputs, book))
    report.lap("scoring setup")

    def rows():
        for ci in inputs:
            for d in scorer.score(ci):
                if d.change_count:
                    touched.append((d.person_id, d.landed_on, d.project_id))
                    yield award_tuple(d, now)

    return insert(Award, AWARD_COLUMNS, rows())


@dataclass(frozen=True)
class RevertInfo:
    id: int
    sha: str
    landed_at: dt.datetime


def claw_back_reverts(project, changes, touched: list) -> int:
    """Claw back the points of changes that the new revert commits revert (within the window);
    the rows written are appended to `touched` as award_new_changes does."""
    reverts = [ch for ch in changes if ch.status == Change.Status.REVERT and ch.commit.reverts()]
    if not reverts:
        return 0
    wanted = [r.commit.reverts() for r in reverts]
    targets = {
        t.sha: t
        for t in Change.objects.filter(project=project, sha__in=wanted).select_related(
            "duplicate_of"
        )
    }
    pairs = []
    for r in reverts:
        t = targets.get(r.commit.reverts())
        if t is None:
            continue
        if t.status == Change.Status.DUPLICATE and t.duplicate_of is not None:
            t = t.duplicate_of
        pairs.append((RevertInfo(r.id, r.commit.sha, r.landed_at), t))
    return clawback_reverts(pairs, PolicyBook(), touched=touched)
