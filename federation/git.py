"""The one way to run git.

- An argument list, never a shell; every call has a timeout (the whole process group is killed).
- A clean environment: no prompts, no askpass, no system/global config, `LC_ALL=C`, only the
  http(s) transports, no redirects.
- Credentials travel in the environment as an `http.extraHeader` (GIT_CONFIG_COUNT/KEY/VALUE),
  never in argv or in a URL; stderr and messages are scrubbed of them.
- Errors are typed; a command that changes a repository holds that repository's file lock.
"""

from __future__ import annotations

import base64
import fcntl
import logging
import os
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from federation.errors import (
    GitAuthError,
    GitError,
    GitNotFound,
    GitTimeout,
    RefNotFound,
    RepoLocked,
    classify_git_stderr,
)
from federation.gitrefs import (
    DisallowedURL,
    InvalidRef,
    InvalidSha,
    validate_ref,
    validate_refspec,
    validate_remote_url,
    validate_sha,
)

__all__ = [
    "DisallowedURL",
    "GitAuthError",
    "GitCredentials",
    "GitError",
    "GitNotFound",
    "GitResult",
    "GitTimeout",
    "InvalidRef",
    "InvalidSha",
    "RefNotFound",
    "RepoLocked",
    "git_env",
    "repo_lock",
    "run",
    "stream",
    "validate_ref",
    "validate_refspec",
    "validate_remote_url",
    "validate_sha",
]

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0
DEFAULT_LOCK_TIMEOUT = 30.0
PIPE_SIZE = 1 << 20  # what an unprivileged process may ask for (fs.pipe-max-size)

# Subcommands that never change the repository they run in; anything else takes the lock.
# fmt: off
READ_ONLY = frozenset({
    "cat-file", "count-objects", "diff", "diff-tree", "for-each-ref", "grep", "log", "ls-remote",
    "ls-tree", "merge-base", "name-rev", "rev-list", "rev-parse", "show", "show-ref",
    "verify-commit", "verify-tag", "version",
})
# fmt: on


class Credentials(Protocol):
    username: str
    token: str


@dataclass(frozen=True)
class GitCredentials:
    username: str
    token: str = field(repr=False)


@dataclass(frozen=True)
class GitResult:
    args: list[str]
    returncode: int
    stdout: bytes
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    def check(self) -> GitResult:
        """Raise the typed error for a non-zero exit (for calls made with check=False)."""
        if self.returncode != 0:
            raise _error(self.args, self.returncode, self.stderr)
        return self


def _setting(name: str, default):
    from django.conf import settings

    return getattr(settings, name, default)


_home_lock = threading.Lock()
_home: str | None = None


def _neutral_home() -> str:
    """An empty private directory used as HOME and as the working directory of git."""
    global _home
    with _home_lock:
        if _home is None or not os.path.isdir(_home):
            _home = tempfile.mkdtemp(prefix="osp-git-home-")
        return _home


def _auth_header(creds: Credentials) -> str:
    raw = f"{creds.username}:{creds.token}".encode()
    return "Authorization: Basic " + base64.b64encode(raw).decode("ascii")


# The only variables a caller may add: identities, dates and a scratch index for commit-tree.
# fmt: off
EXTRA_ENV = frozenset({
    "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
    "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "GIT_INDEX_FILE",
})
# fmt: on


