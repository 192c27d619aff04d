"""Keeping the public mirror of a released project current; the sync pipeline calls
`mirror_sync` right after fetching (before ingest: the push is what people wait for).

1. Where GitHub is must be where we left it (or on commits we imported back and GitLab merged);
   published history must still be in GitLab's branch. Otherwise: a Divergence, and hold.
2. Only the new commits are screened (review.screening.screen_delta, waivers applied).
3. The longest clean prefix of the first-parent chain goes out (a Clearance records the
   screened range, the guard checks it, the push is a fast-forward); the rest is held for the
   security lane, naming the exact range.
4. Release tags whose commit is out follow; public pull requests whose GitLab merge request
   merged and went out are closed with a link.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.utils import timezone

from federation import comeback, divergence, git, held, outbound, rewrite, tags
from federation.models import Clearance, CommitMap, Divergence, Mirror, SyncRun
from federation.publish import all_copies, map_record
from federation.rules import rules_for

log = logging.getLogger(__name__)


class ScreeningFailed(Exception):
    """The delta could not be screened; nothing was published."""


@dataclass
class Outcome:
    status: str
    published: int = 0
    held: int = 0
    skipped: int = 0
    detail: dict = field(default_factory=dict)


def screen_delta(*, project, old_sha: str, new_sha: str):
    from review.screening import screen_delta as review_screen_delta

    return review_screen_delta(project=project, old_sha=old_sha, new_sha=new_sha)


def blocking(screening) -> list[dict]:
    """The screening's blocking findings that no active waiver covers."""
    from review.selectors import findings_blocking

    return [
        {
            "commit": f.commit,
            "check": f.check_name,
            "rule": f.rule,
            "path": f.path,
            "line": f.line,
            "message": f.message[:300],
        }  # fmt: skip
        for f in findings_blocking(screening)
    ]


def clean_prefix(repo, base: str, tip: str, bad: list[dict]) -> tuple[str, str]:
    """(the last commit of the first-parent chain base..tip whose whole history is clean,
    the first chain commit that brings a blocker or ""). A blocker not tied to a commit (a
    conclusion about the tip's tree) holds the whole range."""
    if not bad:
        return tip, ""
    if any(not f["commit"] for f in bad):
        chain = _first_parent_chain(repo, base, tip)
        return base, chain[0] if chain else tip
    bad_commits = {f["commit"] for f in bad}
    chain = _first_parent_chain(repo, base, tip)
    graph = _parents(repo, base, tip)
    owner: dict[str, int] = {}
    for index, sha in enumerate(chain):
        stack = [sha]
        while stack:
            x = stack.pop()
            if x in owner or x not in graph:
                continue
            owner[x] = index
            stack.extend(graph[x])
    first = min((owner.get(c, 0) for c in bad_commits), default=len(chain))
    return (chain[first - 1] if first > 0 else base), chain[first] if first < len(chain) else ""


def _first_parent_chain(repo, base, tip) -> list[str]:
    out = git.run(["rev-list", "--first-parent", "--reverse", tip, f"^{base}"], repo=repo)
    return out.text.split()


def _parents(repo, base, tip) -> dict[str, list[str]]:
    out = git.run(["rev-list", "--parents", tip, f"^{base}"], repo=repo).text
    return {parts[0]: parts[1:] for parts in (line.split() for line in out.splitlines()) if parts}


def _count(repo, base: str, tip: str) -> int:
    if base == tip:
        return 0
    return int(git.run(["rev-list", "--count", tip, f"^{base}"], repo=repo).text.strip() or 0)


def _known_ancestor(project, repo, public_tip: str | None, tip: str) -> str | None:
    """The internal original of GitHub's tip when GitHub's tip is one of our recorded copies
    (pushed by an earlier, interrupted sync; or commits we imported back) and GitLab's branch
    contains it. Else None: someone else moved GitHub's branch."""
    if not public_tip:
        return None
    row = CommitMap.objects.filter(project=project, public_sha=public_tip).first()
    if row is None or not outbound.has_commit(repo, row.internal_sha):
        return None
    return row.internal_sha if outbound.is_ancestor(repo, row.internal_sha, tip) else None


