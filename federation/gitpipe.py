"""git with its pipes left open: read a command's output while it runs, or write a command's
input while it reads it, so the service's own work overlaps git's (two cores: one for each).

The same rules as `federation.git.run`: an argument list, the sealed environment, a timeout
that kills the process group, the repository's lock for a command that changes it, typed
errors (raised when the block ends). For whole-output calls use `git.run`.
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from federation import git
from federation.errors import GitTimeout

BUFFER = 1 << 16


@dataclass
class Pipe:
    stdin: IO[bytes] | None  # the command's input (only when opened with writable=True)
    stdout: IO[bytes]  # the command's output, as it comes
    rest: bytes = b""  # what the command wrote after the block stopped reading


@contextmanager
def pipe(
    args: Sequence[str],
    *,
    repo: str | Path | None = None,
    input: bytes | None = None,
    writable: bool = False,
    timeout: float | None = None,
    lock: bool | None = None,
) -> Iterator[Pipe]:
    """Run `git [--git-dir=repo] *args` for the length of the block.

    `input` is fed to the command by a thread (so reading its output cannot deadlock);
    `writable=True` instead leaves stdin to the block (closed when the block ends). Output the
    block did not read is collected into `rest`. Leaving the block early by an exception kills
    git. Raises GitTimeout past `timeout` and the typed GitError when git exits non-zero.
    """
    if input is not None and writable:
        raise ValueError("give either input or writable, not both")
    argv = git._argv(args, repo)
    timeout = git._timeout(timeout)
    if lock is None:
        lock = repo is not None and args[0] not in git.READ_ONLY
    held = git.repo_lock(repo) if lock and repo is not None else nullcontext()
    with held, tempfile.TemporaryFile() as err_file:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if input is not None or writable else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err_file,
            env=git.git_env(),
            cwd=git._neutral_home(),
            start_new_session=True,
            bufsize=BUFFER,
        )
        timed_out = threading.Event()

        def on_timeout() -> None:
            timed_out.set()
            git._kill(proc)

        timer = threading.Timer(timeout, on_timeout)
        timer.daemon = True
        timer.start()
        feeder = None
        if input is not None:
            feeder = threading.Thread(target=_feed, args=(proc.stdin, input), daemon=True)
            feeder.start()
        handle = Pipe(proc.stdin if writable else None, proc.stdout)
        try:
            yield handle
            if writable:
                with suppress(BrokenPipeError):
                    proc.stdin.close()
            handle.rest = proc.stdout.read()
            proc.wait()
        except BaseException:
            git._kill(proc)
            proc.wait()
            raise
        finally:
            timer.cancel()
            if feeder is not None:
                feeder.join()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    with suppress(OSError):
                        stream.close()
        err_file.seek(0)
        stderr = git.scrub(err_file.read().decode("utf-8", "replace"))
    if timed_out.is_set():
        raise GitTimeout(f"git {git._sub(argv)} timed out after {timeout:.0f}s", args=argv,
                         stderr=stderr)  # fmt: skip
    if proc.returncode != 0:
        raise git._error(argv, proc.returncode, stderr)


def _feed(stdin: IO[bytes], data: bytes) -> None:
    with suppress(BrokenPipeError, OSError):  # git stopped reading: its exit status tells why
        stdin.write(data)
        stdin.close()
