"""Deterministic rewrites of history: what a public copy of a commit is, and which of the two
implementations makes it.

A copy is the commit with the rules applied (excluded paths dropped, authors and committers
mapped, an `Internal-Commit: <sha>` trailer added) on the copies of its parents. `copy_history`
copies `tip ^exclude...` by tree surgery (federation.packrewrite: rev-list, then cat-file and
index-pack streaming beside the Python work) when every exclusion is a literal path, else with one fast-export and one
fast-import (federation.fastexport); both give the same shas. Blobs are never copied: the
copies share them with the originals in the same bare repository.

Same input (commits, rules, parent copies) -> same output shas: nothing depends on the clock.
The copies land on a private ref under `refs/osp/`, so `repos.gc` keeps them and the fetch
refspecs (`refs/heads/*`, `refs/tags/*`) never prune them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from federation import git
from federation.rules import Rules

TRAILER_KEY = b"Internal-Commit"
_TRAILER_LINE = re.compile(rb"\A[A-Za-z0-9][A-Za-z0-9-]*: .")
_IDENT = re.compile(rb"\A(author|committer) (.*?) ?<(.*)> (\S+ [+-]\d{4})\Z")
_SHA = re.compile(rb"\A[0-9a-f]{40}(?:[0-9a-f]{24})?\Z")
_ESCAPES = {b"n": b"\n", b"t": b"\t", b'"': b'"', b"\\": b"\\", b"a": b"\a", b"b": b"\b",
            b"f": b"\f", b"r": b"\r", b"v": b"\v"}  # fmt: skip


class RewriteError(Exception):
    """The history cannot be rewritten as asked (e.g. a parent has no public copy)."""


@dataclass
class RewriteResult:
    tip: str | None  # the copy of `tip`
    mapping: dict[str, str] = field(default_factory=dict)  # every commit copied: orig -> copy

    @property
    def count(self) -> int:
        return len(self.mapping)


# -- message and path helpers ----------------------------------------------------------------


def add_trailer(message: bytes, sha: str, key: bytes = TRAILER_KEY) -> bytes:
    """`message` with `<key>: <sha>` appended to its trailer block (made if there is none)."""
    line = key + b": " + sha.encode()
    body = message.rstrip(b"\n")
    if not body:
        return line + b"\n"
    head, sep, last = body.rpartition(b"\n\n")
    if sep and b": " in last and all(_TRAILER_LINE.match(x) for x in last.split(b"\n")):
        return body + b"\n" + line + b"\n"
    return body + b"\n\n" + line + b"\n"


def trailer_value(message: bytes | str, key: str = TRAILER_KEY.decode()) -> str | None:
    """The last `<key>: value` line of a commit message, if any."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    found = None
    for line in text.splitlines():
        if line.startswith(key + ": "):
            found = line[len(key) + 2 :].strip()
    return found


def unquote_path(raw: bytes) -> str:
    """A path as fast-export writes it (C-quoted when it needs to be) -> str."""
    if not raw.startswith(b'"'):
        return raw.decode("utf-8", "surrogateescape")
    out = bytearray()
    i, end = 1, len(raw) - 1
    while i < end:
        c = raw[i : i + 1]
        if c == b"\\":
            nxt = raw[i + 1 : i + 2]
            if nxt in _ESCAPES:
                out += _ESCAPES[nxt]
                i += 2
            else:  # three octal digits
                out.append(int(raw[i + 1 : i + 4], 8))
                i += 4
        else:
            out += c
            i += 1
    return bytes(out).decode("utf-8", "surrogateescape")


def quote_path(path: str) -> bytes:
    raw = path.encode("utf-8", "surrogateescape")
    if b"\n" not in raw and not raw.startswith(b'"') and b"\\" not in raw:
        return raw
    body = raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n")
    return b'"' + body + b'"'


def commit_message(repo: Path, sha: str) -> bytes:
    raw = git.run(["cat-file", "commit", git.validate_sha(sha)], repo=repo).stdout
    return raw.partition(b"\n\n")[2]


def scratch_ref(kind: str, name: str) -> str:
    """A private ref for rewritten commits (`refs/osp/<kind>/<name>`)."""
    return git.validate_ref(f"refs/osp/{kind}/{name}")


def copy_history(
    repo: Path,
    *,
    tip: str,
    exclude: Iterable[str] = (),
    parents: Mapping[str, str],
    rules: Rules,
    ref: str,
    fallback_parent: str | None = None,
    timeout: float | None = None,
) -> RewriteResult:
    """The public copies of `tip ^exclude...` onto the copies in `parents` (orig -> copy), the
    copy of `tip` left on `ref`. A parent outside the range with no copy is an error unless
    `fallback_parent` stands in for it (a snapshot). By tree surgery when every exclusion is a
    literal path (much faster on long histories), else through fast-export."""
    from federation import fastexport, packrewrite

    kwargs = {"tip": tip, "exclude": exclude, "parents": parents, "rules": rules, "ref": ref,
              "fallback_parent": fallback_parent, "timeout": timeout}  # fmt: skip
    if packrewrite.literal_patterns(rules) is not None:
        return packrewrite.rewrite_trees(repo, **kwargs)
    return fastexport.rewrite_range(repo, **kwargs)
