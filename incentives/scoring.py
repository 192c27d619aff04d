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
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from incentives.attribution import OrgIndex
from incentives.policies import PolicyBook

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


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
    facts_json: str  # the facts used, serialised (see Scorer.score for the keys)

    @property
    def facts(self) -> dict:
        return json.loads(self.facts_json)


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
        self._json: dict = {}

    def policy_for(self, ci: ChangeInput):
        pinned = self.pinned.get(ci.change_id)
        return self.book.by_id[pinned] if pinned else self.book.on(ci.landed_on)

    def score(self, ci: ChangeInput) -> list[Desired]:
        """One Desired per credited person, in credit order (same-team ones score 0).

        Facts: cross_team, identity, landed_on, author_teams [{id, path, membership}],
        owner_team {id, path, ownership}, owner_team_ids, include_subteams, policy_version,
        and for points: accepted_by, factors {base, size, acceptance, novelty, damping,
        share} and formula. The JSON is assembled from cached pieces (it is written for
        every award of a 50,000-commit ingest)."""
        policy = self.policy_for(ci)
        day = ci.landed_on
        owner = self.org.owner_on(ci.project_id, day)
        owner_set = (
            self.org.owner_teams(owner.team_id, policy.include_subteams) if owner else frozenset()
        )
        to_team = owner.team_id if owner else None
        share = 1.0 / len(ci.credits) if ci.credits else 0.0
        accepted_by = self._acceptor(ci, owner_set, day) if owner else None
        head = self._head(owner, owner_set, policy)
        out = []
        for person_id, identity in ci.credits:
            teams = self.org.memberships_on(person_id, day)
            cross = owner is not None
            for m in teams:
                if m.team_id in owner_set:
                    cross = False
                    break
            from_team = teams[0].team_id if teams else None
            common = (
                f'"identity":{self._str(identity)},"landed_on":"{day.isoformat()}",'
                f'"author_teams":{self._teams(teams)},{head}'
            )
            if not cross or ci.reverted:
                tail = ',"reverted":true' if ci.reverted else ""
                facts = f'{{"cross_team":{"true" if cross else "false"},{common}{tail}}}'
                out.append(
                    Desired(ci.change_id, person_id, ci.project_id, day, ZERO, 0, policy.id,
                            from_team, to_team, facts)
                )  # fmt: skip
                if cross:  # a reverted change still shaped what came after it
                    self._remember(ci, person_id, to_team, policy)
                continue
            size, acceptance, novelty, damping = self._factors(
                ci, person_id, to_team, policy, accepted_by
            )
            points, tail = self._points(float(policy.base_points), size, acceptance, novelty,
                                        damping, share)  # fmt: skip
            facts = (
                f'{{"cross_team":true,{common},"accepted_by":{self._accepted(accepted_by)},{tail}}}'
            )
            out.append(
                Desired(ci.change_id, person_id, ci.project_id, day, points, 1, policy.id,
                        from_team, to_team, facts)
            )  # fmt: skip
            self._remember(ci, person_id, to_team, policy)
        return out

    # -- cached JSON pieces ------------------------------------------------------------------

    def _points(self, *factors: float) -> tuple[Decimal, str]:
        """Points and the `factors` / `formula` JSON of (base, size, acceptance, novelty,
        damping, share): the same factors recur across many changes, so both are cached."""
        got = self._json.get(factors)
        if got is None:
            base, size, acceptance, novelty, damping, share = factors
            points = to_points(base * size * acceptance * novelty * damping * share)
            nums = [_num(x) for x in (size, acceptance, novelty, damping, share)]
            formula = f"{base:g} × " + " × ".join(f"{x:g}" for x in nums) + f" = {points}"
            got = self._json[factors] = (
                points,
                f'"factors":{{"base":{base!r},"size":{nums[0]!r},"acceptance":{nums[1]!r},'
                f'"novelty":{nums[2]!r},"damping":{nums[3]!r},"share":{nums[4]!r}}},'
                f'"formula":"{formula}"',
            )
        return got

    def _size(self, policy, lines: int) -> float:
        key = ("size", policy.id, lines)
        got = self._json.get(key)
        if got is None:
            got = self._json[key] = size_of(policy, lines)
        return got

    def _str(self, value: str) -> str:
        got = self._json.get(value)
        if got is None:
            got = self._json[value] = json.dumps(value, ensure_ascii=False)
        return got

    def _teams(self, teams: list) -> str:
        key = tuple(teams)
        got = self._json.get(key)
        if got is None:
            got = self._json[key] = json.dumps(
                [{"id": m.team_id, "path": self.org.paths.get(m.team_id), "membership": m.row_id}
                 for m in teams],
                ensure_ascii=False,
            )  # fmt: skip
        return got

    def _head(self, owner, owner_set, policy) -> str:
        key = ("head", owner, policy.id)
        got = self._json.get(key)
        if got is None:
            own = (
                {"id": owner.team_id, "path": self.org.paths.get(owner.team_id),
                 "ownership": owner.row_id}
                if owner else None
            )  # fmt: skip
            got = self._json[key] = (
                f'"owner_team":{json.dumps(own, ensure_ascii=False)},'
                f'"owner_team_ids":{json.dumps(sorted(owner_set))},'
                f'"include_subteams":{"true" if policy.include_subteams else "false"},'
                f'"policy_version":{policy.version}'
            )
        return got

    def _accepted(self, accepted_by) -> str:
        if accepted_by is None:
            return "null"
        key = ("acc", *accepted_by)
        got = self._json.get(key)
        if got is None:
            identity, person, membership = accepted_by
            got = self._json[key] = json.dumps(
                {"identity": identity, "person": person, "membership": membership},
                ensure_ascii=False,
            )
        return got

    def _acceptor(self, ci: ChangeInput, owner_set, day) -> tuple | None:
        for person_id, identity in ci.acceptors:
            for m in self.org.memberships_on(person_id, day):
                if m.team_id in owner_set:
                    return (identity, person_id, m.row_id)
        return None

    def _factors(self, ci, person_id, to_team, policy, accepted_by) -> tuple[float, ...]:
        size = self._size(policy, ci.lines)
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
        return size, acceptance, novelty, damping

    def _remember(self, ci: ChangeInput, person_id: int, to_team, policy) -> None:
        self.context.seen_teams.add((person_id, to_team))
        if ci.lines < policy.tiny_lines:
            key = (person_id, ci.project_id, week_of(ci.landed_on))
            self.context.tiny_pool[key] = self.context.tiny_pool.get(key, 0) + ci.lines
