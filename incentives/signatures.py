"""A cheap stand-in for the patch id: the numstat signature of a change.

`git patch-id --stable` (over `git log -p -U0 --no-renames`) hashes every file's added and
removed lines, whitespace ignored. Two changes with the same patch id therefore touch the same
files with the same number of added and removed lines per file (mode changes and empty files
included, binary files as `-`): the same `--no-renames` numstat. The ingest reads `-M`
numstat, which only differs from the `--no-renames` one where it paired a deleted file with an
added one, so:

- changes without such a pair: same patch id => same signature (the hash of their numstat);
- a change with a rename, or one whose numstat could hide a delete + add pair (an entry that
  only adds and another that only removes, or binaries), gets its real patch id always.

The ingest computes real patch ids only for those, and for changes whose signature collides
with another eligible change (in the batch or stored), so a second diff of every commit is no
longer needed. The signature is stored (indexed) with the change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from incentives.gitlog import FileStat


def numstat_signature(files: Sequence[FileStat]) -> str:
    """40 hex digits naming the multiset of (path, added, removed) of a change."""
    entries = sorted(
        f"{'' if f.old_path is None else f.old_path + chr(0)}{f.path}\0{f.added}\0{f.removed}"
        for f in files
    )
    return hashlib.sha1(  # noqa: S324 - a bucket key, not a security boundary
        "\n".join(entries).encode("utf-8", "surrogateescape")
    ).hexdigest()


def always_needs_patch_id(files: Sequence[FileStat]) -> bool:
    """True when rename detection may have made this change's numstat differ from that of a
    copy with the same patch id (a rename, or a possible unpaired delete + add)."""
    adds = deletes = 0
    for f in files:
        if f.old_path is not None:
            return True
        binary = f.added is None
        add_like = binary or f.removed == 0
        delete_like = binary or f.added == 0
        if add_like and delete_like:
            if adds or deletes:
                return True
            adds = deletes = 1  # this entry alone may be either side; one more settles it
            continue
        if add_like:
            if deletes:
                return True
            adds += 1
        elif delete_like:
            if adds:
                return True
            deletes += 1
    return False
