"""The fast rewrite: tree surgery over whole histories, written as one pack.

When every excluded path is literal (no glob), a public commit differs from its original only
in a few tree entries along the excluded paths, its parents, identities and message. So:

1. `git rev-list --reverse --topo-order tip ^exclude` (one process);
2. `git cat-file --batch` (one process) for each commit, its root tree and the trees of the
   folders that hold an excluded path (`<commit>:<folder>`);
3. in Python: drop the excluded entries (a folder left empty is dropped too), rebuild only
   the trees on the way to them, rebuild the commit (mapped parents and identities, the
   Internal-Commit trailer; signatures dropped, since they no longer verify), hash it;
4. `git index-pack --stdin` (one process) stores the new trees and commits as one pack, and
   `git update-ref` points the private ref at the tip, both under the repository's lock.

Every other object (blobs, untouched folders) is shared with the original. The output is
byte-for-byte what `git commit-tree` would write for the same tree, parents and message, so
the same input always gives the same shas.
"""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from collections.abc import Iterable, Mapping
from pathlib import Path

from federation import git
from federation.rewrite import RewriteError, RewriteResult, add_trailer
from federation.rules import Rules

COMMIT, TREE = 1, 2
# One tree entry: mode, name, the 20-byte id. finditer walks them back to back (DOTALL: ids are
# binary), so a match never starts inside an id.
_ENTRY = re.compile(rb"([0-7]+) ([^\0]+)\0.{20}", re.DOTALL)
_DROP_HEADERS = (b"gpgsig", b"gpgsig-sha256", b"mergetag")


def literal_patterns(rules: Rules) -> list[tuple[str, ...]] | None:
    """The excluded paths as component tuples, or None when one of them is a glob."""
    out = []
    for p in rules.excluded:
        p = p.strip().strip("/")
        if not p:
            continue
        if any(c in p for c in "*?[\n\\"):
            return None
        out.append(tuple(x for x in p.split("/") if x))
    return out


def _zlib_stored(data: bytes) -> bytes:
    """`data` as a zlib stream of stored (uncompressed) deflate blocks: valid for git, and
    free to make. (A deflater per object costs more than the deflating: objects here are a few
    hundred bytes, and each zlib state is a large zeroed allocation.) `git gc` and the push's
    pack-objects recompress them as usual."""
    out = [b"\x78\x01"]
    size = len(data)
    pos = 0
    while True:
        chunk = data[pos : pos + 0xFFFF]
        pos += len(chunk)
        final = pos >= size
        n = len(chunk)
        out.append(struct.pack("<BHH", 1 if final else 0, n, n ^ 0xFFFF))
        out.append(chunk)
        if final:
            break
    out.append(struct.pack(">I", zlib.adler32(data)))
    return b"".join(out)


def _pack_entry(kind: int, body: bytes) -> bytes:
    size = len(body)
    byte = (kind << 4) | (size & 15)
    size >>= 4
    head = bytearray()
    while size:
        head.append(byte | 0x80)
        byte = size & 0x7F
        size >>= 7
    head.append(byte)
    return bytes(head) + _zlib_stored(body)


def _sha(kind: bytes, body: bytes) -> bytes:
    return hashlib.sha1(b"%s %d\0" % (kind, len(body)) + body, usedforsecurity=False).digest()


class _Batch:
    """Objects read back from one `cat-file --batch` run, in request order."""

    def __init__(self, raw: bytes):
        self.raw, self.pos = raw, 0

    def next(self) -> tuple[bytes, bytes, bytes | None]:
        """(object id in hex, type, content); type "missing" when the name did not resolve."""
        raw, pos = self.raw, self.pos
        nl = raw.index(b"\n", pos)
        header = raw[pos:nl]
        if header.endswith(b" missing") or header.endswith(b" ambiguous"):
            self.pos = nl + 1
            return b"", b"missing", None
        oid, kind, size = header.rsplit(b" ", 2)
        end = nl + 1 + int(size)
        self.pos = end + 1
        return oid, kind, raw[nl + 1 : end]


class _Trees:
    """Filters trees by the literal patterns; caches by (folder, original tree id)."""

    def __init__(self, patterns: list[tuple[str, ...]]):
        self.whole: dict[tuple[str, ...], set[bytes]] = {}  # folder -> names dropped there
        self.deeper: dict[tuple[str, ...], set[bytes]] = {}  # folder -> names to descend into
        for parts in patterns:
            folder, name = parts[:-1], parts[-1].encode()
            self.whole.setdefault(folder, set()).add(name)
            for i in range(len(parts) - 1):
                self.deeper.setdefault(parts[:i], set()).add(parts[i].encode())
        self.folders = sorted({f for f in self.deeper if f} | {f for f in self.whole if f})
        self.cache: dict[tuple[tuple[str, ...], bytes], bytes | None] = {}
        self.objects: list[bytes] = []

    def filter(self, folder: tuple[str, ...], oid: bytes, body: bytes, subtrees) -> bytes | None:
        """The id of the filtered tree (None when nothing is left)."""
        key = (folder, oid)
        if key in self.cache:
            return self.cache[key]
        drop = self.whole.get(folder, ())
        descend = self.deeper.get(folder, ())
        names = drop | descend if descend else drop
        parts, changed, kept_from = [], False, 0
        if any(name in body for name in names):  # else nothing to do here: the common case
            for m in _ENTRY.finditer(body):
                name = m.group(2)
                if name not in names:
                    continue
                start, end = m.start(), m.end()
                if name in drop:
                    parts.append(body[kept_from:start])
                    kept_from, changed = end, True
                elif m.group(1) == b"40000":
                    child = folder + (name.decode("utf-8", "surrogateescape"),)
                    sub_oid = body[end - 20 : end]
                    sub = subtrees.get(sub_oid)
                    if sub is None:
                        raise RewriteError(f"tree {'/'.join(child)} was not read")
                    new = self.filter(child, sub_oid, sub, subtrees)
                    if new != sub_oid:
                        parts.append(body[kept_from:start])
                        if new is not None:
                            parts.append(body[start : end - 20] + new)
                        kept_from, changed = end, True
        parts.append(body[kept_from:])
        if not changed:
            result: bytes | None = oid
        elif not (new_body := b"".join(parts)):
            result = None
        else:
            result = _sha(b"tree", new_body)
            self.objects.append(_pack_entry(TREE, new_body))
        self.cache[key] = result
        return result


