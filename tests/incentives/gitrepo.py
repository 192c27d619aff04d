"""A small builder of real git histories for the incentives tests (subprocess, tests only)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
}


def lines(n: int, tag: str = "line") -> str:
    return "".join(f"{tag} {i}\n" for i in range(n))


class Repo:
    """A work tree on branch `main`. Dates are ISO strings ("2025-03-03T10:00:00+09:00")."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, env: dict | None = None, input: bytes | None = None) -> str:
        out = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env={**ENV, "HOME": str(self.path), **(env or {})},
            input=input,
            capture_output=True,
            check=True,
        )
        return out.stdout.decode("utf-8", "replace").strip()

    def _env(self, author, date, committer=None, commit_date=None) -> dict:
        committer = committer or author
        return {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_COMMITTER_DATE": commit_date or date,
        }

    def write(self, files: dict[str, str | None]) -> None:
        for name, text in files.items():
            target = self.path / name
            if text is None:
                self.git("rm", "-q", "--", name)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            self.git("add", "--", name)

    def commit(
        self,
        files: dict[str, str | None],
        *,
        author: tuple[str, str],
        date: str,
        message: str = "change",
        committer: tuple[str, str] | None = None,
        commit_date: str | None = None,
        allow_empty: bool = False,
    ) -> str:
        self.write(files)
        args = ["commit", "-q", "--no-verify", "-m", message]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, env=self._env(author, date, committer, commit_date))
        return self.head()

    def head(self, ref: str = "HEAD") -> str:
        return self.git("rev-parse", ref)

    def checkout(self, branch: str, *, new: bool = False, at: str | None = None) -> None:
        if new:
            self.git("checkout", "-q", "-b", branch, *([at] if at else []))
        else:
            self.git("checkout", "-q", branch)

    def merge(self, branch: str, *, by: tuple[str, str], date: str, message: str = "") -> str:
        message = message or f"Merge branch '{branch}'"
        self.git("merge", "-q", "--no-ff", "-m", message, branch, env=self._env(by, date))
        return self.head()

    def revert(self, sha: str, *, author: tuple[str, str], date: str) -> str:
        self.git("revert", "--no-edit", sha, env=self._env(author, date))
        return self.head()

    def cherry_pick(self, sha: str, *, committer: tuple[str, str], date: str) -> str:
        env = self._env(committer, date)
        for key in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE"):
            env.pop(key)
        self.git("cherry-pick", sha, env=env)
        return self.head()

    def raw_commit(self, content: bytes, *, ref: str = "refs/heads/main") -> str:
        """Write a commit object byte for byte (for malformed ones) and move `ref` to it."""
        sha = self.git("hash-object", "-t", "commit", "-w", "--literally", "--stdin", input=content)
        self.git("update-ref", ref, sha)
        self.git("reset", "-q", "--hard", sha)
        return sha

    def tree(self, rev: str = "HEAD") -> str:
        return self.git("rev-parse", f"{rev}^{{tree}}")
