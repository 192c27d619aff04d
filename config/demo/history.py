"""Small, deterministic project histories for the demo, written with one `git fast-import`."""

import datetime as dt
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from federation import git
from federation.git import GitCredentials


@dataclass
class DemoCommit:
    author: tuple[str, str]  # (name, email)
    when: dt.datetime
    message: str
    files: dict[str, str] = field(default_factory=dict)  # path -> content ("" deletes)


def fast_import_stream(commits: list[DemoCommit], branch: str = "main") -> bytes:
    out = []
    for mark, c in enumerate(commits, start=1):
        stamp = f"{int(c.when.timestamp())} +0900"
        msg = c.message.encode()
        out.append(f"commit refs/heads/{branch}\nmark :{mark}\n".encode())
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


def push_history(url: str, credentials: GitCredentials, commits: list[DemoCommit]) -> str:
    """Build the history in a scratch bare repository and push it to `url`'s main branch."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "demo.git"
        git.run(["init", "--bare", "-q", "-b", "main", str(repo)])
        git.run(["fast-import", "--quiet"], repo=repo, input=fast_import_stream(commits))
        git.run(["push", "--quiet", "--end-of-options", url, "refs/heads/main:refs/heads/main"],
                repo=repo, credentials=credentials)  # fmt: skip
        return git.run(["rev-parse", "refs/heads/main"], repo=repo).text.strip()
