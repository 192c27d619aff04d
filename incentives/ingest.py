"""Ingest: read what is new on a project's default branch, store Changes, write awards.

One `git log --topo-order` over the new range (tip ^last ingested tip), two calls to read
`.gitattributes`, one `git diff-tree --stdin -p | git patch-id` beside the log for the few
changes whose numstat signature does not rule out a shared patch id (dedup.SignatureWatch,
assign_patch_ids). The changes are built, and on a first or full read mostly stored (their
foreign keys checked statement by statement), in batches while the log streams
(building.ChangeBuilder); then patch ids and duplicates, awards, revert claw-backs and rollups
take a handful of bulk queries.
The whole write happens in one transaction holding the project's IngestState row, so two
ingests of one project never interleave, and re-ingesting a range changes nothing.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import time
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from federation import git
from incentives import gitlog
from incentives.awarding import award_new_changes, claw_back_reverts
from incentives.building import ChangeBuilder
from incentives.bulk import checked_per_statement
from incentives.dedup import Dedup, SignatureWatch, assign_patch_ids
from incentives.gitlog import Commit
from incentives.models import Change, IngestState
from incentives.patchids import streamed_patch_ids
from incentives.rollup import rollup_refresh
from incentives.vendored import VendoredPaths, read_attributes

log = logging.getLogger(__name__)


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
    patch_ids: int = 0  # real patch ids computed (new and stored changes)
    clawbacks: int = 0
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)  # phase -> seconds
    _mark: float = field(default_factory=time.monotonic, repr=False)

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.timings[phase] = round(now - self._mark, 4)
        self._mark = now

    def summary(self) -> str:
        by_status = ", ".join(f"{n} {s}" for s, n in sorted(self.statuses.items())) or "none"
        return (
            f"{self.project} ({self.source}) {self.previous_tip[:10] or '(start)'}.."
            f"{self.tip[:10]}: {self.commits_read} commits read ({self.merges} merges, "
            f"{self.already_known} already known), {self.changes_created} changes stored "
            f"[{by_status}], {self.flagged} flagged, {self.awards_created} awards, "
            f"{self.clawbacks} revert claw-backs, {self.identities_created} new identities, "
            f"{self.patch_ids} patch ids "
            f"in {self.seconds:.2f}s"
        )


def git_dir(path: str | Path) -> Path:
    path = Path(path)
    return path / ".git" if (path / ".git").is_dir() else path


def resolve_revs(repo: Path, branch: str, old: str = "") -> tuple[str, bool]:
    """(tip of the default branch, whether the previously ingested tip still exists), in one
    `git cat-file --batch-check`."""
    git.validate_ref(f"refs/heads/{branch}")
    if old:
        git.validate_sha(old)
    lines = [f"refs/heads/{branch}^{{commit}}", f"refs/remotes/origin/{branch}^{{commit}}"]
    if old:
        lines.append(f"{old}^{{commit}}")
    out = git.run(
        ["cat-file", "--batch-check"], repo=repo, input="".join(f"{x}\n" for x in lines).encode()
    ).text.splitlines()
    found = [line.split()[0] if line.endswith(tuple("0123456789")) and " commit " in line else None
             for line in out]  # fmt: skip
    tip = found[0] or found[1]
    if tip is None:
        raise IngestError(f"{repo} has no branch {branch!r}")
    return tip, bool(old) and found[2] is not None


def branch_tip(repo: Path, branch: str) -> str:
    return resolve_revs(repo, branch)[0]


@contextmanager
def gc_paused():
    """Python's cycle collector off for the block (as it was before, after it). An ingest builds
    a few hundred thousand objects that live until its end; each collection would walk all of
    them again (15–25% of its Python time, docs/performance.md); they hold no cycles to free."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _touches_attributes(commits: list[Commit]) -> bool:
    return any(".gitattributes" in f.path for c in commits for f in c.files)


