"""The same patch is counted once.

A change whose `git patch-id --stable` was already counted is stored as a duplicate of the
first one: within a project (any source: the GitLab project and its GitHub mirror, any branch,
rebased or cherry-picked), and across projects when the same person authored both (a port).
Two different people's identical patches in different projects both count.

Patch ids are computed only where they can matter (`assign_patch_ids`): a change whose numstat
signature is unique among eligible changes cannot share its patch id with any of them. While
the ingest's `git log` still runs, `SignatureWatch` already sends every commit that may need one
(its signature seen twice, or a possible rename) to a streamed patch-id diff beside it.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

from incentives import patchids
from incentives.gitlog import Commit
from incentives.models import Change, IngestState
from incentives.signatures import always_needs_patch_id, numstat_signature

log = logging.getLogger(__name__)

CHUNK = 2000


class Dedup:
    def __init__(self, project_id: int, patch_ids: set[str]):
        self.project_id = project_id
        self.existing: dict[str, list[tuple]] = {}
        ids = sorted(patch_ids)
        if not ids or not Change.objects.exclude(patch_id="").exists():
            ids = []
        for i in range(0, len(ids), CHUNK):
            rows = (
                Change.objects.filter(
                    patch_id__in=ids[i : i + CHUNK], status=Change.Status.ELIGIBLE
                )
                .exclude(patch_id="")  # the partial index's condition
                .order_by("landed_at", "authored_at", "sha")  # the landing order
                .values_list(
                    "patch_id",
                    "id",
                    "project_id",
                    "author_identity_id",
                    "author_identity__person_id",
                )
            )
            for row in rows:
                self.existing.setdefault(row[0], []).append(row[1:])
        self.batch: dict[str, int] = {}

    def first(self, *, change_id: int, patch_id: str, identity_id, person_id) -> int | None:
        """The id of the change this one duplicates, or None (then it becomes the first)."""
        if not patch_id:
            return None
        for other_id, project_id, other_identity, other_person in self.existing.get(patch_id, ()):
            same_author = other_identity == identity_id or (
                person_id is not None and other_person == person_id
            )
            if project_id == self.project_id or same_author:
                return other_id
        first = self.batch.get(patch_id)
        if first is not None:
            return first
        self.batch[patch_id] = change_id
        return None


class SignatureWatch:
    """Sees each commit as `git log` yields it: keeps the numstat signature of every non-merge
    (`sig`), notes the ones whose numstat may hide a rename (`needs`), and sends to `stream` every
    commit that may need a patch id (a superset of what assign_patch_ids will ask for among the
    new commits: eligibility is not known yet, so only merges and commits without files are left
    out)."""

    def __init__(self, stream: patchids.PatchIdStream):
        self.stream = stream
        self.sig: dict[str, str] = {}
        self.needs: set[str] = set()
        self._first: dict[str, str] = {}  # signature -> the one commit seen with it so far

    def see(self, c: Commit) -> None:
        if c.is_merge:
            return
        sig = self.sig[c.sha] = numstat_signature(c.files)
        if not c.files:  # empty: never eligible
            return
        if always_needs_patch_id(c.files):
            self.needs.add(c.sha)
            self.stream.add(c.sha)
        first = self._first.setdefault(sig, c.sha)
        if first != c.sha:
            self.stream.add(first)  # once: add() skips what it has sent
            self.stream.add(c.sha)


def assign_patch_ids(
    *, project_id: int, source: str, repo, changes, early: patchids.PatchIdStream,
    stored: dict[str, list[tuple]], timeout=None,
) -> int:  # fmt: skip
    """Give a real patch id to each new eligible change in `changes` (objects with `.sha`,
    `.numstat_sig`, `.needs_patch_id`, `.patch_id`) that may share it with another eligible
    change: its signature collides in the batch or with a stored change, or its numstat may
    hide a rename (signatures.py). A colliding stored change that has no patch id yet gets one
    too (from this repository if it has the commit, else from the one its ingest last read).
    `early` is the PatchIdStream that was sent some of them while the log streamed; `stored` is
    what stored_by_signature gave for (at least) their signatures before they were stored.
    Returns how many patch ids were computed."""
    if not changes:
        return 0
    counts = Counter(ch.numstat_sig for ch in changes)
    legacy = (
        Change.objects.filter(status=Change.Status.ELIGIBLE, numstat_sig="")
        .exclude(patch_id="")
        .exists()
    )
    stored = {} if legacy else {sig: rows for sig, rows in stored.items() if sig in counts}
    need = [
        ch
        for ch in changes
        if legacy or ch.needs_patch_id or counts[ch.numstat_sig] > 1 or ch.numstat_sig in stored
    ]
    found = dict(early.finish())
    found.update(
        patchids.patch_ids_of(
            repo, [ch.sha for ch in need if ch.sha not in early.sent], timeout=timeout
        )
    )
    for ch in need:
        ch.patch_id = found.get(ch.sha, "")
    lacking = [row for rows in stored.values() for row in rows if not row[4]]
    return len(need) + _fill_stored(project_id, source, repo, lacking, timeout)


def stored_by_signature(sigs: list[str]) -> dict[str, list[tuple]]:
    """{signature: [(id, project id, source, sha, patch id)]} of stored eligible changes (the
    caller skips this when no stored change has a signature)."""
    out: dict[str, list[tuple]] = {}
    for i in range(0, len(sigs), CHUNK):
        rows = Change.objects.filter(
            numstat_sig__in=sigs[i : i + CHUNK], status=Change.Status.ELIGIBLE
        ).values_list("numstat_sig", "id", "project_id", "source", "sha", "patch_id")
        for sig, *row in rows:
            out.setdefault(sig, []).append(tuple(row))
    return out


def _fill_stored(project_id, source, repo, rows, timeout) -> int:
    """Compute and store the patch ids of stored changes that did not need one until now."""
    if not rows:
        return 0
    found = patchids.patch_ids_of(repo, [r[3] for r in rows], timeout=timeout)
    elsewhere: dict[tuple, list] = {}
    for row in rows:
        if row[3] not in found and (row[1], row[2]) != (project_id, source):
            elsewhere.setdefault((row[1], row[2]), []).append(row[3])
    for (other_project, other_source), shas in elsewhere.items():
        other = (
            IngestState.objects.filter(project_id=other_project, source=other_source)
            .values_list("repo", flat=True)
            .first()
        )
        if other and Path(other, "HEAD").is_file():
            found.update(patchids.patch_ids_of(Path(other), shas, timeout=timeout))
    updates = [Change(id=r[0], patch_id=found[r[3]]) for r in rows if r[3] in found]
    for r in rows:
        if r[3] not in found:
            log.warning("no patch id for stored change %s (%s): its commit is gone", r[0], r[3])
    Change.objects.bulk_update(updates, ["patch_id"], batch_size=500)
    return len(updates)
