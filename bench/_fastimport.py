"""A thin streaming writer for `git fast-import` (one git process for a whole history)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

NULL_SHA = "0" * 40


def git_env() -> dict[str, str]:
    """Environment that keeps the user's and the system's git config out of our results."""
    env = dict(os.environ)
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
        LANG="C",
    )
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY"):
        env.pop(key, None)
    return env


def git(repo: Path, *args: str, input: bytes | None = None) -> bytes:
    proc = subprocess.run(
        ["git", "-C", str(repo), *args], input=input, capture_output=True, env=git_env()
    )
    if proc.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


@dataclass(frozen=True)
class Ident:
    name: bytes
    email: str

    def line(self, ts: int, offset_minutes: int) -> bytes:
        sign = "+" if offset_minutes >= 0 else "-"
        off = abs(offset_minutes)
        tail = f" <{self.email}> {ts} {sign}{off // 60:02d}{off % 60:02d}\n".encode()
        return self.name + tail


class FastImport:
    """Feeds commands to `git fast-import`; `get_mark` reads back a commit's sha."""

    def __init__(self, repo: Path):
        self._rfd, wfd = os.pipe()
        self.proc = subprocess.Popen(
            [
                "git",
                "-C",
                str(repo),
                "-c",
                "core.compression=1",  # the pack's zlib level; object ids do not depend on it
                "fast-import",
                "--quiet",
                "--done",
                "--date-format=raw",
                f"--cat-blob-fd={wfd}",
            ],
            stdin=subprocess.PIPE,
            pass_fds=(wfd,),
            env=git_env(),
            bufsize=1 << 20,
        )
        os.close(wfd)
        self._reader = os.fdopen(self._rfd, "rb", buffering=0)
        self._out = self.proc.stdin

    def commit(
        self,
        ref: str,
        mark: int,
        author: bytes,
        committer: bytes,
        message: bytes,
        ops: list[bytes],
        *,
        parent: int | str | None = None,
        merge: int | None = None,
        encoding: str | None = None,
    ) -> None:
        parts = [b"commit ", ref.encode(), b"\nmark :", str(mark).encode(), b"\n"]
        parts += [b"author ", author, b"committer ", committer]
        if encoding:
            parts.append(b"encoding " + encoding.encode() + b"\n")
        parts += [b"data ", str(len(message)).encode(), b"\n", message, b"\n"]
        if parent is not None:
            ref_txt = f":{parent}" if isinstance(parent, int) else parent
            parts.append(b"from " + ref_txt.encode() + b"\n")
        if merge is not None:
            parts.append(b"merge :" + str(merge).encode() + b"\n")
        parts += ops
        parts.append(b"\n")
        self._out.write(b"".join(parts))

    def delete_ref(self, ref: str) -> None:
        self._out.write(f"reset {ref}\nfrom {NULL_SHA}\n\n".encode())

    def get_mark(self, mark: int) -> str:
        self._out.write(f"get-mark :{mark}\n".encode())
        self._out.flush()
        line = b""
        while not line.endswith(b"\n"):
            chunk = self._reader.read(41 - len(line))
            if not chunk:
                raise RuntimeError("git fast-import closed its output early")
            line += chunk
        return line.strip().decode()

    def close(self) -> None:
        try:
            self._out.write(b"done\n")
            self._out.close()
        finally:
            rc = self.proc.wait()
            self._reader.close()
        if rc != 0:
            raise RuntimeError(f"git fast-import exited with {rc}")


def op_modify(path: str, data: bytes, mode: str = "100644") -> bytes:
    return b"M %s inline %s\ndata %d\n%s\n" % (mode.encode(), path.encode(), len(data), data)


def op_delete(path: str) -> bytes:
    return b"D " + path.encode() + b"\n"


def op_rename(old: str, new: str) -> bytes:
    return b"R " + old.encode() + b" " + new.encode() + b"\n"