def ingest(
    *,
    project,
    repo: str | Path | None = None,
    source: str = "gitlab",
    seen_at: dt.datetime | None = None,
    full: bool = False,
    timeout: float | None = None,
    progress: Callable[[int], None] | None = None,
) -> IngestReport:
    """Ingest the project's default branch from `repo` (default: the federation cache mirror).

    `seen_at` is when the sync saw the new tip (default now); `full` re-reads the whole
    history (already-stored commits are skipped, so nothing changes twice); `progress` is
    called with the number of commits read so far while the log streams."""
    from federation import repos

    started = time.monotonic()
    seen_at = seen_at or timezone.now()
    path = git_dir(repo if repo is not None else repos.mirror_path(project.key))
    if not (path / "HEAD").is_file():
        raise IngestError(f"no git repository at {path}")
    with gc_paused(), transaction.atomic(), ExitStack() as running:
        state, _ = IngestState.objects.get_or_create(project=project, source=source)
        state = IngestState.objects.select_for_update().get(pk=state.pk)
        tip, old_exists = resolve_revs(path, project.default_branch, state.tip)
        report = IngestReport(project=project.path, source=source, tip=tip)
        # a write first: on SQLite this takes the database's write lock for the whole ingest
        IngestState.objects.filter(pk=state.pk).update(updated_at=timezone.now())
        report.previous_tip = state.tip
        if state.tip == tip and not full:
            report.seconds = time.monotonic() - started
            return report
        first = not state.tip
        exclude = [state.tip] if old_exists and not full else []
        # .gitattributes are read at the tip, unless the new commits cannot have changed them
        stored = bool(exclude) and "files" in state.attributes
        if not stored:
            state.attributes = {"tip": tip, "files": read_attributes(path, tip, timeout=timeout)}
        report.lap("attributes")
        watch = SignatureWatch(running.enter_context(streamed_patch_ids(path, timeout=timeout)))
        vendored = VendoredPaths.from_files(state.attributes["files"])
        builder = ChangeBuilder(project, source, vendored, watch, tip=tip, first=first,
                                seen_at=seen_at, write_early=not stored, progress=progress)  # fmt: skip
        with checked_per_statement(Change):  # batch by batch, beside git
            for commit in gitlog.read_commits(path, tip, exclude, timeout=timeout):
                builder.add(commit)
        watch.stream.end()  # its last diffs run while the last batch is stored
        if stored and _touches_attributes(builder.commits):
            state.attributes = {"tip": tip, "files": read_attributes(path, tip, timeout=timeout)}
            builder.recount(VendoredPaths.from_files(state.attributes["files"]))
        report.lap("git log")
        changes = builder.finish()
        counts = builder.counts
        report.commits_read, report.merges = counts.commits_read, counts.merges
        report.already_known = counts.already_known
        report.identities_created = counts.identities_created
        report.changes_created = len(changes)
        report.lap("landing order")
        _store(project, source, builder, report, path, timeout)
        state.tip = tip
        state.repo = str(path.resolve())
        state.commits_read = report.commits_read
        state.changes_created = report.changes_created
        state.save()
        report.lap("bookkeeping")
    report.lap("commit")
    report.seconds = time.monotonic() - started
    log.info("ingest %s", report.summary())
    return report


def _store(project, source, builder: ChangeBuilder, report, repo, timeout):
    changes = builder.changes  # in landing order (finish)
    _deduplicate(project, source, repo, builder, report, timeout)
    builder.store()
    report.statuses.update(ch.status for ch in changes)
    report.flagged = sum(1 for ch in changes if ch.flags)
    report.lap("changes stored")
    now = timezone.now()
    touched: list[tuple] = []  # (person, landing day, project) of each ledger row written
    report.awards_created = award_new_changes(project, changes, builder.who, now, report, touched)
    report.lap("awards")
    report.clawbacks = claw_back_reverts(project, changes, touched)
    report.lap("reverts")
    rollup_refresh(touched=touched)
    report.lap("rollups")


def _deduplicate(project, source, repo, builder: ChangeBuilder, report, timeout) -> None:
    """Patch ids where they can matter, then the same patch is counted once (dedup.py)."""
    eligible = [ch for ch in builder.changes if ch.status == Change.Status.ELIGIBLE]
    report.patch_ids = assign_patch_ids(
        project_id=project.id,
        source=source,
        repo=repo,
        changes=eligible,
        timeout=timeout,
        early=builder.watch.stream,
        stored=builder.stored_sigs,
    )
    report.lap("patch ids")
    dedup = Dedup(project.id, {ch.patch_id for ch in eligible} - {""})
    for ch in eligible:  # in landing order: the first becomes the original
        author = ch.author
        ch.duplicate_of = dedup.first(
            change_id=ch.id,
            patch_id=ch.patch_id,
            identity_id=author.identity_id,
            person_id=author.person_id,
        )
        if ch.duplicate_of is not None:
            ch.status = Change.Status.DUPLICATE
    report.lap("dedup")
