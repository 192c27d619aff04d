"""The points of one change for each person credited with it, and the facts behind them.

    points = base × size × acceptance × novelty × damping × share      (rounded to 0.01)

- size = min(cap, 1 + size_per_decade · log10(1 + authored lines))
- acceptance: `acceptance_owner` when the merge commit that brought the change onto the default
  branch was authored or committed by a member of an owner team on the landing day, otherwise
  `acceptance_other` (direct push, or merged by someone else)
- novelty: `novelty_bonus` for a person's first cross-team change to an owning team
- damping: small changes (fewer than `tiny_lines`) by one person to one project in one week are
  scored as one pooled change: each adds only the growth in size it brings, so splitting work
  into small pieces never earns more than landing it at once
- share: credit is split equally among the verified people (author and `Co-authored-by`)

A change is cross-team for a person when, on its institute-local landing day, the person is in
no team that owns the project (the owning team and, if the policy says so, its sub-teams).
Same-team changes score nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from incentives.attribution import OrgIndex
from incentives.policies import PolicyBook

CENT = Decimal("0.01")


@dataclass(slots=True)
class ChangeInput:
    change_id: int
    project_id: int
    sha: str
    landed_at: dt.datetime
    landed_on: dt.date
    landing: str
    lines_added: int
    lines_removed: int
    vendored_lines: int
    credits: list[tuple[int, str]]  # (person id, identity) of each verified contributor
    acceptors: list[tuple[int, str]] = field(default_factory=list)  # merge author/committer
    merge_sha: str = ""
    reverted: bool = False

    @property
    def lines(self) -> int:
        return self.lines_added + self.lines_removed


@dataclass(slots=True)
class Desired:
    change_id: int
    person_id: int
    project_id: int
    landed_on: dt.date
    points: Decimal
    change_count: int  # 1 when cross-team, else 0
    policy_id: int
    from_team_id: int | None
    to_team_id: int | None
    facts: dict


@dataclass
class Context:
    """What came before the changes being scored (for novelty and weekly pooling)."""

    seen_teams: set[tuple[int, int]] = field(default_factory=set)  # (person, owner team)
    tiny_pool: dict[tuple[int, int, dt.date], int] = field(
        default_factory=lambda: defaultdict(int)
    )  # (person, project, week's Monday) -> small-change lines so far


def week_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def size_of(policy, lines: int) -> float:
    grow = float(policy.size_per_decade) * math.log10(1 + max(lines, 0))
    return min(float(policy.size_cap), 1.0 + grow)


def to_points(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(CENT, rounding=ROUND_HALF_UP)


def _num(x: float) -> float:
    return round(x, 4)


class Scorer:
    def __init__(
        self, org: OrgIndex, book: PolicyBook, context: Context | None = None, pinned=None
    ):
        self.org = org
        self.book = book
        self.context = context or Context()
        self.pinned = pinned or {}  # change id -> policy id to keep

    def policy_for(self, ci: ChangeInput):
        pinned = self.pinned.get(ci.change_id)
        return self.book.by_id[pinned] if pinned else self.book.on(ci.landed_on)

    def score(self, ci: ChangeInput) -> list[Desired]:
        """One Desired per credited person, in credit order (same-team ones score 0)."""
        policy = self.policy_for(ci)
        day = ci.landed_on
        owner = self.org.owner_on(ci.project_id, day)
        owner_set = (
            self.org.owner_teams(owner.team_id, policy.include_subteams) if owner else frozenset()
        )
        share = 1.0 / len(ci.credits) if ci.credits else 0.0
        accepted_by = self._acceptor(ci, owner_set, day)
        out = []
        for person_id, identity in ci.credits:
            teams = self.org.memberships_on(person_id, day)
            cross = owner is not None and not any(m.team_id in owner_set for m in teams)
            facts = {
                "cross_team": cross,
                "identity": identity,
                "landed_at": ci.landed_at.isoformat(),
                "landed_on": day.isoformat(),
                "landing": ci.landing,
                "merge_sha": ci.merge_sha,
                "author_teams": [
                    {"id": m.team_id, "path": self.org.paths.get(m.team_id), "membership": m.row_id}
                    for m in teams
                ],
                "owner_team": (
                    {
                        "id": owner.team_id,
                        "path": self.org.paths.get(owner.team_id),
                        "ownership": owner.row_id,
                    }
                    if owner
                    else None
                ),
                "owner_team_ids": sorted(owner_set),
                "include_subteams": policy.include_subteams,
                "lines": {
                    "added": ci.lines_added,
                    "removed": ci.lines_removed,
                    "vendored_or_generated": ci.vendored_lines,
                },
                "policy_version": policy.version,
            }
            from_team = teams[0].team_id if teams else None
            to_team = owner.team_id if owner else None
            if not cross or ci.reverted:
                if ci.reverted:
                    facts["reverted"] = True
                out.append(
                    Desired(
                        ci.change_id,
                        person_id,
                        ci.project_id,
                        day,
                        Decimal("0.00"),
                        0,
                        policy.id,
                        from_team,
                        to_team,
                        facts,
                    )
                )
                if cross:  # a reverted change still shaped what came after it
                    self._remember(ci, person_id, to_team, policy)
                continue
            factors = self._factors(ci, person_id, to_team, policy, accepted_by, share)
            value = float(policy.base_points)
            for name in ("size", "acceptance", "novelty", "damping", "share"):
                value *= factors[name]
            points = to_points(value)
            facts["accepted_by"] = accepted_by
            facts["factors"] = {"base": float(policy.base_points)} | {
                k: _num(v) for k, v in factors.items()
            }
            facts["formula"] = (
                f"{float(policy.base_points):g} × "
                + " × ".join(f"{_num(factors[k]):g}" for k in factors)
                + f" = {points}"
            )
            out.append(
                Desired(
                    ci.change_id,
                    person_id,
                    ci.project_id,
                    day,
                    points,
                    1,
                    policy.id,
                    from_team,
                    to_team,
                    facts,
                )
            )
            self._remember(ci, person_id, to_team, policy)
        return out

    def _acceptor(self, ci: ChangeInput, owner_set, day) -> dict | None:
        for person_id, identity in ci.acceptors:
            for m in self.org.memberships_on(person_id, day):
                if m.team_id in owner_set:
                    return {"identity": identity, "person": person_id, "membership": m.row_id}
        return None

    def _factors(self, ci, person_id, to_team, policy, accepted_by, share) -> dict[str, float]:
        size = size_of(policy, ci.lines)
        acceptance = float(policy.acceptance_owner if accepted_by else policy.acceptance_other)
        novelty = (
            float(policy.novelty_bonus)
            if (person_id, to_team) not in self.context.seen_teams
            else 1.0
        )
        damping = 1.0
        if ci.lines < policy.tiny_lines:
            before = self.context.tiny_pool.get((person_id, ci.project_id, week_of(ci.landed_on)))
            if before:
                gained = size_of(policy, before + ci.lines) - size_of(policy, before)
                damping = gained / size
        return {
            "size": size,
            "acceptance": acceptance,
            "novelty": novelty,
            "damping": damping,
            "share": share,
        }

    def _remember(self, ci: ChangeInput, person_id: int, to_team, policy) -> None:
        self.context.seen_teams.add((person_id, to_team))
        if ci.lines < policy.tiny_lines:
            key = (person_id, ci.project_id, week_of(ci.landed_on))
            self.context.tiny_pool[key] = self.context.tiny_pool.get(key, 0) + ci.lines
