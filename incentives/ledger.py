"""Writes to the points ledger. Rows are only ever added: awards, revert claw-backs, adjustments.

A recompute scores the affected people's whole history again ("what the ledger should say"),
compares it with the sum of their existing rows per change, and writes the difference as
`adjustment` rows carrying the reason and the facts used.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q, Sum

from incentives.attribution import OrgIndex
from incentives.models import Award, Change, ChangeCoauthor
from incentives.policies import PolicyBook
from incentives.rollup import rollup_refresh
from incentives.scoring import CENT, ChangeInput, Desired, Scorer

ZERO = Decimal("0.00")


def cents(value) -> Decimal:
    """SUM() of decimals comes back unscaled on SQLite; give it two places again."""
    return Decimal(value or 0).quantize(CENT)


def credits_of(author, coauthors) -> list[tuple[int, str]]:
    """Verified, non-bot people credited with a change: the author first, then co-authors.

    `author` and each co-author are (person id or None, identity value, is_bot)."""
    out: list[tuple[int, str]] = []
    seen: set[int] = set()
    for person_id, value, is_bot in [author, *coauthors]:
        if person_id is None or is_bot or person_id in seen:
            continue
        seen.add(person_id)
        out.append((person_id, value))
    return out


def award_row(d: Desired, *, kind=Award.Kind.AWARD, points=None, count=None, seq=0, reason=""):
    return Award(
        change_id=d.change_id,
        person_id=d.person_id,
        kind=kind,
        seq=seq,
        points=d.points if points is None else points,
        change_count=d.change_count if count is None else count,
        policy_id=d.policy_id,
        landed_on=d.landed_on,
        project_id=d.project_id,
        from_team_id=d.from_team_id,
        to_team_id=d.to_team_id,
        facts=d.facts,
        reason=reason,
    )


AWARD_COLUMNS = (
    "change_id", "person_id", "kind", "seq", "points", "change_count", "policy_id", "landed_on",
    "project_id", "from_team_id", "to_team_id", "facts", "reason", "created_at",
)  # fmt: skip


def award_tuple(d: Desired, now) -> tuple:
    """An `award` row for bulk.insert, in AWARD_COLUMNS order."""
    return (
        d.change_id, d.person_id, Award.Kind.AWARD, 0, d.points, d.change_count, d.policy_id,
        d.landed_on, d.project_id, d.from_team_id, d.to_team_id, d.facts_json, "", now,
    )  # fmt: skip


def clawback_reverts(pairs: list[tuple], book: PolicyBook, touched: list | None = None) -> int:
    """For each (revert, reverted change) landing within the policy's window: mark the change
    reverted and write a negative `revert` row cancelling each person's net points. The rollups
    are refreshed, unless the caller collects what was written in `touched` to refresh later."""
    rows, marked = [], []
    for revert, target in pairs:
        if target.status != Change.Status.ELIGIBLE or target.reverted_by_id:
            continue
        window = book.on(target.landed_on).revert_window_days
        age = revert.landed_at - target.landed_at
        if age > dt.timedelta(days=window) or age < dt.timedelta(0):
            continue
        target.reverted_by_id = revert.id
        marked.append(target)
        net = (
            Award.objects.filter(change=target)
            .values("person_id", "policy_id", "from_team_id", "to_team_id")
            .annotate(p=Sum("points"), n=Sum("change_count"))
        )
        for row in net:
            if not row["p"] and not row["n"]:
                continue
            rows.append(
                Award(
                    change=target,
                    person_id=row["person_id"],
                    kind=Award.Kind.REVERT,
                    points=-cents(row["p"]),
                    change_count=-row["n"],
                    policy_id=row["policy_id"],
                    landed_on=target.landed_on,
                    project_id=target.project_id,
                    from_team_id=row["from_team_id"],
                    to_team_id=row["to_team_id"],
                    facts={"revert_sha": revert.sha, "days_after_landing": age.days},
                    reason=(
                        f"Reverted by {revert.sha[:12]} {age.days} day(s) after landing "
                        f"(within {window} days), so its points are taken back."
                    ),
                )
            )
    Change.objects.bulk_update(marked, ["reverted_by"])
    Award.objects.bulk_create(rows, ignore_conflicts=True)
    written = [(r.person_id, r.landed_on, r.project_id) for r in rows]
    if touched is None:
        rollup_refresh(touched=written)
    else:
        touched.extend(written)
    return len(rows)


def load_inputs(change_ids) -> list[ChangeInput]:
    """ChangeInputs (with credits and acceptors) of eligible changes, in landing order."""
    change_ids = list(change_ids)
    coauthors = defaultdict(list)
    rows = []
    for i in range(0, len(change_ids), 2000):
        chunk = change_ids[i : i + 2000]
        for co in ChangeCoauthor.objects.filter(change_id__in=chunk).values_list(
            "change_id", "identity__person_id", "identity__value", "identity__is_bot"
        ):
            coauthors[co[0]].append(co[1:])
        rows += Change.objects.filter(id__in=chunk, status=Change.Status.ELIGIBLE).values(
            "id",
            "project_id",
            "sha",
            "landed_at",
            "authored_at",
            "landed_on",
            "landing",
            "lines_added",
            "lines_removed",
            "vendored_lines",
            "merge_sha",
            "reverted_by_id",
            "author_identity__person_id",
            "author_identity__value",
            "author_identity__is_bot",
            "merge_author_identity__person_id",
            "merge_author_identity__value",
            "merge_committer_identity__person_id",
            "merge_committer_identity__value",
        )
    rows.sort(key=lambda r: (r["landed_at"], r["authored_at"], r["sha"]))  # as the ingest
    out = []
    for r in rows:
        author = (
            r["author_identity__person_id"],
            r["author_identity__value"],
            r["author_identity__is_bot"],
        )
        acceptors = [
            (r[f"{who}__person_id"], r[f"{who}__value"])
            for who in ("merge_author_identity", "merge_committer_identity")
            if r[f"{who}__person_id"]
        ]
        out.append(
            ChangeInput(
                change_id=r["id"],
                project_id=r["project_id"],
                sha=r["sha"],
                landed_at=r["landed_at"],
                landed_on=r["landed_on"],
                landing=r["landing"],
                lines_added=r["lines_added"],
                lines_removed=r["lines_removed"],
                vendored_lines=r["vendored_lines"],
                credits=credits_of(author, coauthors.get(r["id"], [])),
                acceptors=acceptors,
                merge_sha=r["merge_sha"],
                reverted=r["reverted_by_id"] is not None,
            )
        )
    return out


@dataclass
class RecomputeReport:
    people: int = 0
    changes: int = 0
    adjustments: int = 0
    points_delta: Decimal = ZERO
    rows: list[Award] = field(default_factory=list)


def awards_recompute(
    *,
    person_ids,
    reason: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
    keep_versions: bool = True,
) -> RecomputeReport:
    """Score the people's whole history again and write adjustments for changes landed in
    [since, until] whose ledger total differs. `keep_versions` keeps each change scored under
    the policy version it was first scored with (an admin recompute passes False)."""
    person_ids = set(person_ids)
    report = RecomputeReport(people=len(person_ids))
    if not person_ids:
        return report
    credited = Change.objects.filter(status=Change.Status.ELIGIBLE).filter(
        Q(author_identity__person_id__in=person_ids)
        | Q(coauthors__identity__person_id__in=person_ids)
    )
    change_ids = set(credited.values_list("id", flat=True))
    change_ids |= set(
        Award.objects.filter(person_id__in=person_ids).values_list("change_id", flat=True)
    )
    inputs = load_inputs(change_ids)
    pinned = {}
    if keep_versions:
        latest = (
            Award.objects.filter(change_id__in=change_ids)
            .values("change_id")
            .annotate(last=Max("id"))
            .values_list("last", flat=True)
        )
        pinned = dict(Award.objects.filter(id__in=latest).values_list("change_id", "policy_id"))
    org = OrgIndex(
        person_ids={p for ci in inputs for p, _ in ci.credits + ci.acceptors},
        project_ids={ci.project_id for ci in inputs},
    )
    scorer = Scorer(org, PolicyBook(), pinned=pinned)

    def in_window(day):
        return (since is None or day >= since) and (until is None or day <= until)

    desired: dict[tuple[int, int], Desired] = {}
    for ci in inputs:
        for d in scorer.score(ci):
            if d.person_id in person_ids and in_window(d.landed_on):
                desired[(d.change_id, d.person_id)] = d
    current = defaultdict(list)
    for row in (
        Award.objects.filter(person_id__in=person_ids, change_id__in=change_ids)
        .values(
            "change_id",
            "person_id",
            "from_team_id",
            "to_team_id",
            "policy_id",
            "landed_on",
            "project_id",
        )
        .annotate(p=Sum("points"), n=Sum("change_count"))
    ):
        if in_window(row["landed_on"]):
            current[(row["change_id"], row["person_id"])].append(row)
    seqs = {
        (r["change_id"], r["person_id"]): r["s"]
        for r in Award.objects.filter(
            kind=Award.Kind.ADJUSTMENT, person_id__in=person_ids, change_id__in=change_ids
        )
        .values("change_id", "person_id")
        .annotate(s=Max("seq"))
    }
    rows: list[Award] = []
    for key in sorted(set(desired) | set(current)):
        rows += _adjust(key, desired.get(key), current.get(key, []), seqs, reason)
    with transaction.atomic():
        Award.objects.bulk_create(rows)
        rollup_refresh(touched=[(r.person_id, r.landed_on, r.project_id) for r in rows])
    report.changes = len({r.change_id for r in rows})
    report.adjustments = len(rows)
    report.points_delta = sum((r.points for r in rows), ZERO)
    report.rows = rows
    return report


def _adjust(key, want: Desired | None, have: list[dict], seqs, reason) -> list[Award]:
    """Adjustment rows taking the ledger of one (change, person) from `have` to `want`."""
    rows = []
    have = [r | {"p": cents(r["p"])} for r in have]
    target = (want.from_team_id, want.to_team_id) if want else None
    kept = {"p": ZERO, "n": 0}
    for row in have:
        if (row["from_team_id"], row["to_team_id"]) == target:
            kept = {"p": kept["p"] + row["p"], "n": kept["n"] + row["n"]}
            continue
        if not row["p"] and not row["n"]:
            continue
        seqs[key] = seqs.get(key, 0) + 1
        rows.append(
            Award(
                change_id=key[0],
                person_id=key[1],
                kind=Award.Kind.ADJUSTMENT,
                seq=seqs[key],
                points=-row["p"],
                change_count=-row["n"],
                policy_id=row["policy_id"],
                landed_on=row["landed_on"],
                project_id=row["project_id"],
                from_team_id=row["from_team_id"],
                to_team_id=row["to_team_id"],
                facts=(want.facts if want else {"cross_team": False, "no_longer_credited": True})
                | {
                    "previous": {"points": str(row["p"]), "change_count": row["n"]},
                    "cancels_teams": {
                        "from_team": row["from_team_id"],
                        "to_team": row["to_team_id"],
                    },
                },
                reason=reason,
            )
        )
    if want is not None:
        dp, dn = want.points - kept["p"], want.change_count - kept["n"]
        if dp or dn:
            seqs[key] = seqs.get(key, 0) + 1
            facts = want.facts | {"previous": {"points": str(kept["p"]), "change_count": kept["n"]}}
            rows.append(
                award_row(
                    want,
                    kind=Award.Kind.ADJUSTMENT,
                    points=dp,
                    count=dn,
                    seq=seqs[key],
                    reason=reason,
                )
            )
            rows[-1].facts = facts
    return rows
