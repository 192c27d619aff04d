"""The same patch is counted once.

A change whose `git patch-id --stable` was already counted is stored as a duplicate of the
first one: within a project (any source: the GitLab project and its GitHub mirror, any branch,
rebased or cherry-picked), and across projects when the same person authored both (a port).
Two different people's identical patches in different projects both count.
"""

from __future__ import annotations

from incentives.models import Change

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
                .order_by("landed_at", "id")
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
