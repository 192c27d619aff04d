"""The bare-repository cache: one bare mirror per project, updated incrementally.

Every mirror is `<cache_dir>/<key>.git`. Writes to a mirror (init, fetch, gc, update-ref) hold
its file lock (federation.git.repo_lock); different mirrors never block each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from federation import git
from federation.git import Credentials, repo_lock, validate_refspec, validate_remote_url

__all__ = [
    "MirrorUpdate",
    "PushedRef",
    "RefChange",
    "cache_dir",
    "ensure_mirror",
    "gc",
    "list_refs",
    "lock",
    "ls_remote",
    "mirror_path",
    "push",
]

FETCH_REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
_KEY_PART = re.compile(r"\A[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\Z")
ZERO_SHA = "0" * 40


@dataclass(frozen=True)
class RefChange:
    ref: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class MirrorUpdate:
    path: Path
    created: bool
    old: dict[str, str] = field(default_factory=dict)
    new: dict[str, str] = field(default_factory=dict)

    @property
    def changes(self) -> list[RefChange]:
        """Refs that appeared, moved or disappeared, sorted by name."""
        names = sorted(set(self.old) | set(self.new))
        return [
            RefChange(n, self.old.get(n), self.new.get(n))
            for n in names
            if self.old.get(n) != self.new.get(n)
        ]


@dataclass(frozen=True)
class PushedRef:
    ref: str
    # git's porcelain flag: " " fast-forward, "+" forced, "-" deleted, "*" new, "=" up to date,
    # "!" rejected
    flag: str
    summary: str


def cache_dir() -> Path:
    from django.conf import settings

    default = Path(getattr(settings, "VAR_DIR", Path.cwd() / "var")) / "git-cache"
    return Path(getattr(settings, "GIT_CACHE_DIR", default))


def mirror_path(key: str) -> Path:
    """`<cache_dir>/<key>.git`. A key is one or more `/`-separated parts of letters, digits,
    `_`, `.` and `-` (not starting with `.` or `-`), e.g. `gitlab/42` or `github/org/repo`."""
    parts = key.split("/") if isinstance(key, str) else []
    if not parts or not all(_KEY_PART.match(p) for p in parts):
        raise ValueError(f"invalid repository key: {key!r}")
    return cache_dir().joinpath(*parts[:-1], f"{parts[-1]}.git")


def lock(key: str, *, timeout: float | None = None):
    """The repository's lock as a context manager (raises git.RepoLocked after `timeout`)."""
    return repo_lock(mirror_path(key), timeout=timeout)


def _init(path: Path) -> bool:
    if (path / "HEAD").is_file():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    with repo_lock(path):
        if (path / "HEAD").is_file():
            return False
        git.run(["init", "--bare", "--quiet", "--", str(path)], lock=False)
        for key, value in (("core.logAllRefUpdates", "false"), ("gc.auto", "0")):
            git.run(["config", key, value], repo=path)
        return True


def list_refs(key_or_path: str | Path) -> dict[str, str]:
    """`{full ref name: sha}` of the branches and tags in a mirror (peeled tags excluded)."""
    path = key_or_path if isinstance(key_or_path, Path) else mirror_path(key_or_path)
    if not (path / "HEAD").is_file():
        return {}
    out = git.run(
        ["for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"],
        repo=path,
    ).text
    return dict(reversed(line.split(" ", 1)) for line in out.splitlines() if line)


def ensure_mirror(
    key: str, url: str, credentials: Credentials | None, *, timeout: float | None = None
) -> MirrorUpdate:
    """Create the mirror if needed and fetch branches and tags from `url` (pruning deleted ones).

    Returns the ref maps before and after the fetch; the lock is held from the first read of
    the old refs to the last read of the new ones.
    """
    validate_remote_url(url)
    path = mirror_path(key)
    created = _init(path)
    with repo_lock(path):
        old = list_refs(path)
        git.run(
            ["fetch", "--prune", "--no-tags", "--quiet", "--end-of-options", url, *FETCH_REFSPECS],
            repo=path,
            credentials=credentials,
            timeout=timeout,
        )
        new = list_refs(path)
        head = git.run(["symbolic-ref", "--quiet", "HEAD"], repo=path, check=False).text.strip()
        if new and head not in new:
            _set_head(path, url, credentials, new, timeout)
    return MirrorUpdate(path=path, created=created, old=old, new=new)


def _set_head(path, url, credentials, refs, timeout) -> None:
    """Point HEAD at the remote's default branch when it is known (keeps `git log` sane)."""
    out = git.run(
        ["ls-remote", "--symref", "--end-of-options", url, "HEAD"],
        credentials=credentials,
        timeout=timeout,
        check=False,
    ).text
    for line in out.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            target = line[5:-5]
            if target in refs:
                git.run(["symbolic-ref", "HEAD", target], repo=path)
            return


def ls_remote(
    url: str, credentials: Credentials | None, *, timeout: float | None = None
) -> dict[str, str]:
    """`{ref: sha}` of the remote's branches and tags (peeled `^{}` entries excluded)."""
    validate_remote_url(url)
    out = git.run(
        ["ls-remote", "--heads", "--tags", "--end-of-options", url],
        credentials=credentials,
        timeout=timeout,
    ).text
    refs = {}
    for line in out.splitlines():
        sha, _, ref = line.partition("\t")
        if ref and not ref.endswith("^{}"):
            refs[ref] = sha
    return refs


def push(
    key: str,
    url: str,
    credentials: Credentials | None,
    refspecs: list[str] | tuple[str, ...],
    *,
    force: bool = False,
    timeout: float | None = None,
) -> list[PushedRef]:
    """Push `refspecs` (`<src>:<refs/...>`, src a ref or a full sha) from the mirror to `url`.

    `force` prefixes every refspec with `+`. Raises GitError when any ref is rejected (the
    results are on the error as `.pushed`).
    """
    validate_remote_url(url)
    if not refspecs:
        raise ValueError("nothing to push")
    prefix = "+" if force else ""
    specs = [validate_refspec(s if s.startswith("+") else prefix + s) for s in refspecs]
    path = mirror_path(key)
    if not (path / "HEAD").is_file():
        raise git.GitNotFound(f"no mirror for {key}")
    result = git.run(
        ["push", "--porcelain", "--end-of-options", url, *specs],
        repo=path,
        credentials=credentials,
        timeout=timeout,
        check=False,
    )
    pushed = _parse_porcelain(result.text)
    if result.returncode != 0:
        try:
            result.check()
        except git.GitError as err:
            err.pushed = pushed
            raise
    return pushed


def _parse_porcelain(text: str) -> list[PushedRef]:
    pushed = []
    for line in text.splitlines():
        if len(line) > 2 and line[0] in " +-*=!" and line[1] == "\t":
            fields = line[2:].split("\t")
            dst = fields[0].rpartition(":")[2]
            pushed.append(PushedRef(dst, line[0], fields[1] if len(fields) > 1 else ""))
    return pushed


def gc(key: str, *, timeout: float | None = None) -> None:
    """Repack and prune the mirror (under its lock)."""
    path = mirror_path(key)
    if (path / "HEAD").is_file():
        git.run(["gc", "--quiet", "--prune=now"], repo=path, timeout=timeout)
