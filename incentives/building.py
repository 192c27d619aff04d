"""Changes built, and most of them stored, while the ingest's `git log --topo-order` streams.

Every commit tells `graph.Landings` which merge landed it as soon as it comes out (git prints
children first). Every `BATCH` commits, `ChangeBuilder` skips the ones already stored, resolves
the new emails to identities, works out each change's landing, lines, flags, status, numstat
signature and credited people, gives it an id and, on a first or full read, writes the batch's
`Change` rows, except those sent for a patch id (they may turn out to be duplicates), so
PostgreSQL works beside git instead of after it. What needs the whole range is left to the
caller: the landing order, patch ids and duplicates; `store()` then writes the rest.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.utils import timezone

from incentives.bulk import dumps, insert, reserve_ids, update
from incentives.dedup import SignatureWatch, stored_by_signature
from incentives.gitlog import Commit
from incentives.graph import Landings
from incentives.ledger import credits_of
from incentives.models import Change, ChangeCoauthor
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
    stored: bool = False  # its row is written (while the log streamed)

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


CHANGE_COLUMNS = (
    "id", "project_id", "sha", "source", "subject", "author_identity_id", "author_name",
    "committer_identity_id", "authored_at", "author_utc_offset", "committed_at", "landed_at",
    "landed_on", "landing", "merge_sha", "merge_author_identity_id", "merge_committer_identity_id",
    "lines_added", "lines_removed", "vendored_lines", "files_changed", "patch_id", "numstat_sig",
    "status", "duplicate_of_id", "reverts_sha", "reverted_by_id", "flags", "ingested_at",
)  # fmt: skip


class ChangeBuilder:
    """`add(commit)` each commit as `git log --topo-order` yields it; `finish()` gives the new
    changes in landing order for patch ids and duplicates; `store()` then writes what is left.
    With `write_early` (a first or full read) each batch's rows are written as it is built,
    but for the changes sent for a patch id; otherwise every row waits for `store()`, so
    `recount()` may still change their lines. Change ids follow the log, not the landing order.
    `who` maps every email met to its identity."""

    def __init__(self, project, source: str, vendored: VendoredPaths, watch: SignatureWatch, *,
                 tip: str, first: bool, seen_at: dt.datetime, write_early: bool,
                 progress=None):  # fmt: skip
        self.project, self.source = project, source
        self.progress = progress  # called with the number of commits read after each batch
        self.vendored = vendored
        self.watch = watch
        self.first, self.seen_at, self.write_early = first, seen_at, write_early
        self.now = timezone.now()
        self.commits: list[Commit] = []
        self.changes: list[NewChange] = []
        self.who: dict[str, Who] = {}
        self.counts = Counts()
        self._landings = Landings(tip)
        self._tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        self._pending: list[tuple[Commit, Commit | None]] = []  # (commit, merge that landed it)
        self._names: dict[str, str] = {}  # email -> the first git name met with it
        self._unknown: set[str] = set()  # looked up, nobody has it, not created
        self._check_known = Change.objects.filter(project=project).exists()
        self._next_id: int | None = None  # SQLite: the next free id (the ingest holds the lock)
        self._late: list[tuple[int, str, str]] = []  # (change id, column, email) stored empty
        self._own: set[int] = set()  # the ids given to this ingest's changes
        # stored changes (not this ingest's) with the numstat signature of a new change
        self.stored_sigs: dict[str, list[tuple]] = {}
        self._any_stored = Change.objects.exclude(numstat_sig="").exists()  # before ours

    def add(self, commit: Commit) -> None:
        self.commits.append(commit)
        merge = self._landings.see(commit)
        self.watch.see(commit)
        self._pending.append((commit, merge))
        if len(self._pending) >= BATCH:
            self._flush()

    def recount(self, vendored: VendoredPaths) -> None:
        """Count lines again with other vendored rules (the new commits changed them)."""
        if any(ch.stored for ch in self.changes):
            raise RuntimeError("the changes are already stored")
        self.vendored = vendored
        for ch in self.changes:
            ch.added = ch.removed = ch.vendored = 0
            self._build(ch)

    def finish(self) -> list[NewChange]:
        """The new changes in landing order; the caller works out patch ids and duplicates,
        then calls `store()`."""
        self._flush()
        self.changes.sort(key=lambda ch: (ch.landed_at, ch.commit.author_ts, ch.sha))
        return self.changes

    def store(self) -> None:
        """Write the rows not written yet, and the patch ids and duplicates found after the
        others were written; point rows at identities created after they were written."""
        found = [(ch.patch_id, ch.status, ch.duplicate_of, ch.id) for ch in self.changes
                 if ch.stored and (ch.patch_id or ch.duplicate_of is not None)]  # fmt: skip
        self._write(self.changes)
        update(Change, ("patch_id", "status", "duplicate_of_id"), found)
        late, self._late = self._late, []
        for column in sorted({col for _, col, _ in late}):
            rows = [(self.who[e].identity_id, ch_id) for ch_id, col, e in late
                    if col == column and e in self.who]  # fmt: skip
            update(Change, (column,), rows)

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if not batch:
            return
        self.counts.commits_read += len(batch)
        plain = [(c, m) for c, m in batch if not c.is_merge]
        self.counts.merges += len(batch) - len(plain)
        if self._check_known and plain:
            known = _known_shas(self.project, [c for c, _ in plain])
            self.counts.already_known += len(known)
            plain = [(c, m) for c, m in plain if c.sha not in known]
        merges = {id(m): m for _, m in plain if m is not None}
        self._resolve([c for c, _ in plain], merges.values())
        ids = self._take_ids(len(plain))
        self._own.update(ids)
        built = []
        for (c, merge), change_id in zip(plain, ids, strict=True):
            ch = NewChange(commit=c, author=self.who.get(c.author_email), id=change_id, merge=merge)
            ch.landed_at, ch.landing = _landing(c, merge, self.first, self.seen_at)
            ch.landed_on = ch.landed_at.astimezone(self._tz).date()
            self._build(ch)
            built.append(ch)
        self.changes += built
        if self._any_stored:
            self._find_stored({self.watch.sig[c.sha] for c, _ in plain if c.files})
        if self.write_early:  # not the ones that may still get a patch id (or be duplicates)
            sent = self.watch.stream.sent
            self._write([ch for ch in built if ch.sha not in sent])
        if self.progress is not None:
            self.progress(self.counts.commits_read)

    def _find_stored(self, sigs: set[str]) -> None:
        """Look up the signatures before this batch is stored (earlier batches' rows are left
        out by id), for assign_patch_ids."""
        own = self._own
        for sig, rows in stored_by_signature(sorted(sigs)).items():
            rows = [row for row in rows if row[0] not in own]
            if rows:
                self.stored_sigs.setdefault(sig, []).extend(rows)

    def _take_ids(self, n: int) -> list[int]:
        if connection.vendor == "postgresql":
            return reserve_ids(Change, n)
        if self._next_id is None:
            self._next_id = reserve_ids(Change, 1)[0]
        ids = list(range(self._next_id, self._next_id + n))
        self._next_id += n
        return ids

    def _write(self, changes: list[NewChange]) -> None:
        """Store those of `changes` not stored yet (and their co-authors)."""
        new = [ch for ch in changes if not ch.stored]
        if not new:
            return
        for ch in new:
            ch.stored = True
        insert(Change, CHANGE_COLUMNS, (self._row(ch) for ch in new))
        who = self.who
        insert(
            ChangeCoauthor,
            ("change_id", "identity_id"),
            [(ch.id, who[e].identity_id) for ch in new for e in ch.coauthors],
        )

    def _row(self, ch: NewChange) -> tuple:
        c, merge = ch.commit, ch.merge
        ref = self._ref
        return (
            ch.id, self.project.id, c.sha, self.source, c.subject[:200],
            ch.author.identity_id if ch.author else None, c.author_name,
            ref(ch.id, "committer_identity_id", c.committer_email), c.authored_at,
            c.author_offset, c.committed_at, ch.landed_at, ch.landed_on, ch.landing,
            merge.sha if merge else "",
            ref(ch.id, "merge_author_identity_id", merge.author_email) if merge else None,
            ref(ch.id, "merge_committer_identity_id", merge.committer_email) if merge else None,
            ch.added, ch.removed, ch.vendored, len(c.files), ch.patch_id, ch.numstat_sig,
            ch.status, ch.duplicate_of, c.reverts() or "", None,
            dumps(ch.flags) if ch.flags else "[]", self.now,
        )  # fmt: skip

    def _ref(self, change_id: int, column: str, email: str) -> int | None:
        """The identity id of a committer or merger; an email only met as such is looked up,
        never created, but an author of a later batch may still create it (`store`)."""
        w = self.who.get(email)
        if w is not None:
            return w.identity_id
        if email and self.write_early:
            self._late.append((change_id, column, email))
        return None

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
