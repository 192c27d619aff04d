"""Changes built from commits while the ingest's `git log` still streams.

Every `BATCH` commits, `ChangeBuilder` skips the ones already stored, resolves the new emails to
identities and works out each change's lines, flags, status, numstat signature and credited
people (and, on PostgreSQL, reserves its id), so that work runs beside git instead of after it.
What needs the whole range (which merge landed a commit, the landing order) is filled in by
`finish()`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection

from incentives.bulk import reserve_ids
from incentives.dedup import SignatureWatch
from incentives.gitlog import Commit
from incentives.graph import landing_merges
from incentives.ledger import credits_of
from incentives.models import Change
from incentives.resolve import Who, identities_for
from incentives.vendored import VendoredPaths

BATCH = 2000
IMPLAUSIBLE = {"committer_date_far_past", "committer_date_far_future", "bad_committer_date"}


@dataclass(slots=True)
class NewChange:
    commit: Commit
    author: Who | None
    id: int = 0
    merge: Commit | None = None
    landed_at: dt.datetime | None = None
    landed_on: dt.date | None = None
    landing: str = ""
    added: int = 0
    removed: int = 0
    vendored: int = 0
    patch_id: str = ""
    numstat_sig: str = ""
    needs_patch_id: bool = False
    status: str = Change.Status.ELIGIBLE
    duplicate_of: int | None = None
    flags: list[str] = field(default_factory=list)
    coauthors: list[str] = field(default_factory=list)
    credits: list[tuple[int, str]] = field(default_factory=list)  # ledger.credits_of

    @property
    def sha(self) -> str:
        return self.commit.sha


@dataclass
class Counts:
    """What the ingest report says about the commits read."""

    commits_read: int = 0
    merges: int = 0
    already_known: int = 0
    identities_created: int = 0


class ChangeBuilder:
    """`add(commit)` each commit as the log yields it, then `finish()` for the changes in
    landing order (ids reserved). `who` maps every email met to its identity."""

    def __init__(self, project, vendored: VendoredPaths, watch: SignatureWatch, progress=None):
        self.project = project
        self.progress = progress  # called with the number of commits read after each batch
        self.vendored = vendored
        self.watch = watch
        self.commits: list[Commit] = []
        self.changes: list[NewChange] = []
        self.who: dict[str, Who] = {}
        self.counts = Counts()
        self._pending: list[Commit] = []
        self._names: dict[str, str] = {}  # email -> the first git name met with it
        self._unknown: set[str] = set()  # looked up, nobody has it, not created
        self._check_known = Change.objects.filter(project=project).exists()
        # ids from a PostgreSQL sequence stay reserved, so they are taken batch by batch
        self._ids: list[int] = []
        self._ids_ahead = connection.vendor == "postgresql"

    def add(self, commit: Commit) -> None:
        self.commits.append(commit)
        self.watch.see(commit)
        self._pending.append(commit)
        if len(self._pending) >= BATCH:
            self._flush()

    def recount(self, vendored: VendoredPaths) -> None:
        """Count lines again with other vendored rules (the new commits changed them)."""
        self.vendored = vendored
        for ch in self.changes:
            ch.added = ch.removed = ch.vendored = 0
            self._build(ch)

    def finish(self, tip: str, first: bool, seen_at: dt.datetime) -> list[NewChange]:
        self._flush()
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        merges_of = landing_merges(self.commits, tip)
        self._resolve([], {id(m): m for m in merges_of.values() if m is not None}.values())
        for ch in self.changes:
            ch.merge = merges_of.get(ch.sha)
            ch.landed_at, ch.landing = _landing(ch.commit, ch.merge, first, seen_at)
            ch.landed_on = ch.landed_at.astimezone(tz).date()
        self.changes.sort(key=lambda ch: (ch.landed_at, ch.commit.author_ts, ch.sha))
        ids = sorted(self._ids) if self._ids_ahead else reserve_ids(Change, len(self.changes))
        for change_id, ch in zip(ids, self.changes, strict=True):
            ch.id = change_id
        return self.changes

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        self.counts.commits_read += len(batch)
        plain = [c for c in batch if not c.is_merge]
        self.counts.merges += len(batch) - len(plain)
        if self._check_known and plain:
            known = _known_shas(self.project, plain)
            self.counts.already_known += len(known)
            plain = [c for c in plain if c.sha not in known]
        self._resolve(plain, ())
        if self._ids_ahead:
            self._ids += reserve_ids(Change, len(plain))
        for c in plain:
            ch = NewChange(commit=c, author=self.who.get(c.author_email))
            self._build(ch)
            self.changes.append(ch)
        if self.progress is not None:
            self.progress(self.counts.commits_read)

    def _resolve(self, plain: list[Commit], merges) -> None:
        """Look up the emails not met before (of new changes, or of the merges that landed
        them: those are never created); create the authors' and co-authors' that nobody knows,
        named by the first git name met with them in log order."""
        names, create = self._names, set()
        for c in plain:
            names.setdefault(c.author_email, c.author_name)
            create.add(c.author_email)
            names.setdefault(c.committer_email, c.committer_name)
            for name, email in c.coauthors():
                names.setdefault(email, name)
                create.add(email)
        emails = {e for c in plain for e in (c.author_email, c.committer_email)} | create
        emails.update(e for m in merges for e in (m.author_email, m.committer_email))
        wanted = {
            e: names.get(e, "")
            for e in emails
            if e not in self.who and (e not in self._unknown or e in create)
        }
        if not wanted:
            return
        found, made = identities_for(wanted, create=create & wanted.keys())
        self.who.update(found)
        self._unknown.update(e for e in wanted if e not in found)
        self._unknown.difference_update(found)
        self.counts.identities_created += made

    def _build(self, ch: NewChange) -> None:
        c = ch.commit
        flags = set(c.flags)
        is_excluded = self.vendored.is_excluded
        for f in c.files:
            if f.added is None:
                flags.add("binary")
            elif is_excluded(f.path):
                ch.vendored += f.added + f.removed
            else:
                ch.added += f.added
                ch.removed += f.removed
        if not c.files:
            flags.add("empty")
        if not c.parents:
            flags.add("root")
        ch.flags = sorted(flags)
        ch.status = _status(c, ch)
        ch.numstat_sig = self.watch.sig[c.sha]
        ch.needs_patch_id = ch.status == Change.Status.ELIGIBLE and c.sha in self.watch.needs
        if "Co-authored-by" in c.body or "co-authored-by" in c.body.lower():
            ch.coauthors = list(dict.fromkeys(e for _, e in c.coauthors() if e in self.who))
        if ch.status == Change.Status.ELIGIBLE:
            a, who = ch.author, self.who
            co = [(who[e].person_id, e, who[e].is_bot) for e in ch.coauthors]
            ch.credits = credits_of((a.person_id, a.value, a.is_bot), co)


def _known_shas(project, commits: list[Commit]) -> set[str]:
    return set(
        Change.objects.filter(project=project, sha__in=[c.sha for c in commits]).values_list(
            "sha", flat=True
        )
    )


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


def _status(c: Commit, ch: NewChange) -> str:
    if ch.author is None:
        return Change.Status.NO_AUTHOR
    if ch.author.is_bot:
        return Change.Status.BOT
    if c.reverts():
        return Change.Status.REVERT
    if ch.added + ch.removed == 0:
        return Change.Status.EMPTY
    return Change.Status.ELIGIBLE
