"""Which merge commit brought each commit onto the default branch, worked out as the log streams.

`git log --topo-order` prints every commit after all of its children, so by the time a commit
comes out, every commit of the range that reaches it has been seen. The commits on the tip's
first-parent chain land themselves (a direct push, or the merges). Any other commit was brought
in by the oldest chain merge that reaches it without passing through the chain: its children
told it, and it tells its own parents.
"""

from __future__ import annotations

from incentives.gitlog import Commit


class Landings:
    """`see(commit)` each commit in `git log --topo-order` order (children first); it returns
    the chain merge that landed the commit, or None when the commit is on the first-parent
    chain itself."""

    def __init__(self, tip: str):
        self._chain: dict[str, int] = {tip: 0}  # sha -> position on the chain, the tip first
        self._claims: dict[str, tuple[int, Commit]] = {}  # sha -> (position, merge) so far

    def see(self, commit: Commit) -> Commit | None:
        position = self._chain.pop(commit.sha, None)
        if position is not None:
            self._claims.pop(commit.sha, None)  # an off-chain child reached a chain commit
            parents = commit.parents
            if parents:
                self._chain[parents[0]] = position + 1
                for parent in parents[1:]:
                    self._claim(parent, position, commit)
            return None
        claim = self._claims.pop(commit.sha, None)
        if claim is None:  # never reached: not in `git log --topo-order` order
            return None
        for parent in commit.parents:
            self._claim(parent, *claim)
        return claim[1]

    def _claim(self, sha: str, position: int, merge: Commit) -> None:
        """Older merges (further down the chain) win."""
        held = self._claims.get(sha)
        if held is None or held[0] < position:
            self._claims[sha] = (position, merge)
