"""`git patch-id --stable` of given commits, in bulk.

Two ways, the same ids. `patch_ids_of`: ONE `git log --no-walk --stdin -p` over a known list of
commits, piped into ONE `git patch-id --stable`. `streamed_patch_ids`: commits named one by one
while the ingest's own `git log` is still running go to ONE `git diff-tree --stdin -p` (which
diffs each commit as it reads its name) streamed into ONE `git patch-id --stable`, so this
second diff runs beside the first instead of after it.
The diff uses no context lines (`-U0`), so a change rebased or cherry-picked onto other
surrounding code keeps its patch id; binary changes hash their content (`--binary`). Renames are
not detected (a move hashes as delete + add, the same way on every copy). The ingest asks only
for the commits whose numstat signature does not already tell them apart
(incentives.signatures), so this is a small fraction of a range.

`patch_ids_of` holds the patch text in memory between its two calls (`git.run(...,
input=...)`); the stream relays it from one process to the other with a thread.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path

from federation import git, gitpipe

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


# the same diff as DIFF_ARGS, per commit named on stdin (`--root`: a root commit against nothing)
DIFF_TREE_ARGS = (
    "diff-tree",
    "--stdin",
    "--root",
    "-p",
    "-U0",
    "--no-renames",
    "--binary",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
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


class PatchIdStream:
    """Send commits with `add(sha)` while other work goes on; `end()` says nothing more comes
    (the processes finish the last ones while the caller goes on); `finish()` waits for them
    and returns {sha: patch id}. `sent` is every sha added (a sent commit without an id has an
    empty diff, as with patch_ids_of). The two git processes start at the first `add`."""

    def __init__(self, repo: Path, stack: ExitStack, timeout=None):
        self.sent: set[str] = set()
        self._repo, self._stack, self._timeout = repo, stack, timeout
        self._stdin = None
        self._out: list[bytes] = []
        self._threads: list[threading.Thread] = []
        self._ids: dict[str, str] | None = None
        self._ended = False

    def _start(self) -> None:
        diff = self._stack.enter_context(
            gitpipe.pipe(DIFF_TREE_ARGS, repo=self._repo, writable=True, timeout=self._timeout)
        )
        ids = self._stack.enter_context(
            gitpipe.pipe(["patch-id", "--stable"], writable=True, timeout=self._timeout)
        )
        self._stdin = diff.stdin
        self._threads = [
            threading.Thread(target=_relay, args=(diff.stdout, ids.stdin), daemon=True),
            threading.Thread(target=_collect, args=(ids.stdout, self._out), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def add(self, sha: str) -> None:
        if sha in self.sent:
            return
        if self._ended:
            raise RuntimeError("the stream is ended")
        git.validate_sha(sha)
        if self._stdin is None:
            self._start()
        self.sent.add(sha)
        self._stdin.write(f"{sha}\n".encode("ascii"))

    def end(self) -> None:
        if not self._ended:
            self._ended = True
            if self._stdin is not None:
                with suppress(BrokenPipeError):  # git stopped reading: its exit status tells why
                    self._stdin.close()

    def finish(self) -> dict[str, str]:
        if self._ids is None:
            self.end()
            if self._stdin is not None:
                for t in self._threads:
                    t.join()
            self._ids = parse_patch_ids(b"".join(self._out))
        return self._ids


def _relay(source, target) -> None:
    with suppress(OSError, ValueError):  # either side gone: the exit statuses tell why
        shutil.copyfileobj(source, target, gitpipe.BUFFER)
    with suppress(OSError, ValueError):
        target.close()


def _collect(source, out: list[bytes]) -> None:
    with suppress(OSError, ValueError):  # killed: the exit status tells why
        out.append(source.read())


@contextmanager
def streamed_patch_ids(repo: Path, *, timeout=None) -> Iterator[PatchIdStream]:
    """A PatchIdStream over `repo` for the length of the block (git errors raise at its end;
    leaving it by an exception kills both processes)."""
    with ExitStack() as stack:
        stream = PatchIdStream(repo, stack, timeout)
        yield stream
        stream.finish()
