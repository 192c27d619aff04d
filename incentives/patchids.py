"""`git patch-id --stable` of given commits, in bulk.

ONE `git log --no-walk --stdin -p` over the commits is piped into ONE `git patch-id --stable`.
The diff uses no context lines (`-U0`), so a change rebased or cherry-picked onto other
surrounding code keeps its patch id; binary changes hash their content (`--binary`). Renames are
not detected (a move hashes as delete + add, the same way on every copy). The ingest asks only
for the commits whose numstat signature does not already tell them apart
(incentives.signatures), so this is a small fraction of a range.

federation.git has no way yet to stream one command's output into another's stdin, so the
patch text is held in memory between the two calls (`git.run(..., input=...)`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from federation import git

DIFF_ARGS = (
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
)


def parse_patch_ids(out: bytes) -> dict[str, str]:
    ids = {}
    for line in out.decode("ascii", "replace").splitlines():
        parts = line.split()
        if len(parts) == 2:
            ids[parts[1]] = parts[0]
    return ids


def patch_ids_of(repo: Path, shas: Iterable[str], *, timeout=None) -> dict[str, str]:
    """{commit sha: patch id} of exactly the given commits (one `git log --no-walk --stdin`);
    shas the repository does not have are skipped, so the caller can look elsewhere."""
    wanted = sorted(set(shas))
    if not wanted:
        return {}
    for sha in wanted:
        git.validate_sha(sha)
    present = present_commits(repo, wanted, timeout=timeout)
    if not present:
        return {}
    patches = git.run(
        ["log", "--no-walk=unsorted", "--stdin", *DIFF_ARGS, "--"],
        repo=repo,
        input="".join(f"{sha}\n" for sha in present).encode(),
        timeout=timeout,
    ).stdout
    if not patches.strip():
        return {}
    out = git.run(["patch-id", "--stable"], input=patches, timeout=timeout).stdout
    return parse_patch_ids(out)


def present_commits(repo: Path, shas: list[str], *, timeout=None) -> list[str]:
    """The shas among `shas` that name commits in `repo` (one `git cat-file --batch-check`)."""
    out = git.run(
        ["cat-file", "--batch-check=%(objectname) %(objecttype)"],
        repo=repo,
        input="".join(f"{sha}\n" for sha in shas).encode(),
        timeout=timeout,
    ).text
    return [line.split()[0] for line in out.splitlines() if line.endswith(" commit")]