def mirror_sync(*, project, update, run: SyncRun, screen=None) -> Outcome | None:
    """Bring the project's public mirror up to GitLab's default branch (None: not released)."""
    mirror = Mirror.objects.filter(project=project, state=Mirror.State.ACTIVE).first()
    if mirror is None:
        return None
    screen = screen or screen_delta
    the_rules = rules_for(project)
    repo = update.path
    head_ref = f"refs/heads/{project.default_branch}"
    pub_ref = f"refs/heads/{mirror.branch}"
    tip = update.new.get(head_ref)
    remote = outbound.ls_public(mirror)
    public_tip = remote.get(pub_ref)
    outbound.ensure_public_history(project, mirror, repo)
    seen = {r: s for r, s in update.new.items() if r == head_ref or _wanted_tag(r, the_rules)}
    Mirror.objects.filter(pk=mirror.pk).update(
        seen_sha=tip or "", seen_refs=seen, synced_at=timezone.now()
    )
    detail = {"public_before": public_tip, "published_before": mirror.published_sha}
    if tip is None:
        return Outcome(SyncRun.Status.SKIPPED, detail={**detail, "note": f"no {head_ref}"})
    published, force = mirror.published_sha, bool(mirror.force_reason)
    active = divergence.current(project)
    exclude = [published]
    if outbound.is_ancestor(repo, published, tip):
        base = published
    elif force:
        base = git.run(["merge-base", published, tip], repo=repo).text.strip()
        exclude = [base]
    else:
        d = divergence.divergence_raise(
            project=project, kind=Divergence.Kind.INTERNAL_REWRITE, ref=head_ref,
            public_sha=public_tip, expected_sha=mirror.public_sha, internal_sha=tip,
        )  # fmt: skip
        return Outcome(SyncRun.Status.HELD, detail={**detail, "divergence": d.pk})
    if public_tip != mirror.public_sha and not force:
        imported = _known_ancestor(project, repo, public_tip, tip)
        if imported is None:
            d = divergence.divergence_raise(
                project=project, kind=Divergence.Kind.PUBLIC_PUSH, ref=pub_ref,
                public_sha=public_tip, expected_sha=mirror.public_sha, internal_sha=tip,
            )  # fmt: skip
            return Outcome(
                SyncRun.Status.HELD, held=_count(repo, base, tip),
                detail={**detail, "divergence": d.pk},
            )  # fmt: skip
        exclude.append(imported)
    if active is not None:
        if active.state in (Divergence.State.OPEN, Divergence.State.HELD) and not force:
            note = "GitHub and GitLab agree again"
        else:
            note = "resolved by the sync"
        divergence.divergence_resolved(divergence=active, note=note)
    outcome = _publish_new(
        project, mirror, the_rules, repo, base, tip, exclude, force, screen, public_tip
    )
    outcome.detail = {**detail, **outcome.detail, "public_after": outcome.detail.get("public")}
    mirror.refresh_from_db()
    outcome.detail["tags"] = tags.push_tags(project, mirror, the_rules, repo, remote)
    outcome.detail["pull_requests"] = comeback.close_merged(project=project, mirror=mirror)
    return outcome


def _wanted_tag(ref: str, the_rules) -> bool:
    return ref.startswith("refs/tags/") and the_rules.tag_wanted(ref.removeprefix("refs/tags/"))


def _publish_new(
    project, mirror, the_rules, repo, base, tip, exclude, force, screen, public_tip
) -> Outcome:
    screening, bad, first_bad = None, [], ""
    clean = base
    if tip != base:
        screening = screen(project=project, old_sha=base, new_sha=tip)
        if screening.state != "done":
            raise ScreeningFailed(
                f"screening #{screening.pk}: {screening.error or screening.state}"
            )
        bad = blocking(screening)
        clean, first_bad = clean_prefix(repo, base, tip, bad)
    mapping: dict[str, str] = {}
    if clean != base:
        Clearance.objects.create(project=project, base_sha=base, tip_sha=clean, screening=screening)
        public, mapping = _copy(project, mirror, the_rules, repo, clean, exclude)
        map_record(project, mapping)
    elif base == mirror.published_sha:
        public = mirror.public_sha
    else:
        public = _copy(project, mirror, the_rules, repo, base, [])[0]
    ref = f"refs/heads/{mirror.branch}"
    pushed = False
    if public != public_tip and (force or clean != base):
        outbound.push_public(
            project=project,
            mirror=mirror,
            updates=[outbound.RefUpdate(ref, clean, public)],
            force=force,
        )
        pushed = True
        if force:
            log.warning("force-pushed %s to %s: %s", ref, public, mirror.force_reason)
    published_count = len(mapping) if mirror.rewrites else _count(repo, base, clean)
    Mirror.objects.filter(pk=mirror.pk).update(
        published_sha=clean, public_sha=public, force_reason="", synced_at=timezone.now()
    )
    detail = {"public": public, "pushed": pushed, "screening": screening.pk if screening else None}
    if force:
        detail["forced"] = mirror.force_reason
    if clean == tip:
        held.held_deltas_released(project=project, published_sha=clean, note=f"published {clean}")
        return Outcome(SyncRun.Status.SUCCEEDED, published=published_count, detail=detail)
    held_range = held.held_delta_open(
        project=project, from_sha=clean, to_sha=tip, first_blocked=first_bad,
        screening=screening, findings=bad,
    )  # fmt: skip
    detail.update(held=held_range.pk, held_range=f"{clean}..{tip}", first_blocked=first_bad)
    return Outcome(
        SyncRun.Status.HELD, published=published_count, held=_count(repo, clean, tip), detail=detail
    )


def _copy(project, mirror, the_rules, repo, tip, exclude) -> tuple[str, dict[str, str]]:
    if not mirror.rewrites:
        return tip, {}
    known = CommitMap.objects.filter(project=project, internal_sha=tip).first()
    if known is not None:
        return known.public_sha, {}
    fallback = None
    if mirror.mode == "snapshot" and mirror.disclosure_id:
        fallback = all_copies(project).get(mirror.disclosure.approved_sha)
    result = rewrite.copy_history(
        repo,
        tip=tip,
        exclude=[e for e in exclude if e],
        parents=all_copies(project),
        rules=the_rules,
        ref=rewrite.scratch_ref("public/heads", mirror.branch),
        fallback_parent=fallback,
    )
    return result.tip, result.mapping
