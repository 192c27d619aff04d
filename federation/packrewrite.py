"""The fast rewrite: tree surgery over whole histories, written straight into packs.

When every excluded path is literal (no glob), a public commit differs from its original only
in a few tree entries along the excluded paths, its parents, identities and message. So:

1. `git rev-list --reverse --topo-order tip ^exclude` (one process);
2. `git cat-file --batch` (one process) reads each commit, its root tree and the trees of the
   folders that hold an excluded path (`<commit>:<folder>`), while
3. Python drops the excluded entries (a folder left empty is dropped too), rebuilds only the
   trees on the way to them, rebuilds the commit (mapped parents and identities, the
   Internal-Commit trailer; signatures dropped, since they no longer verify) and hashes it,
   while
4. `git index-pack --stdin` (one process) stores each new commit as it comes (a pack of one
   copy per original: its size is known up front); the new trees follow as a second, small
   pack, and `git update-ref` points the private ref at the tip, all under the repository's
   lock. The three processes and Python overlap: two cores, one for git, one for Python.

Every other object (blobs, untouched folders) is shared with the original. The output is
byte-for-byte what `git commit-tree` would write for the same tree, parents and message, so
the same input always gives the same shas.
"""

from __future__ import annotations

import re
from binascii import hexlify, unhexlify
from collections.abc import Iterable, Mapping
from pathlib import Path

from federation import git, gitpipe, packfile
from federation.packfile import COMMIT, EMPTY_TREE_ENTRY, EMPTY_TREE_HEX, TREE
from federation.rewrite import RewriteError, RewriteResult, add_trailer
from federation.rules import Rules

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


def _seeker(names: set[bytes]) -> re.Pattern[bytes]:
    """Matched at an entry boundary of a tree, skips whole entries (mode, name, NUL, 20-byte
    id: DOTALL, since ids are binary) up to the next one named in `names`, in C: (mode, name).
    A tree entry's name holds no NUL, so a match never starts inside an id or a name."""
    wanted = b"|".join(re.escape(n) for n in sorted(names))
    return re.compile(rb"(?:[0-7]+ [^\0]+\0.{20})*?([0-7]+) (" + wanted + rb")\0.{20}", re.DOTALL)


def _mentions(names: set[bytes]):
    """A quick test (a substring search, in C): may a tree's body hold one of `names`?"""
    return re.compile(b"|".join(re.escape(n) for n in sorted(names))).search


class _Trees:
    """Filters trees by the literal patterns; caches by (folder, original tree id)."""

    def __init__(self, patterns: list[tuple[str, ...]]):
        whole: dict[tuple[str, ...], set[bytes]] = {}  # folder -> names dropped there
        deeper: dict[tuple[str, ...], set[bytes]] = {}  # folder -> names to descend into
        for parts in patterns:
            folder, name = parts[:-1], parts[-1].encode()
            whole.setdefault(folder, set()).add(name)
            for i in range(len(parts) - 1):
                deeper.setdefault(parts[:i], set()).add(parts[i].encode())
        self.folders = sorted({f for f in deeper if f} | {f for f in whole if f})
        # folder -> (names dropped there, "may the tree hold one of its names", the seeker)
        self.plan = {
            f: (whole.get(f, set()), _mentions(names), _seeker(names).match)
            for f in {*whole, *deeper}
            for names in [whole.get(f, set()) | deeper.get(f, set())]
        }
        self.cache: dict[tuple[tuple[str, ...], bytes], bytes | None] = {}
        self.objects: list[bytes] = []

    def filter(self, folder: tuple[str, ...], oid: bytes, body: bytes, subtrees) -> bytes | None:
        """The id of the filtered tree (None when nothing is left)."""
        key = (folder, oid)
        if key in self.cache:
            return self.cache[key]
        if folder not in self.plan:  # no exclusions at all (only authors are mapped)
            return oid
        drop, mentions, seek = self.plan[folder]
        parts, changed, kept_from = [], False, 0
        if mentions(body):  # else nothing to do here: the common case
            pos = 0
            while (m := seek(body, pos)) is not None:  # only the entries named in `names`
                name, start, end = m.group(2), m.start(1), m.end()
                pos = end
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
        if not changed:
            result: bytes | None = oid
        elif not (new_body := b"".join(parts) + body[kept_from:]):
            result = None
        else:
            result = packfile.digest(TREE, new_body)
            self.objects.append(packfile.entry(TREE, new_body))
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
    # `commit <sha>` then its tree id, oldest first: the trees are then read by id (reading
    # `<sha>^{tree}` would parse every commit twice).
    listed = git.run(
        ["rev-list", "--reverse", "--topo-order", "--format=%T", tip, *(f"^{s}" for s in exclude)],
        repo=repo,
        timeout=timeout,
    ).stdout.split(b"\n")
    revs, roots = [line[7:] for line in listed[0:-1:2]], listed[1::2]
    if not revs:
        return RewriteResult(parents.get(tip), {})
    if len(roots) != len(revs) or not all(line.startswith(b"commit ") for line in listed[0:-1:2]):
        raise RewriteError("unexpected git rev-list output")
    trees = _Trees(patterns)
    folders = [b":" + "/".join(f).encode() for f in trees.folders]
    requests = b"".join(
        b"".join([sha, b"\n", root, b"\n", *(root + f + b"\n" for f in folders)])
        for sha, root in zip(revs, roots, strict=True)
    )
    copier = _Copier(trees, len(folders), parents, rules, fallback_parent)
    with git.repo_lock(repo):
        with (
            gitpipe.pipe(["index-pack", "--stdin"], repo=repo, writable=True, timeout=timeout) as sink,
            gitpipe.pipe(["cat-file", "--batch", "--buffer"], repo=repo, input=requests,
                         timeout=timeout, lock=False) as source,
        ):  # fmt: skip
            commits = packfile.PackStream(sink.stdin, len(revs))
            copier.run(revs, roots, packfile.Batch(source.stdout), commits)
            commits.finish()
        if trees.objects:
            git.run(["index-pack", "--stdin"], repo=repo, input=packfile.pack(trees.objects),
                    timeout=timeout)  # fmt: skip
        tip_copy = copier.new[tip.encode()].decode()
        git.run(["update-ref", ref, tip_copy], repo=repo, timeout=timeout)
    return RewriteResult(tip_copy, {k.decode(): v.decode() for k, v in copier.new.items()})


