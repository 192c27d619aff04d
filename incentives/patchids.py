"""`git patch-id --stable` of every non-merge commit in a range, in bulk.

ONE `git log -p` over the range is piped into ONE `git patch-id --stable`. The diff uses no
context lines (`-U0`), so a change rebased or cherry-picked onto other surrounding code keeps
its patch id; binary changes hash their content (`--binary`). Renames are not detected (a
move hashes as delete + add, the same way on every copy), which keeps this second diff cheap.
It runs in a background thread while the ingest parses the metadata log.

federation.git has no way yet to stream one command's output into another's stdin, so the
patch text is held in memory between the two calls (`git.run(..., input=...)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from federation import git

_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="patch-id")


def patch_log_args(tip: str, exclude: Iterable[str] = ()) -> list[str]:
    return [
        "log",
        "-p",
        "-U0",
        "--no-renames",
        "--binary",
        "--no-merges",
        "--no-color",
        "--no-notes",
        "--no-ext-diff",
        "--no-textconv",
        "--format=commit %H",
        tip,
        *(f"^{sha}" for sha in exclude),
        "--",
    ]


def patch_ids(repo: Path, tip: str, exclude: Iterable[str] = (), *, timeout=None) -> dict:
    """{commit sha: patch id}; commits without a textual change (empty, pure mode) are absent."""
    patches = git.run(patch_log_args(tip, exclude), repo=repo, timeout=timeout).stdout
    if not patches.strip():
        return {}
    out = git.run(["patch-id", "--stable"], input=patches, timeout=timeout).stdout
    return parse_patch_ids(out)


def parse_patch_ids(out: bytes) -> dict[str, str]:
    ids = {}
    for line in out.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2:
            ids[parts[1]] = parts[0]
    return ids


def patch_ids_async(repo: Path, tip: str, exclude: Iterable[str] = (), *, timeout=None) -> Future:
    return _pool.submit(patch_ids, repo, tip, list(exclude), timeout=timeout)
