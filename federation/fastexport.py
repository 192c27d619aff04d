"""History rewriting through `git fast-export --no-data` and `git fast-import` (one process
each, however many commits): for glob exclusions, for copying pull requests back onto internal
commits (no rules, no trailer), and for snapshots. See federation.rewrite for what a copy is.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from federation import git
from federation.rewrite import (
    RewriteError,
    RewriteResult,
    add_trailer,
    quote_path,
    unquote_path,
)
from federation.rules import Rules

_IDENT = re.compile(rb"\A(author|committer) (.*?) ?<(.*)> (\S+ [+-]\d{4})\Z")


class _NeedsFullTree(Exception):
    pass


def _split_two_paths(rest: bytes) -> tuple[bytes, bytes]:
    if rest.startswith(b'"'):
        i = 1
        while i < len(rest):
            if rest[i : i + 1] == b"\\":
                i += 2
                continue
            if rest[i : i + 1] == b'"':
                return rest[: i + 1], rest[i + 2 :]
            i += 1
        raise RewriteError("unterminated quoted path in fast-export output")
    src, _, dst = rest.partition(b" ")
    return src, dst


# -- the stream filter ---------------------------------------------------------------------


class _Filter:
    """Turns fast-export output into fast-import input, one pass over bytes."""

    def __init__(self, *, rules: Rules, parents: Mapping[str, str], ref: str, trailer: bool,
                 fallback_parent: str | None, full_tree: bool):  # fmt: skip
        self.rules = rules
        self.parents = parents
        self.ref = ref.encode()
        self.trailer = trailer
        self.fallback = fallback_parent
        self.full_tree = full_tree
        self.idents: dict[bytes, bytes] = {}
        self.marks: dict[bytes, str] = {}  # mark -> original sha
        self.excluded_cache: dict[bytes, bool] = {}
        self.last_mark: bytes | None = None

    def _ident(self, line: bytes) -> bytes:
        cached = self.idents.get(line)
        if cached is not None:
            return cached
        m = _IDENT.match(line)
        if not m or not self.rules.map_authors:
            self.idents[line] = line
            return line
        kind, name, email, when = m.groups()
        new_name, new_email = self.rules.identity(
            name.decode("utf-8", "surrogateescape"), email.decode("utf-8", "surrogateescape")
        )
        out = b"%s %s <%s> %s" % (
            kind,
            new_name.encode("utf-8", "surrogateescape"),
            new_email.encode("utf-8", "surrogateescape"),
            when,
        )
        out = out.replace(b"  <", b" <")
        self.idents[line] = out
        return out

    def _excluded(self, raw_path: bytes) -> bool:
        hit = self.excluded_cache.get(raw_path)
        if hit is None:
            hit = self.rules.is_excluded(unquote_path(raw_path))
            self.excluded_cache[raw_path] = hit
        return hit

    def _parent(self, ref: bytes) -> bytes | None:
        if ref.startswith(b":"):
            return ref
        sha = ref.decode()
        copy = self.parents.get(sha)
        if copy is None:
            if self.fallback is None:
                raise RewriteError(f"parent {sha} has no public copy")
            if not self.full_tree:
                raise _NeedsFullTree
            copy = self.fallback
        return copy.encode()

    def run(self, data: bytes) -> bytes:
        out: list[bytes] = [b"reset " + self.ref + b"\n"]
        pos, n = 0, len(data)
        excluded = bool(self.rules.excluded)
        while pos < n:
            end = data.find(b"\n", pos)
            if end < 0:
                end = n
            line = data[pos:end]
            pos = end + 1
            if line.startswith(b"commit "):
                pos = self._commit(data, pos, out, excluded)
            elif line.startswith(b"reset "):
                # fast-export's own ref bookkeeping (`reset <x>` [+ `from`]): ours comes last
                if data.startswith(b"from ", pos):
                    pos = data.find(b"\n", pos) + 1
            elif line in (b"", b"done", b"feature done") or line.startswith(b"progress "):
                continue
            else:
                raise RewriteError(f"unexpected fast-export command: {line[:60]!r}")
        out.append(b"done\n")
        return b"".join(out)

    def _commit(self, data: bytes, pos: int, out: list[bytes], excluded: bool) -> int:
        header: list[bytes] = [b"commit " + self.ref + b"\n"]
        original = mark = None
        parents: list[bytes] = []
        ops: list[bytes] = []
        message = b""
        n = len(data)
        while pos < n:
            end = data.find(b"\n", pos)
            if end < 0:
                end = n
            line = data[pos:end]
            pos = end + 1
            if not line:
                break
            tag = line[:2]
            if tag == b"M ":
                if excluded:
                    path = line.split(b" ", 3)[3]
                    if self._excluded(path):
                        continue
                ops.append(line)
            elif tag == b"D ":
                if excluded and self._excluded(line[2:]):
                    continue
                ops.append(line)
            elif line.startswith(b"mark "):
                mark = line[5:]
            elif line.startswith(b"original-oid "):
                original = line[13:].decode()
            elif line.startswith((b"author ", b"committer ")):
                header.append(self._ident(line) + b"\n")
            elif line.startswith(b"encoding "):
                header.append(line + b"\n")
            elif line.startswith(b"data "):
                size = int(line[5:])
                message = data[pos : pos + size]
                pos += size
            elif line.startswith(b"from "):
                parents.append(line[5:])
            elif line.startswith(b"merge "):
                parents.append(line[6:])
            elif line == b"deleteall":
                ops.append(line)
            elif tag in (b"R ", b"C "):
                src, dst = _split_two_paths(line[2:])
                if excluded and (self._excluded(src) or self._excluded(dst)):
                    raise RewriteError("copies and renames are not exported by this rewrite")
                ops.append(line)
            else:
                raise RewriteError(f"unexpected line in a commit: {line[:60]!r}")
        if mark is None or original is None:
            raise RewriteError("fast-export did not give a mark and an original id")
        self.marks[mark] = original
        self.last_mark = mark
        if self.trailer:
            message = add_trailer(message, original)
        header.insert(1, b"mark " + mark + b"\n")
        seen: list[bytes] = []
        for p in parents:
            mapped = self._parent(p)
            if mapped is not None and mapped not in seen:
                seen.append(mapped)
        out.extend(header)
        out.append(b"data %d\n" % len(message))
        out.append(message)
        out.append(b"\n")
        if seen:
            out.append(b"from " + seen[0] + b"\n")
            for p in seen[1:]:
                out.append(b"merge " + p + b"\n")
        for op in ops:
            out.append(op + b"\n")
        out.append(b"\n")
        return pos


# -- running -------------------------------------------------------------------------------


def _marks(path: Path) -> dict[bytes, str]:
    out = {}
    for line in path.read_bytes().splitlines():
        mark, _, sha = line.partition(b" ")
        if mark:
            out[mark] = sha.decode()
    return out


def _import(repo: Path, stream: bytes, *, timeout: float | None) -> dict[bytes, str]:
    with tempfile.TemporaryDirectory(prefix="osp-marks-") as tmp:
        marks = Path(tmp) / "marks"
        git.run(
            ["fast-import", "--quiet", "--done", "--force", f"--export-marks={marks}"],
            repo=repo,
            input=stream,
            timeout=timeout,
        )
        return _marks(marks) if marks.exists() else {}


def rewrite_range(
    repo: Path,
    *,
    tip: str,
    exclude: Iterable[str] = (),
    parents: Mapping[str, str],
    rules: Rules,
    ref: str,
    trailer: bool = True,
    fallback_parent: str | None = None,
    timeout: float | None = None,
) -> RewriteResult:
    """Copy the commits of `tip ^exclude...` onto the copies in `parents` (orig -> copy) and
    leave the copy of `tip` on `ref`. A parent outside the range with no copy is an error,
    unless `fallback_parent` is given: it then stands in for it (the export is redone with
    full trees, so every copy still has exactly its tree)."""
    tip = git.validate_sha(tip)
    exclude = [git.validate_sha(s) for s in exclude]
    git.validate_ref(ref)
    if tip in parents:
        return RewriteResult(parents[tip], {})
    try:
        return _rewrite(
            repo, tip, exclude, parents, rules, ref, trailer, fallback_parent, False, timeout
        )
    except _NeedsFullTree:
        return _rewrite(
            repo, tip, exclude, parents, rules, ref, trailer, fallback_parent, True, timeout
        )


def _rewrite(repo, tip, exclude, parents, rules, ref, trailer, fallback, full_tree, timeout):
    args = ["fast-export", "--no-data", "--show-original-ids", "--reference-excluded-parents",
            "--reencode=no", "--signed-tags=strip", "--tag-of-filtered-object=drop"]  # fmt: skip
    if full_tree:
        args.append("--full-tree")
    exported = git.run(
        [*args, tip, *(f"^{s}" for s in exclude)], repo=repo, timeout=timeout, lock=False
    ).stdout
    filt = _Filter(
        rules=rules,
        parents=parents,
        ref=ref,
        trailer=trailer,
        fallback_parent=fallback,
        full_tree=full_tree,
    )
    stream = filt.run(exported)
    if not filt.marks:
        return RewriteResult(parents.get(tip), {})
    marks = _import(repo, stream, timeout=timeout)
    mapping = {orig: marks[mark] for mark, orig in filt.marks.items()}
    return RewriteResult(mapping.get(tip) or parents.get(tip), mapping)


def snapshot(
    repo: Path,
    *,
    sha: str,
    rules: Rules,
    identity: tuple[str, str],
    message: str,
    ref: str,
    timeout: float | None = None,
) -> str:
    """One parentless commit with `sha`'s tree minus the excluded paths, authored and committed
    by `identity` at `sha`'s commit date, with an Internal-Commit trailer. Returns its sha."""
    sha = git.validate_sha(sha)
    git.validate_ref(ref)
    listing = git.run(["ls-tree", "-r", "-z", "--full-tree", sha], repo=repo, timeout=timeout)
    ops = []
    for entry in listing.stdout.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, _kind, obj = meta.split(b" ")
        path = raw_path.decode("utf-8", "surrogateescape")
        if rules.is_excluded(path):
            continue
        ops.append(b"M " + mode + b" " + obj + b" " + quote_path(path) + b"\n")
    when = _commit_date(repo, sha, timeout)
    name, email = identity
    ident = f"{name} <{email}> {when}".encode()
    body = add_trailer(message.encode(), sha)
    stream = b"".join(
        [
            b"reset " + ref.encode() + b"\n",
            b"commit " + ref.encode() + b"\nmark :1\n",
            b"author " + ident + b"\n",
            b"committer " + ident + b"\n",
            b"data %d\n" % len(body),
            body,
            b"\n",
            *ops,
            b"\ndone\n",
        ]
    )
    return _import(repo, stream, timeout=timeout)[b":1"]


def _commit_date(repo: Path, sha: str, timeout) -> str:
    raw = git.run(["cat-file", "commit", sha], repo=repo, timeout=timeout).stdout
    for line in raw.split(b"\n"):
        if not line:
            break
        if line.startswith(b"committer "):
            m = _IDENT.match(line)
            if m:
                return m.group(4).decode()
    raise RewriteError(f"commit {sha} has no committer line")
