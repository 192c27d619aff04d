"""Which merge commit brought each commit onto the default branch."""

from __future__ import annotations

from incentives.gitlog import Commit


def landing_merges(commits: list[Commit], tip: str) -> dict[str, Commit | None]:
    """{sha: the first-parent-chain merge that brought it in, or None when the commit is on the
    first-parent chain itself (a direct push)}. Older merges claim commits first, so each
    commit maps to the merge that landed it. Only commits of the range are walked."""
    by_sha = {c.sha: c for c in commits}
    chain: list[Commit] = []
    sha = tip
    while sha in by_sha:
        commit = by_sha[sha]
        chain.append(commit)
        sha = commit.parents[0] if commit.parents else None
    on_chain = {c.sha for c in chain}
    merges_of: dict[str, Commit | None] = {}
    for merge in reversed(chain):
        merges_of[merge.sha] = None
        stack = list(merge.parents[1:])
        while stack:
            s = stack.pop()
            if s in merges_of or s in on_chain or s not in by_sha:
                continue
            merges_of[s] = merge
            stack.extend(by_sha[s].parents)
    return merges_of
