"""The guard: the one function that decides whether a ref update may go to GitHub.

A push of internal commit `tip` (as its public copy) is allowed only when `tip` is

- a sha the committee approved for the project, or
- the tip of a screened range `base..tip` (a Clearance: every commit the range adds was
  screened, waivers applied, and nothing blocked) whose `base` is itself allowed,

and the public sha is `tip` itself (no rewriting) or the recorded rewrite of `tip` (its
Internal-Commit trailer names `tip`). By induction, everything reachable from an allowed tip
was either in an approved history or in a screened range: nothing else can leave.

`decide` is pure (property-tested over random histories); `check` loads the facts for a project
and is what every push path calls (federation.outbound.push_public).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

from federation import git, rewrite

log = logging.getLogger(__name__)

RELEASABLE_STATES = ("approved", "publishing", "released", "re_review")


class GuardRefused(Exception):
    """The guard said no; nothing was pushed."""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str
    root: str | None = None  # the approved sha the tip comes from
    chain: tuple[str, ...] = ()  # root (approved), screened tips..., the tip

    def __bool__(self) -> bool:
        return self.allowed


def decide(
    tip: str,
    *,
    approved: Collection[str],
    clearances: Mapping[str, Iterable[str]],
    covered_by: Iterable[str] = (),
    is_ancestor: Callable[[str, str], bool] | None = None,
) -> Verdict:
    """May internal commit `tip` go out? `clearances` maps a screened tip to the bases it was
    screened from. Follows clearances back (without loops) to an approved sha. Failing that,
    `tip` may go out when it is an ancestor of an allowed sha among `covered_by` (a tag on
    published history): `is_ancestor(a, b)` is then asked, at most once per candidate."""
    verdict = _walk(tip, approved, clearances)
    if verdict.allowed or is_ancestor is None:
        return verdict
    for other in covered_by:
        if other == tip:
            continue
        found = _walk(other, approved, clearances)
        if found.allowed and is_ancestor(tip, other):
            return Verdict(True, f"in the history of {other[:12]}", found.root, (*found.chain, tip))
    return verdict


def _walk(tip: str, approved, clearances) -> Verdict:
    parents: dict[str, str | None] = {tip: None}
    todo = [tip]
    while todo:
        sha = todo.pop()
        if sha in approved:
            chain = [sha]
            while parents[chain[-1]] is not None:
                chain.append(parents[chain[-1]])
            return Verdict(True, "approved" if sha == tip else "screened", sha, tuple(chain))
        for base in clearances.get(sha, ()):
            if base not in parents:
                parents[base] = sha
                todo.append(base)
    return Verdict(
        False, f"{tip[:12]} is neither approved nor a screened descendant of an approval"
    )


def approved_shas(project) -> set[str]:
    """Shas approved for the project by a disclosure that still stands."""
    from review.models import Disclosure

    return set(
        Disclosure.objects.filter(project=project, state__in=RELEASABLE_STATES)
        .exclude(approved_sha="")
        .values_list("approved_sha", flat=True)
    )


def clearances_of(project) -> dict[str, list[str]]:
    from federation.models import Clearance

    out: dict[str, list[str]] = {}
    for tip, base in Clearance.objects.filter(project=project).values_list("tip_sha", "base_sha"):
        out.setdefault(tip, []).append(base)
    return out


def ref_allowed(ref: str, *, branch: str, tag_pattern: str) -> bool:
    import fnmatch

    if ref == f"refs/heads/{branch}":
        return True
    if ref.startswith("refs/tags/") and tag_pattern:
        return fnmatch.fnmatchcase(ref.removeprefix("refs/tags/"), tag_pattern)
    return False


def check(
    *, project, mirror, ref: str, internal_sha: str, public_sha: str, tag_pattern: str = ""
) -> Verdict:
    """The guard for one ref update of `project`'s public repository: returns the Verdict or
    raises GuardRefused (logged) when the update may not go out."""
    from federation.models import CommitMap

    verdict = _check(project, mirror, ref, internal_sha, public_sha, tag_pattern, CommitMap)
    if not verdict.allowed:
        log.warning("guard refused %s %s for %s: %s", ref, public_sha, project, verdict.reason)
        raise GuardRefused(verdict.reason)
    return verdict


def _check(project, mirror, ref, internal_sha, public_sha, tag_pattern, CommitMap) -> Verdict:
    try:
        internal_sha, public_sha = git.validate_sha(internal_sha), git.validate_sha(public_sha)
    except git.InvalidSha:
        return Verdict(False, "not a full sha")
    if not ref_allowed(ref, branch=mirror.branch, tag_pattern=tag_pattern):
        return Verdict(False, f"{ref} is not mirrored")
    from federation import outbound, repos

    repo = repos.mirror_path(project.key)
    verdict = decide(
        internal_sha,
        approved=approved_shas(project),
        clearances=clearances_of(project),
        covered_by=[s for s in (mirror.published_sha,) if s],
        is_ancestor=lambda a, b: outbound.is_ancestor(repo, a, b),
    )
    if not verdict.allowed:
        return verdict
    if not mirror.rewrites:
        if public_sha != internal_sha:
            return Verdict(False, "without rewriting, the public sha must be the internal one")
        return verdict
    mapped = CommitMap.objects.filter(
        project=project, internal_sha=internal_sha, public_sha=public_sha
    ).exists()
    if not mapped:
        return Verdict(False, f"{public_sha[:12]} is not the recorded copy of {internal_sha[:12]}")
    message = rewrite.commit_message(repo, public_sha)
    if rewrite.trailer_value(message) != internal_sha:
        return Verdict(False, f"{public_sha[:12]} does not carry Internal-Commit {internal_sha}")
    return verdict