class _Copier:
    """Makes the copy of each commit, in order; `new` maps original hex -> copy hex."""

    def __init__(self, trees: _Trees, n_folders: int, parents, rules: Rules, fallback_parent):
        self.trees, self.n_folders, self.parents, self.rules = trees, n_folders, parents, rules
        self.fallback = fallback_parent.encode() if fallback_parent else None
        self.new: dict[bytes, bytes] = {}
        self.idents: dict[bytes, bytes] = {}  # `author|committer Name <email>` -> mapped
        self.empty_written = False

    def run(self, revs, roots, batch: packfile.Batch, out: packfile.PackStream) -> None:
        readline, read, add = batch.readline, batch.read, out.add
        filter_root, new = self.trees.filter, self.new
        entry, digest = packfile.entry, packfile.digest
        for sha, root_hex in zip(revs, roots, strict=True):
            kind, commit = _object(readline, read)
            tree_kind, root = _object(readline, read)
            if kind != b"commit" or tree_kind != b"tree":
                raise RewriteError(f"{sha.decode()} is not a commit")
            subtrees = self._subtrees(batch) if self.n_folders else None
            head, _, message = commit.partition(b"\n\n")
            tree = filter_root((), unhexlify(root_hex), root, subtrees)
            body = self._commit(sha, tree, head.split(b"\n"), message)
            new[sha] = hexlify(digest(COMMIT, body))
            add(entry(COMMIT, body))

    def _subtrees(self, batch: packfile.Batch) -> dict[bytes, bytes]:
        subtrees = {}
        for _ in range(self.n_folders):
            sub_oid, sub_kind, sub = batch.next()
            if sub_kind == b"tree":
                subtrees[unhexlify(sub_oid)] = sub
        return subtrees

    def _commit(self, sha: bytes, tree: bytes | None, lines: list[bytes], message: bytes) -> bytes:
        if tree is None and not self.empty_written:
            self.trees.objects.append(EMPTY_TREE_ENTRY)
            self.empty_written = True
        out = [b"tree " + (hexlify(tree) if tree else EMPTY_TREE_HEX)]
        seen: list[bytes] = []
        i, n = 1, len(lines)
        while i < n and lines[i].startswith(b"parent "):
            line = b"parent " + (self.new.get(lines[i][7:]) or self._parent(lines[i][7:]))
            if line not in seen:
                seen.append(line)
            i += 1
        out += seen
        if (
            n - i == 2
            and lines[i].startswith(b"author ")
            and lines[i + 1].startswith(b"committer ")
        ):
            out += (self._ident(lines[i]), self._ident(lines[i + 1]))  # the common case
        else:
            self._headers(lines[i:], out)
        return b"\n".join(out) + b"\n\n" + add_trailer(message, sha.decode())

    def _headers(self, lines: list[bytes], out: list[bytes]) -> None:
        """The headers after the parents: identities mapped, encoding kept, signatures (and
        their continuation lines) dropped."""
        skip = False
        for line in lines:
            if skip and line.startswith(b" "):
                continue
            skip = False
            if line.startswith((b"author ", b"committer ")):
                out.append(self._ident(line))
            elif line.startswith(b"encoding "):
                out.append(line)
            elif line.split(b" ", 1)[0] in _DROP_HEADERS:
                skip = True

    def _parent(self, p: bytes) -> bytes:
        found = self.parents.get(p.decode())
        mapped = found.encode() if found else self.fallback
        if mapped is None:
            raise RewriteError(f"parent {p.decode()} has no public copy")
        return mapped

    def _ident(self, line: bytes) -> bytes:
        """`author|committer Name <email> when`, name and email mapped (cached per person)."""
        gt = line.rfind(b">")
        if gt < 0 or not self.rules.map_authors:
            return line
        who = line[: gt + 1]
        mapped = self.idents.get(who)
        if mapped is None:
            mapped = self.idents[who] = _map_ident(who, self.rules)
        return mapped + line[gt + 1 :]


def _object(readline, read) -> tuple[bytes, bytes]:
    """(type, content) of the next object of a cat-file --batch answer that must exist."""
    header = readline()
    parts = header.split(b" ")
    if len(parts) != 3:
        raise RewriteError(f"git cat-file: {header[:80]!r}")
    body = read(int(parts[2]) + 1)
    return parts[1], body[:-1]


def _map_ident(who: bytes, rules: Rules) -> bytes:
    kind, _, rest = who.partition(b" ")
    lt = rest.rfind(b"<")
    if lt < 0:
        return who
    name = rest[:lt].rstrip(b" ").decode("utf-8", "surrogateescape")
    email = rest[lt + 1 : -1].decode("utf-8", "surrogateescape")
    new_name, new_email = rules.identity(name, email)
    return b"%s %s <%s>" % (
        kind,
        new_name.encode("utf-8", "surrogateescape"),
        new_email.encode("utf-8", "surrogateescape"),
    )
