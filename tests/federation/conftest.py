"""Shared helpers for the federation plumbing tests: temp git cache and commit builders."""

from __future__ import annotations

import time

import pytest

from federation import git, repos

IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.org",
    "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.org",
    "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
}


def make_commit(repo, files, *, parent=None, message="change", ref="refs/heads/main"):
    """Write `files` ({name: bytes}) as a one-level tree and commit it onto `ref` in a bare repo."""
    entries = []
    for name, data in sorted(files.items()):
        blob = git.run(["hash-object", "-w", "--stdin"], repo=repo, input=data).text.strip()
        entries.append(f"100644 blob {blob}\t{name}")
    tree = git.run(["mktree"], repo=repo, input=("\n".join(entries) + "\n").encode()).text.strip()
    args = ["commit-tree", tree, "-m", message]
    if parent:
        args += ["-p", parent]
    sha = git.run(args, repo=repo, env=IDENTITY).text.strip()
    if ref:
        git.run(["update-ref", ref, sha], repo=repo)
    return sha


def make_history(repo, n, *, ref="refs/heads/main", prefix="c"):
    parent = None
    for i in range(n):
        parent = make_commit(repo, {"f.txt": f"{prefix}{i}\n".encode()}, parent=parent, ref=None)
    git.run(["update-ref", ref, parent], repo=repo)
    return parent


@pytest.fixture
def git_cache(tmp_path, settings):
    settings.GIT_CACHE_DIR = str(tmp_path / "cache")
    return tmp_path / "cache"


@pytest.fixture
def bare_repo(tmp_path):
    path = tmp_path / "work.git"
    git.run(["init", "--bare", "--quiet", "--", str(path)])
    return path


class Sleeps(list):
    """Records the waits the retry policy asks for, and really sleeps them (they are short)."""

    def __call__(self, seconds):
        self.append(seconds)
        time.sleep(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


def seed_mirror(key, n=3, *, tags=(), branch="main"):
    """A local bare mirror `key` with `n` commits on `branch` and lightweight `tags` at the tip."""
    path = repos.mirror_path(key)
    repos._init(path)
    head = make_history(path, n, ref=f"refs/heads/{branch}", prefix=key)
    for tag in tags:
        git.run(["update-ref", f"refs/tags/{tag}", head], repo=path)
    return path, head
