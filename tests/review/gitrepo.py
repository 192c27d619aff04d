"""A tiny builder for real git repositories in temporary folders (tests only)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path


def _env(n: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    stamp = f"{1_700_000_000 + n * 60} +0900"
    env.update(
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Kim Tester",
        GIT_AUTHOR_EMAIL="kim@example.org",
        GIT_COMMITTER_NAME="Kim Tester",
        GIT_COMMITTER_EMAIL="kim@example.org",
        GIT_AUTHOR_DATE=stamp,
        GIT_COMMITTER_DATE=stamp,
        LC_ALL="C",
    )
    return env


class GitRepo:
    """Write files, delete them, commit; every commit returns its sha."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.commits: list[str] = []
        self._gitlinks: dict[str, str] = {}
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, input_: bytes | None = None) -> str:
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=_env(len(self.commits)),
            input=input_,
            capture_output=True,
            check=True,
            timeout=60,
        )
        return proc.stdout.decode().strip()

    def write(self, path: str, content: str | bytes, *, executable: bool = False) -> GitRepo:
        target = self.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        target.write_bytes(content)
        if executable:
            target.chmod(0o755)
        return self

    def delete(self, path: str) -> GitRepo:
        self._gitlinks.pop(path, None)
        self.git("rm", "-q", "-r", "--", path)
        return self

    def symlink(self, path: str, target: str) -> GitRepo:
        link = self.path / path
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
        return self

    def submodule(self, path: str, sha: str, url: str = "https://example.org/lib.git") -> GitRepo:
        """A gitlink entry (mode 160000) without cloning anything."""
        self.write(".gitmodules", f'[submodule "{path}"]\n\tpath = {path}\n\turl = {url}\n')
        self._gitlinks[path] = sha
        return self

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        for path, sha in self._gitlinks.items():  # "add -A" drops gitlinks without a checkout
            self.git("update-index", "--add", "--cacheinfo", f"160000,{sha},{path}")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        sha = self.git("rev-parse", "HEAD")
        self.commits.append(sha)
        return sha

    @property
    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def bare_clone(self, dest: Path) -> Path:
        subprocess.run(
            ["git", "clone", "-q", "--bare", str(self.path), str(dest)],
            env=_env(0),
            check=True,
            capture_output=True,
            timeout=60,
        )
        return dest

    def all_blobs(self, rev: str = "HEAD") -> set[str]:
        out = self.git("rev-list", "--objects", rev)
        oids = [line.split()[0] for line in out.splitlines()]
        kinds = self.git(
            "cat-file", "--batch-check=%(objecttype) %(objectname)", input_="\n".join(oids).encode()
        )
        return {line.split()[1] for line in kinds.splitlines() if line.startswith("blob ")}

    def tree_blobs(self, rev: str = "HEAD") -> set[str]:
        out = self.git("ls-tree", "-r", rev)
        return {line.split()[2] for line in out.splitlines() if line.split()[1] == "blob"}
