"""Small, deterministic project histories for the demo, written with `git fast-import`.

A commit may revert an earlier one (`reverts` is that commit's index in the list): its message
then names the reverted sha, as `git revert` writes it, so the history is imported in segments
and the sha is read from the marks of the segment before.
"""

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from federation import git
from federation.git import GitCredentials

REVERT_MESSAGE = 'Revert "{subject}"\n\nThis reverts commit {sha}.\n'


@dataclass
class DemoCommit:
    author: tuple[str, str]  # (name, email)
    when: dt.datetime
    message: str
    files: dict[str, str] = field(default_factory=dict)  # path -> content ("" deletes)
    reverts: int | None = None  # index of the commit this one reverts


def _commit_stream(mark: int, c: DemoCommit, message: str, branch: str) -> bytes:
    stamp = f"{int(c.when.timestamp())} +0900"
    msg = message.encode()
    out = [f"commit refs/heads/{branch}\nmark :{mark}\n".encode()]
    who = f"{c.author[0]} <{c.author[1]}> {stamp}\n".encode()
    out.append(b"author " + who + b"committer " + who)
    out.append(f"data {len(msg)}\n".encode() + msg + b"\n")
    if mark > 1:
        out.append(f"from :{mark - 1}\n".encode())
    for path, content in c.files.items():
        if content == "":
            out.append(f"D {path}\n".encode())
        else:
            data = content.encode()
            out.append(f"M 100644 inline {path}\ndata {len(data)}\n".encode() + data + b"\n")
    out.append(b"\n")
    return b"".join(out)


def fast_import_stream(commits: list[DemoCommit], branch: str = "main", first: int = 1) -> bytes:
    """The stream for commits without reverts (marks start at `first`)."""
    return b"".join(
        _commit_stream(mark, c, c.message, branch) for mark, c in enumerate(commits, start=first)
    )


def _read_marks(path: Path) -> dict[int, str]:
    out = {}
    for line in path.read_text().splitlines():
        mark, sha = line.split()
        out[int(mark.lstrip(":"))] = sha
    return out


def build_history(repo: Path, commits: list[DemoCommit], branch: str = "main") -> str:
    """Import `commits` into the bare repository `repo` on `branch`; returns the tip sha."""
    marks = repo / "demo-marks"
    options = [f"--export-marks={marks}"]
    segment: list[tuple[int, bytes]] = []

    def flush():
        if segment:
            stream = b"".join(chunk for _, chunk in segment)
            extra = [f"--import-marks={marks}"] if marks.exists() else []
            git.run(["fast-import", "--quiet", *extra, *options], repo=repo, input=stream)
            segment.clear()

    for mark, c in enumerate(commits, start=1):
        message = c.message
        if c.reverts is not None:
            flush()
            reverted = commits[c.reverts]
            sha = _read_marks(marks)[c.reverts + 1]
            message = REVERT_MESSAGE.format(subject=reverted.message.splitlines()[0], sha=sha)
        segment.append((mark, _commit_stream(mark, c, message, branch)))
    flush()
    marks.unlink(missing_ok=True)
    return git.run(["rev-parse", f"refs/heads/{branch}"], repo=repo).text.strip()


def push_history(url: str, credentials: GitCredentials, commits: list[DemoCommit]) -> str:
    """Build the history in a scratch bare repository and push it to `url`'s main branch."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "demo.git"
        git.run(["init", "--bare", "-q", "-b", "main", str(repo)])
        tip = build_history(repo, commits)
        git.run(["push", "--quiet", "--end-of-options", url, "refs/heads/main:refs/heads/main"],
                repo=repo, credentials=credentials)  # fmt: skip
        return tip