def rewrite_trees(
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
    """Same contract as rewrite.copy_history (with the trailer), for literal exclusions."""
    patterns = literal_patterns(rules)
    if patterns is None:
        raise ValueError("glob exclusions need fastexport.rewrite_range")
    tip = git.validate_sha(tip)
    exclude = [git.validate_sha(s) for s in exclude]
    git.validate_ref(ref)
    if tip in parents:
        return RewriteResult(parents[tip], {})
    revs = git.run(
        ["rev-list", "--reverse", "--topo-order", tip, *(f"^{s}" for s in exclude)],
        repo=repo,
        timeout=timeout,
    ).stdout.split()
    if not revs:
        return RewriteResult(parents.get(tip), {})
    trees = _Trees(patterns)
    folders = [b":" + "/".join(f).encode() for f in trees.folders]
    requests = b"".join(
        b"".join([sha, b"\n", sha, b"^{tree}\n", *(sha + f + b"\n" for f in folders)])
        for sha in revs
    )
    raw = git.run(
        ["cat-file", "--batch", "--buffer"], repo=repo, input=requests, timeout=timeout, lock=False
    ).stdout
    batch = _Batch(raw)
    new: dict[bytes, bytes] = {}  # original hex -> copy hex

    def known(sha: bytes) -> bytes | None:
        found = parents.get(sha.decode())
        return found.encode() if found else None

    fallback = fallback_parent.encode() if fallback_parent else None
    idents: dict[bytes, bytes] = {}
    commits: list[bytes] = []
    empty_written = False
    for sha in revs:
        _, kind, commit = batch.next()
        _, _, root = batch.next()
        subtrees: dict[bytes, bytes] = {}
        for _f in folders:
            sub_oid, sub_kind, sub = batch.next()
            if sub_kind == b"tree":
                subtrees[bytes.fromhex(sub_oid.decode())] = sub
        if kind != b"commit" or root is None:
            raise RewriteError(f"{sha.decode()} is not a commit")
        head, _, message = commit.partition(b"\n\n")
        lines = head.split(b"\n")
        root_oid = bytes.fromhex(lines[0][5:].decode())
        tree = trees.filter((), root_oid, root, subtrees)
        if tree is None and not empty_written:
            trees.objects.append(_EMPTY_TREE_ENTRY)
            empty_written = True
        out = [b"tree " + (tree.hex().encode() if tree else _EMPTY_TREE_HEX)]
        seen = []
        skip = False
        for line in lines[1:]:
            if line.startswith(b" ") and skip:
                continue
            skip = False
            if line.startswith(b"parent "):
                p = line[7:]
                mapped = new.get(p) or known(p) or fallback
                if mapped is None:
                    raise RewriteError(f"parent {p.decode()} has no public copy")
                if mapped not in seen:
                    seen.append(mapped)
            elif line.startswith((b"author ", b"committer ")):
                out.append(_ident(line, rules, idents))
            elif line.startswith(b"encoding "):
                out.append(line)
            elif line.split(b" ", 1)[0] in _DROP_HEADERS:
                skip = True
        out[1:1] = [b"parent " + p for p in seen]
        body = b"\n".join(out) + b"\n\n" + add_trailer(message, sha.decode())
        digest = _sha(b"commit", body)
        new[sha] = digest.hex().encode()
        commits.append(_pack_entry(COMMIT, body))
    objects = trees.objects + commits
    data = b"PACK" + struct.pack(">II", 2, len(objects)) + b"".join(objects)
    data += hashlib.sha1(data, usedforsecurity=False).digest()
    tip_copy = new[tip.encode()].decode()
    with git.repo_lock(repo):
        git.run(["index-pack", "--stdin"], repo=repo, input=data, timeout=timeout)
        git.run(["update-ref", ref, tip_copy], repo=repo, timeout=timeout)
    return RewriteResult(tip_copy, {k.decode(): v.decode() for k, v in new.items()})


_EMPTY_TREE_HEX = b"4b825dc642cb6eb9a060e54bf8d69288fbee4904"
_EMPTY_TREE_ENTRY = _pack_entry(TREE, b"")


def _ident(line: bytes, rules: Rules, cache: dict[bytes, bytes]) -> bytes:
    """`author|committer Name <email> when`, with name and email mapped (cached per person)."""
    gt = line.rfind(b">")
    if gt < 0 or not rules.map_authors:
        return line
    who = line[: gt + 1]
    mapped = cache.get(who)
    if mapped is None:
        kind, _, rest = who.partition(b" ")
        lt = rest.rfind(b"<")
        if lt < 0:
            mapped = who
        else:
            name = rest[:lt].rstrip(b" ").decode("utf-8", "surrogateescape")
            email = rest[lt + 1 : -1].decode("utf-8", "surrogateescape")
            new_name, new_email = rules.identity(name, email)
            mapped = b"%s %s <%s>" % (
                kind,
                new_name.encode("utf-8", "surrogateescape"),
                new_email.encode("utf-8", "surrogateescape"),
            )
        cache[who] = mapped
    return mapped + line[gt + 1 :]
