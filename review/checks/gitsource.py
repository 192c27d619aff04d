"""Every git call the screening makes, in one place.

Until ``federation/git.py`` exists this module is the screening's only way to run git. All
calls use an argument list (never a shell), carry a timeout, and run with
``GIT_TERMINAL_PROMPT=0``, ``LC_ALL=C`` and ``GIT_NO_REPLACE_OBJECTS=1`` (replace refs would
make us screen something other than what gets pushed). Shas are validated before use.

Three plumbing commands do all the work:

* ``git ls-tree -r -z -l <sha>``: the tree that would be published, with sizes;
* ``git log --raw -z --reverse <sha>``: every commit reachable, its message, and the blobs
  each commit introduced (so each historical blob gets the commit that introduced it);
* one long-running ``git cat-file --batch`` process that reads blob and commit contents.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import RepositoryUnreadable

SHA_RE = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
DEFAULT_TIMEOUT = 120.0
NULL_SHA_RE = re.compile(r"^0+$")
_CHUNK = 1 << 16


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
        GIT_NO_REPLACE_OBJECTS="1",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_OPTIONAL_LOCKS="0",
    )
    return env


def validate_sha(sha: str) -> str:
    if not isinstance(sha, str) or not SHA_RE.match(sha):
        raise ValueError(f"not a full lowercase commit sha: {sha!r}")
    return sha


def git_dir_of(repo: str | os.PathLike[str]) -> Path:
    """Accept a bare repository or a working tree; return the git directory."""
    path = Path(repo)
    dotgit = path / ".git"
    return dotgit if dotgit.is_dir() else path


def _base(git_dir: Path) -> list[str]:
    return ["git", "--git-dir", str(git_dir), "-c", "core.quotePath=false"]


def run_git(
    git_dir: Path, args: list[str], *, timeout: float = DEFAULT_TIMEOUT, input_: bytes | None = None
) -> bytes:
    """Run one short git command; raise RepositoryUnreadable with git's reason on failure."""
    cmd = _base(git_dir) + args
    try:
        proc = subprocess.run(
            cmd,
            input=input_,
            capture_output=True,
            timeout=timeout,
            env=git_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise RepositoryUnreadable(f"git {args[0]} timed out after {timeout:.0f}s") from exc
    except OSError as exc:
        raise RepositoryUnreadable(f"cannot run git: {exc}") from exc
    if proc.returncode != 0:
        reason = proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        raise RepositoryUnreadable(f"git {args[0]} failed: {reason}")
    return proc.stdout


def check_commit(git_dir: Path, sha: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Fail early, with a reason, when the repository or the commit cannot be read."""
    if not git_dir.exists():
        raise RepositoryUnreadable(f"no such directory: {git_dir}")
    validate_sha(sha)
    run_git(git_dir, ["rev-parse", "--git-dir"], timeout=timeout)  # "not a git repository"
    try:
        out = run_git(git_dir, ["cat-file", "-t", sha], timeout=timeout).strip()
    except RepositoryUnreadable as exc:
        raise RepositoryUnreadable(f"commit {sha} not found in {git_dir}: {exc.reason}") from exc
    if out != b"commit":
        raise RepositoryUnreadable(f"{sha} is a {out.decode()}, not a commit")


def resolve_commit(repo: str | os.PathLike[str], rev: str, *, timeout: float = 30.0) -> str:
    """Turn a revision (branch, tag, short sha) into a full commit sha."""
    git_dir = git_dir_of(repo)
    out = run_git(
        git_dir,
        ["rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        timeout=timeout,
    )
    return validate_sha(out.decode().strip())


@dataclass(frozen=True)
class TreeEntry:
    path: str
    oid: str
    mode: str
    kind: str  # blob | commit (submodule)
    size: int | None


def ls_tree(git_dir: Path, sha: str, *, timeout: float = DEFAULT_TIMEOUT) -> list[TreeEntry]:
    out = run_git(
        git_dir, ["ls-tree", "-r", "-z", "-l", "--full-tree", validate_sha(sha)], timeout=timeout
    )
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, kind, oid, size = meta.decode().split(maxsplit=3)
        size = size.strip()
        entries.append(
            TreeEntry(
                path=raw_path.decode("utf-8", "surrogateescape"),
                oid=oid,
                mode=mode,
                kind=kind,
                size=int(size) if size.isdigit() else None,
            )
        )
    return entries


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class Introduction:
    """A blob appearing in a commit's diff (against its first parent, or the empty tree)."""

    oid: str
    mode: str
    path: str
    commit: str


class _Deadline:
    """Kills a process that makes no progress for ``timeout`` seconds (one watchdog thread)."""

    def __init__(self, proc: subprocess.Popen, timeout: float):
        self.proc = proc
        self.timeout = timeout
        self.last = time.monotonic()
        self.busy = False
        self.fired = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def touch(self, busy: bool) -> None:
        self.last = time.monotonic()
        self.busy = busy

    def _watch(self) -> None:
        step = min(1.0, self.timeout / 4)
        while not self._stop.wait(step):
            if self.busy and time.monotonic() - self.last > self.timeout:
                self.fired = True
                self.proc.kill()
                return

    def stop(self) -> None:
        self._stop.set()


def iter_history(
    git_dir: Path, sha: str, *, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[CommitInfo | Introduction]:
    """Stream every commit reachable from ``sha`` (oldest first) and the blobs it introduced.

    Yields a CommitInfo, then that commit's Introductions. Merges are diffed against their first
    parent, so blobs created while resolving a merge are seen too; blobs that came from a side
    branch are attributed to the side-branch commit, which is listed earlier.
    """
    args = _base(git_dir) + [
        "log",
        "--raw",
        "-z",
        "--no-renames",
        "--no-abbrev",
        "--root",
        "--reverse",
        "--topo-order",
        "--diff-merges=first-parent",
        "--no-textconv",
        "--no-ext-diff",
        "--format=%x01%H%x00%P%x00%B",
        validate_sha(sha),
        "--",
    ]
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=err, env=git_env())
        watchdog = _Deadline(proc, timeout)
        watchdog.touch(True)
        try:
            yield from _parse_log(_nul_tokens(proc.stdout, watchdog))
            proc.wait(timeout=timeout)
        finally:
            watchdog.stop()
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()
        if watchdog.fired:
            raise RepositoryUnreadable(f"git log made no progress for {timeout:.0f}s")
        if proc.returncode != 0:
            err.seek(0)
            reason = err.read().decode("utf-8", "replace").strip()
            raise RepositoryUnreadable(f"git log failed: {reason or proc.returncode}")


def _nul_tokens(stream, watchdog: _Deadline) -> Iterator[bytes]:
    pending = b""
    while True:
        chunk = stream.read1(_CHUNK)
        watchdog.touch(True)
        if not chunk:
            break
        pending += chunk
        *tokens, pending = pending.split(b"\0")
        yield from tokens
    if pending:
        yield pending


def _parse_log(tokens: Iterator[bytes]) -> Iterator[CommitInfo | Introduction]:
    commit = None
    for token in tokens:
        if token.startswith(b"\x01"):
            commit = token[1:].decode()
            parents = tuple(next(tokens, b"").decode().split())
            message = next(tokens, b"").decode("utf-8", "replace")
            yield CommitInfo(sha=commit, parents=parents, message=message)
            continue
        head = token.lstrip(b"\n")
        if not head.startswith(b":"):
            continue
        path = next(tokens, b"").decode("utf-8", "surrogateescape")
        _old_mode, new_mode, _old, new, status = head[1:].decode().split()
        if status.startswith("D") or NULL_SHA_RE.match(new) or commit is None:
            continue
        yield Introduction(oid=new, mode=new_mode, path=path, commit=commit)


@dataclass
class BlobData:
    oid: str
    kind: str
    size: int
    data: bytes  # the first ``cap`` bytes (only the probe when binary)
    truncated: bool  # the object is larger than ``cap``
    binary: bool = False  # a NUL byte showed up in the probe


class CatFile:
    """One ``git cat-file --batch`` process for the whole screening.

    ``read(oid, cap)`` returns at most ``cap`` bytes of content and drains the rest of the object
    from the pipe without keeping it, so a huge blob costs time, not memory. ``reads`` counts
    object reads (tests use it to prove each blob is read once).
    """

    def __init__(self, git_dir: Path, *, timeout: float = DEFAULT_TIMEOUT):
        self._err = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        try:
            self.proc = subprocess.Popen(
                _base(git_dir) + ["cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._err,
                env=git_env(),
            )
        except OSError as exc:
            self._err.close()
            raise RepositoryUnreadable(f"cannot run git: {exc}") from exc
        self._watchdog = _Deadline(self.proc, timeout)
        self.timeout = timeout
        self.reads = 0
        self.bytes_read = 0

    def read(self, oid: str, cap: int, *, binary_probe: int = 0) -> BlobData:
        """Read one object, keeping at most ``cap`` bytes. If ``binary_probe`` > 0 and a NUL
        byte shows in that many leading bytes, only the probe is kept (binaries are not scanned
        as text)."""
        self.reads += 1
        self._watchdog.touch(True)
        try:
            self.proc.stdin.write(oid.encode() + b"\n")
            self.proc.stdin.flush()
            header = self.proc.stdout.readline()
            parts = header.split()
            if len(parts) != 3:
                reason = header.decode("utf-8", "replace").strip() or self._stderr()
                raise RepositoryUnreadable(f"cannot read object {oid}: {reason or 'git exited'}")
            kind, size = parts[1].decode(), int(parts[2])
            keep = min(size, cap)
            binary = False
            if binary_probe and keep > binary_probe:
                data = self._read_exact(binary_probe)
                binary = b"\0" in data
                if not binary:
                    data += self._read_exact(keep - binary_probe)
            else:
                data = self._read_exact(keep)
                binary = b"\0" in data[:binary_probe] if binary_probe else False
            self._drain(size - len(data))
            if self.proc.stdout.read(1) != b"\n":
                raise RepositoryUnreadable(f"cat-file stream out of sync after {oid}")
        except (BrokenPipeError, ValueError, OSError) as exc:
            raise RepositoryUnreadable(self._died(f"cat-file failed on {oid}: {exc}")) from exc
        finally:
            self._watchdog.touch(False)
        self.bytes_read += size
        return BlobData(
            oid=oid, kind=kind, size=size, data=data, truncated=size > cap, binary=binary
        )

    def _read_exact(self, n: int) -> bytes:
        data = self.proc.stdout.read(n) if n else b""
        if len(data) != n:
            raise RepositoryUnreadable(self._died("cat-file ended early"))
        return data

    def _drain(self, n: int) -> None:
        while n > 0:
            chunk = self.proc.stdout.read(min(n, 1 << 20))
            if not chunk:
                raise RepositoryUnreadable(self._died("cat-file ended early"))
            n -= len(chunk)
            self._watchdog.touch(True)

    def _died(self, what: str) -> str:
        if self._watchdog.fired:
            return f"cat-file made no progress for {self.timeout:.0f}s"
        reason = self._stderr()
        return f"{what}: {reason}" if reason else what

    def _stderr(self) -> str:
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace").strip()

    def close(self) -> None:
        self._watchdog.stop()
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self._err.close()

    def __enter__(self) -> CatFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def commit_message(raw: bytes) -> str:
    """The message part of a raw commit object."""
    _, _, message = raw.partition(b"\n\n")
    return message.decode("utf-8", "replace")


def commit_parents(raw: bytes) -> tuple[str, ...]:
    head, _, _ = raw.partition(b"\n\n")
    return tuple(
        line.split()[1].decode() for line in head.splitlines() if line.startswith(b"parent ")
    )
