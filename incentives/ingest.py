"""Ingest: read what is new on a project's default branch, store Changes, write awards.

One `git log` over the new range (tip ^last ingested tip), one `git log -p | git patch-id`
in a background thread, two calls to read `.gitattributes`; then a handful of bulk queries.
The whole write happens in one transaction holding the project's IngestState row, so two
ingests of one project never interleave, and re-ingesting a range changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from federation import git
from incentives import gitlog, patchids
from incentives.attribution import OrgIndex
from incentives.gitlog import Commit
from incentives.graph import landing_merges
from incentives.ledger import award_row, clawback_reverts, credits_of
from incentives.models import Award, Change, ChangeCoauthor, IngestState
from incentives.policies import PolicyBook
from incentives.prior import context_for
from incentives.resolve import identities_for
from incentives.scoring import ChangeInput, Scorer
from incentives.vendored import vendored_paths_at

log = logging.getLogger(__name__)
BATCH = 2000
IMPLAUSIBLE = {"committer_date_far_past", "committer_date_far_future", "bad_committer_date"}


class IngestError(Exception):
    """The repository or branch cannot be read, with a message for people."""


@dataclass
class IngestReport:
    project: str
    source: str
    tip: str = ""
    previous_tip: str = ""
    commits_read: int = 0
    merges: int = 0
    already_known: int = 0
    changes_created: int = 0
    statuses: Counter = field(default_factory=Counter)
    flagged: int = 0
    identities_created: int = 0
    awards_created: int = 0
    clawbacks: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        by_status = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "none"
        return (
            f"{self.project} ({self.source}) {self.previous_tip[:10] or '(start)'}.."
            f"{self.tip[:10]}: {self.commits_read} commits read ({self.merges} merges, "
            f"{self.already_known} already known), {self.changes_created} changes stored "
            f"[{by_status}], {self.flagged} flagged, {self.awards_created} awards, "
            f"{self.clawbacks} revert claw-backs, {self.identities_created} new identities "
            f"in {self.seconds:.2f}s"
        )


def git_dir(path: str | Path) -> Path:
    path = Path(path)
    return path / ".git" if (path / ".git").is_dir() else path


def branch_tip(repo: Path, branch: str) -> str:
    git.validate_ref(f"refs/heads/{branch}")
    for ref in (f"refs/heads/{branch}", f"refs/remotes/origin/{branch}"):
        out = git.run(
            ["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo=repo, check=False
        )
        if out.returncode == 0:
            return out.text.strip()
    raise IngestError(f"{repo} has no branch {branch!r}")


def _has_commit(repo: Path, sha: str) -> bool:
    res = git.run(["cat-file", "-e", f"{sha}^{{commit}}"], repo=repo, check=False)
    return res.returncode == 0


def ingest(
    *,
    project,
    repo: str | Path | None = None,
    source: str = "gitlab",
    seen_at: dt.datetime | None = None,
    full: bool = False,
    timeout: float | None = None,
) -> IngestReport:
    """Ingest the project's default branch from `repo` (default: the federation cache mirror).

    `seen_at` is when the sync saw the new tip (default now); `full` re-reads the whole
    history (already-stored commits are skipped, so nothing changes twice)."""
    from federation import repos

    started = time.monotonic()
    seen_at = seen_at or timezone.now()
    path = git_dir(repo if repo is not None else repos.mirror_path(project.key))
    if not (path / "HEAD").is_file():
        raise IngestError(f"no git repository at {path}")
    tip = branch_tip(path, project.default_branch)
    report = IngestReport(project=project.path, source=source, tip=tip)
    with transaction.atomic():
        state, _ = IngestState.objects.get_or_create(project=project, source=source)
        state = IngestState.objects.select_for_update().get(pk=state.pk)
        report.previous_tip = state.tip
        if state.tip == tip and not full:
            report.seconds = time.monotonic() - started
            return report
        first = not state.tip
        exclude = [state.tip] if state.tip and not full and _has_commit(path, state.tip) else []
        pending_ids = patchids.patch_ids_async(path, tip, exclude, timeout=timeout)
        vendored = vendored_paths_at(path, tip, timeout=timeout)
        commits = list(gitlog.read_commits(path, tip, exclude, timeout=timeout))
        _store(project, source, commits, tip, first, seen_at, vendored, pending_ids, report)
        state.tip = tip
        state.commits_read = report.commits_read
        state.changes_created = report.changes_created
        state.save()
    report.seconds = time.monotonic() - started
    log.info("ingest %s", report.summary())
    return report


def _landing(commit: Commit, merge: Commit | None, first: bool, seen_at):
    if merge is not None:
        src, kind = merge, Change.Landing.MERGE
    elif first:
        src, kind = commit, Change.Landing.HISTORY
    else:
        return seen_at, Change.Landing.SEEN
    if src.flags & IMPLAUSIBLE:
        return seen_at, Change.Landing.SEEN
    return min(src.committed_at, seen_at), kind


def _store(project, source, commits, tip, first, seen_at, vendored, pending_ids, report):
    tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    report.commits_read = len(commits)
    merges_of = landing_merges(commits, tip)
    plain = [c for c in commits if not c.is_merge]
    report.merges = len(commits) - len(plain)
    if Change.objects.filter(project=project).exists():
        known = set()
        shas = [c.sha for c in plain]
        for i in range(0, len(shas), BATCH):
            known.update(
                Change.objects.filter(project=project, sha__in=shas[i : i + BATCH]).values_list(
                    "sha", flat=True
                )
            )
        report.already_known = len(known)
        plain = [c for c in plain if c.sha not in known]
    names: dict[str, str] = {}
    create: set[str] = set()
    for c in plain:
        names.setdefault(c.author_email, c.author_name)
        create.add(c.author_email)
        names.setdefault(c.committer_email, c.committer_name)
        for name, email in c.coauthors():
            names.setdefault(email, name)
            create.add(email)
    for m in {id(m): m for m in merges_of.values() if m is not None}.values():
        names.setdefault(m.author_email, m.author_name)
        names.setdefault(m.committer_email, m.committer_name)
    who, report.identities_created = identities_for(names, create=create)
    landed = {c.sha: _landing(c, merges_of.get(c.sha), first, seen_at) for c in plain}
    plain.sort(key=lambda c: (landed[c.sha][0], c.author_ts, c.sha))
    patch_ids = pending_ids.result()
    dedup = _Dedup(project, {patch_ids.get(c.sha) for c in plain} - {None})

    changes: list[Change] = []
    coauthor_emails: dict[str, list[str]] = {}
    for c in plain:
        landed_at, landing = landed[c.sha]
        merge = merges_of.get(c.sha)
        author = who.get(c.author_email)
        added = removed = vendored_lines = 0
        flags = set(c.flags)
        for f in c.files:
            if f.added is None:
                flags.add("binary")
                continue
            if vendored.is_excluded(f.path):
                vendored_lines += f.added + f.removed
            else:
                added += f.added
                removed += f.removed
        if not c.files:
            flags.add("empty")
        if not c.parents:
            flags.add("root")
        change = Change(
            project=project,
            sha=c.sha,
            source=source,
            subject=c.subject[:200],
            author_identity_id=author.identity_id if author else None,
            author_name=c.author_name,
            committer_identity_id=_id(who, c.committer_email),
            authored_at=c.authored_at,
            author_utc_offset=c.author_offset,
            committed_at=c.committed_at,
            landed_at=landed_at,
            landed_on=landed_at.astimezone(tz).date(),
            landing=landing,
            merge_sha=merge.sha if merge else "",
            merge_author_identity_id=_id(who, merge.author_email) if merge else None,
            merge_committer_identity_id=_id(who, merge.committer_email) if merge else None,
            lines_added=added,
            lines_removed=removed,
            vendored_lines=vendored_lines,
            files_changed=len(c.files),
            patch_id=patch_ids.get(c.sha, ""),
            reverts_sha=c.reverts() or "",
            flags=sorted(flags),
        )
        change.status = _status(c, change, author)
        if change.status == Change.Status.ELIGIBLE:
            dedup.check(change, author)
        changes.append(change)
        if co := c.coauthors():
            coauthor_emails[c.sha] = [email for _, email in co]
    Change.objects.bulk_create(changes, batch_size=BATCH)
    dedup.link_batch_duplicates()
    report.changes_created = len(changes)
    report.statuses.update(ch.status for ch in changes)
    report.flagged = sum(1 for ch in changes if ch.flags)

    links = [
        ChangeCoauthor(change=ch, identity_id=who[e].identity_id)
        for ch in changes
        for e in dict.fromkeys(coauthor_emails.get(ch.sha, ()))
        if e in who
    ]
    ChangeCoauthor.objects.bulk_create(links, batch_size=BATCH, ignore_conflicts=True)
    report.awards_created = _award(project, changes, coauthor_emails, who)
    report.clawbacks = _reverts(project, changes)


def _id(who, email):
    w = who.get(email)
    return w.identity_id if w else None


def _status(c: Commit, change: Change, author) -> str:
    if author is None:
        return Change.Status.NO_AUTHOR
    if author.is_bot:
        return Change.Status.BOT
    if change.reverts_sha:
        return Change.Status.REVERT
    if change.lines_added + change.lines_removed == 0:
        return Change.Status.EMPTY
    return Change.Status.ELIGIBLE


class _Dedup:
    """The same patch is counted once: within a project (any source, any branch, rebased or
    cherry-picked), and across projects when the same person authored both."""

    def __init__(self, project, patch_ids: set[str]):
        self.project = project
        self.existing: dict[str, list[tuple]] = {}
        ids = sorted(patch_ids)
        for i in range(0, len(ids), BATCH):
            for row in (
                Change.objects.filter(
                    patch_id__in=ids[i : i + BATCH], status=Change.Status.ELIGIBLE
                )
                .order_by("landed_at", "id")
                .values_list(
                    "patch_id",
                    "id",
                    "project_id",
                    "author_identity_id",
                    "author_identity__person_id",
                )
            ):
                self.existing.setdefault(row[0], []).append(row[1:])
        self.batch: dict[str, Change] = {}
        self.batch_dups: list[Change] = []

    def check(self, change: Change, author) -> None:
        pid = change.patch_id
        if not pid:
            return
        person = author.person_id if author else None
        for change_id, project_id, identity_id, person_id in self.existing.get(pid, ()):
            same_author = identity_id == change.author_identity_id or (
                person is not None and person_id == person
            )
            if project_id == self.project.id or same_author:
                change.status = Change.Status.DUPLICATE
                change.duplicate_of_id = change_id
                return
        first = self.batch.get(pid)
        if first is not None:
            change.status = Change.Status.DUPLICATE
            self.batch_dups.append((change, first))
            return
        self.batch[pid] = change

    def link_batch_duplicates(self) -> None:
        for dup, first in self.batch_dups:
            dup.duplicate_of = first
        Change.objects.bulk_update([d for d, _ in self.batch_dups], ["duplicate_of"])


def _award(project, changes: list[Change], coauthor_emails, who) -> int:
    by_identity = {w.identity_id: w for w in who.values()}
    inputs = []
    for ch in changes:
        if ch.status != Change.Status.ELIGIBLE:
            continue
        a = by_identity.get(ch.author_identity_id)
        author = (a.person_id, a.value, a.is_bot) if a else (None, "", False)
        co = [
            (who[e].person_id, e, who[e].is_bot)
            for e in coauthor_emails.get(ch.sha, ())
            if e in who
        ]
        acceptors = [
            (w.person_id, w.value)
            for w in (
                by_identity.get(ch.merge_author_identity_id),
                by_identity.get(ch.merge_committer_identity_id),
            )
            if w is not None and w.person_id
        ]
        credits = credits_of(author, co)
        if not credits:
            continue
        inputs.append(
            ChangeInput(
                change_id=ch.id,
                project_id=project.id,
                sha=ch.sha,
                landed_at=ch.landed_at,
                landed_on=ch.landed_on,
                landing=ch.landing,
                lines_added=ch.lines_added,
                lines_removed=ch.lines_removed,
                vendored_lines=ch.vendored_lines,
                credits=credits,
                acceptors=acceptors,
                merge_sha=ch.merge_sha,
            )
        )
    if not inputs:
        return 0
    people = {p for ci in inputs for p, _ in ci.credits} | {
        p for ci in inputs for p, _ in ci.acceptors
    }
    book = PolicyBook()
    org = OrgIndex(person_ids=people, project_ids=[project.id])
    scorer = Scorer(org, book, context_for(project, inputs, book))
    rows = [award_row(d) for ci in inputs for d in scorer.score(ci) if d.change_count]

    Award.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows)


def _reverts(project, changes: list[Change]) -> int:
    reverts = [ch for ch in changes if ch.status == Change.Status.REVERT and ch.reverts_sha]
    if not reverts:
        return 0
    targets = {
        t.sha: t
        for t in Change.objects.filter(
            project=project, sha__in=[r.reverts_sha for r in reverts]
        ).select_related("duplicate_of")
    }
    pairs = []
    for r in reverts:
        t = targets.get(r.reverts_sha)
        if t is None:
            continue
        if t.status == Change.Status.DUPLICATE and t.duplicate_of is not None:
            t = t.duplicate_of
        pairs.append((r, t))
    return clawback_reverts(pairs, PolicyBook())