def git_env(
    credentials: Credentials | None = None, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The whole environment of a git child: nothing inherited but PATH (+ allowed `extra`)."""
    bad = set(extra or ()) - EXTRA_ENV
    if bad:
        raise ValueError(f"environment variables not allowed: {sorted(bad)}")
    home = _neutral_home()
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "HOME": home,
        "XDG_CONFIG_HOME": home,
        "LC_ALL": "C",
        "LANG": "C",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CEILING_DIRECTORIES": home,
        "GIT_ALLOW_PROTOCOL": "http:https",
        "GIT_PROTOCOL_FROM_USER": "0",
    }
    config = [
        ("credential.helper", ""),
        ("http.followRedirects", "false"),
        ("core.hooksPath", os.devnull),
        ("gc.auto", "0"),
    ]
    if credentials is not None:
        config.append(("http.extraHeader", _auth_header(credentials)))
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for i, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{i}"] = key
        env[f"GIT_CONFIG_VALUE_{i}"] = value
    env.update(extra or {})
    return env


_URL_USERINFO = re.compile(r"(\w+://)[^/@\s]+@")
_AUTH_VALUE = re.compile(r"(Authorization:\s*\w+\s+)\S+", re.IGNORECASE)


def scrub(text: str, credentials: Credentials | None = None) -> str:
    """Remove tokens, their Basic-auth encoding, header values and URL userinfo from text."""
    if credentials is not None:
        secrets = [credentials.token, _auth_header(credentials).split()[-1]]
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
    text = _AUTH_VALUE.sub(r"\1***", text)
    return _URL_USERINFO.sub(r"\1***@", text)


# -- locking -------------------------------------------------------------------------------

_held = threading.local()


def _lock_path(git_dir: Path) -> Path:
    git_dir = Path(git_dir)
    return git_dir.parent / f".{git_dir.name}.osp-lock"


@contextmanager
def repo_lock(git_dir: str | Path, *, timeout: float | None = None) -> Iterator[None]:
    """Exclusive fcntl lock for one repository, re-entrant within a thread.

    Different repositories never block each other; two processes (or threads) never write the
    same repository at once. Raises RepoLocked after `timeout` seconds (GIT_LOCK_TIMEOUT).
    """
    path = _lock_path(Path(git_dir).resolve())
    held: set[str] = _held.__dict__.setdefault("paths", set())
    if str(path) in held:
        yield
        return
    if timeout is None:
        timeout = float(_setting("GIT_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise RepoLocked(f"repository {Path(git_dir).name} is locked") from None
                time.sleep(0.05)
        held.add(str(path))
        try:
            yield
        finally:
            held.discard(str(path))
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# -- running -------------------------------------------------------------------------------


def _argv(args: Sequence[str], repo: str | Path | None) -> list[str]:
    if not args or not all(isinstance(a, str) for a in args):
        raise TypeError("git arguments must be a non-empty list of str")
    if any("\x00" in a for a in args):
        raise ValueError("NUL in git argument")
    if args[0].startswith("-"):
        raise ValueError("the first argument must be a git subcommand")
    prefix = ["git"]
    if repo is not None:
        prefix.append(f"--git-dir={Path(repo).resolve()}")
    return [*prefix, *args]


def _sub(argv: list[str]) -> str:
    return next((a for a in argv[1:] if not a.startswith("--git-dir=")), "?")


def _kill(proc: subprocess.Popen) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def _timeout(timeout: float | None) -> float:
    if timeout is None:
        timeout = float(_setting("GIT_TIMEOUT", DEFAULT_TIMEOUT))
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    return timeout


def run(
    args: Sequence[str],
    *,
    repo: str | Path | None = None,
    credentials: Credentials | None = None,
    timeout: float | None = None,
    input: bytes | None = None,
    check: bool = True,
    lock: bool | None = None,
    env: Mapping[str, str] | None = None,
) -> GitResult:
    """Run `git [--git-dir=repo] *args` and capture its output.

    `lock` defaults to "the subcommand may change the repository" (anything not in READ_ONLY);
    when true, the repository's lock is held for the call. `env` may only set EXTRA_ENV.
    Raises a GitError subclass when git exits non-zero (unless check=False) and GitTimeout when
    it runs past `timeout`.
    """
    argv = _argv(args, repo)
    timeout = _timeout(timeout)
    child_env = git_env(credentials, env)
    if lock is None:
        lock = repo is not None and args[0] not in READ_ONLY
    if lock and repo is not None:
        with repo_lock(repo):
            return _run(argv, credentials, child_env, timeout, input, check)
    return _run(argv, credentials, child_env, timeout, input, check)


def _run(argv, credentials, env, timeout, input, check) -> GitResult:
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=_neutral_home(),
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(input=input, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        out, err = proc.communicate()
        stderr = scrub(err.decode("utf-8", "replace"), credentials)
        raise GitTimeout(
            f"git {_sub(argv)} timed out after {timeout:.0f}s",
            args=argv,
            returncode=proc.returncode,
            stderr=stderr,
        ) from None
    except BaseException:
        _kill(proc)
        proc.wait()
        raise
    stderr = scrub(err.decode("utf-8", "replace"), credentials)
    log.debug("git %s -> %s in %.2fs", argv[1:3], proc.returncode, time.monotonic() - started)
    if check and proc.returncode != 0:
        raise _error(argv, proc.returncode, stderr)
    return GitResult(argv, proc.returncode, out, stderr)


def _error(argv: list[str], returncode: int, stderr: str) -> GitError:
    cls = classify_git_stderr(stderr)
    lines = stderr.strip().splitlines()
    reason = next(
        (ln for ln in lines if ln.startswith(("fatal:", "error:"))), lines[-1] if lines else ""
    )
    message = f"git {_sub(argv)} failed ({returncode}): {reason}"
    return cls(message, args=argv, returncode=returncode, stderr=stderr)


def stream(
    args: Sequence[str],
    *,
    repo: str | Path | None = None,
    credentials: Credentials | None = None,
    timeout: float | None = None,
) -> Iterator[bytes]:
    """Run a read-only git command and yield its stdout line by line (bytes, with newline).

    The whole call is bounded by `timeout`; closing the generator early kills git. Raises the
    same typed errors as run() once the output ends. Arguments are checked before it returns.
    """
    argv = _argv(args, repo)
    timeout = _timeout(timeout)
    if repo is not None and args[0] not in READ_ONLY:
        raise ValueError(f"git {args[0]} changes the repository; use run()")
    return _stream(argv, credentials, timeout)


def _widen_pipe(stream) -> None:
    """Let git write up to 1 MiB ahead of its reader (Linux; the default pipe holds 64 KiB), so
    a reader busy parsing does not stall git."""
    with suppress(AttributeError, OSError):
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, PIPE_SIZE)


def _stream(argv: list[str], credentials, timeout: float) -> Iterator[bytes]:
    with tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err_file,
            env=git_env(credentials),
            cwd=_neutral_home(),
            start_new_session=True,
        )
        timed_out = threading.Event()

        def on_timeout() -> None:
            timed_out.set()
            _kill(proc)

        timer = threading.Timer(timeout, on_timeout)
        timer.daemon = True
        timer.start()
        finished = False
        try:
            assert proc.stdout is not None
            _widen_pipe(proc.stdout)
            yield from proc.stdout
            proc.wait()
            finished = True
        finally:
            timer.cancel()
            if not finished:
                _kill(proc)
            proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
        err_file.seek(0)
        stderr = scrub(err_file.read().decode("utf-8", "replace"), credentials)
    if timed_out.is_set():
        message = f"git {_sub(argv)} timed out after {timeout:.0f}s"
        raise GitTimeout(message, args=argv, stderr=stderr)
    if proc.returncode != 0:
        raise _error(argv, proc.returncode, stderr)
