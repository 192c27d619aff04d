"""The streamed tree-surgery rewrite (federation.packrewrite over federation.packfile and
federation.gitpipe) against fast-export, on a history with the awkward cases: nested and
look-alike paths, a folder emptied by the rules, a commit left with nothing, a merge, an
encoding header, existing trailers and a signed commit."""

import time

import pytest

from federation import fastexport, git, gitpipe, packfile, packrewrite
from federation.rules import Rules

RULES = Rules(
    excluded=("internal/", ".gitlab-ci.yml", "docs/internal/", "only/internal"),
    map_authors=True,
    authors={"a@inst.example": ("Alice Public", "alice@example.org")},
    internal_domains=frozenset({"inst.example"}),
)
KEEP = {"README.md", "internal.md", "my internal", "xinternal/a.txt", "docs/guide.md"}


def _commit(ref, files, *, parents=(), who="A <a@inst.example>", message="change", when=0,
            encoding=None):  # fmt: skip
    lines = [f"commit {ref}", f"mark :{_commit.mark}"]
    _commit.mark += 1
    lines.append(f"author {who} {1700000000 + when} +0900")
    lines.append(f"committer {who} {1700000000 + when} +0900")
    if encoding:
        lines.append(f"encoding {encoding}")
    raw = message.encode("latin-1" if encoding else "utf-8")
    out = ("\n".join(lines) + f"\ndata {len(raw)}\n").encode() + raw + b"\n"
    for i, p in enumerate(parents):
        out += f"{'from' if i == 0 else 'merge'} {p}\n".encode()
    out += b"deleteall\n"
    for path, content in sorted(files.items()):
        data = content.encode()
        out += f'M 100644 inline "{path}"\ndata {len(data)}\n'.encode() + data + b"\n"
    return out + b"\n"


_commit.mark = 1


def _history(repo):
    _commit.mark = 1
    base = {"README.md": "r\n", ".gitlab-ci.yml": "ci\n", "internal/secret.txt": "s\n",
            "internal.md": "look-alike\n", "my internal": "space\n", "xinternal/a.txt": "x\n",
            "docs/internal/x.md": "x\n", "docs/guide.md": "g\n", "only/internal/y": "y\n"}  # fmt: skip
    stream = _commit("refs/heads/main", base, message="first\n")
    stream += _commit("refs/heads/main", {**base, "README.md": "r2\n"}, parents=(":1",), when=1,
                      who="B <b@inst.example>", message="second\n\nSigned-off-by: B <b@x>\n")  # fmt: skip
    stream += _commit("refs/heads/topic", {**base, "docs/guide.md": "g2\n"}, parents=(":1",),
                      when=2, who="Outside <o@elsewhere.example>")  # fmt: skip
    stream += _commit("refs/heads/main", {**base, "README.md": "r2\n", "docs/guide.md": "g2\n"},
                      parents=(":2", ":3"), when=3, message="Merge branch 'topic'\n")  # fmt: skip
    stream += _commit("refs/heads/main", {**base, "README.md": "caf\xe9\n"}, parents=(":4",),
                      when=4, encoding="ISO-8859-1", message="caf\xe9\n")  # fmt: skip
    stream += _commit(
        "refs/heads/main", {".gitlab-ci.yml": "ci\n"}, parents=(":5",), when=5, message="bare\n"
    )
    stream += _commit("refs/heads/main", base, parents=(":6",), when=6, message="back\n")
    git.run(["fast-import", "--quiet", "--done"], repo=repo, input=stream + b"done\n")
    tip = git.run(["rev-parse", "refs/heads/main"], repo=repo).text.strip()
    # A signed commit on top (the signature no longer verifies on a copy: it is dropped).
    tree = git.run(["rev-parse", f"{tip}^{{tree}}"], repo=repo).text.strip()
    signed = (f"tree {tree}\nparent {tip}\nauthor A <a@inst.example> 1700000100 +0900\n"
              "committer A <a@inst.example> 1700000100 +0900\ngpgsig -----BEGIN PGP SIGNATURE-----\n"
              " \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n\nsigned\n")  # fmt: skip
    sha = git.run(["hash-object", "-t", "commit", "-w", "--stdin"], repo=repo,
                  input=signed.encode()).text.strip()  # fmt: skip
    git.run(["update-ref", "refs/heads/main", sha], repo=repo)
    return sha


def _paths(repo, sha):
    out = git.run(["ls-tree", "-r", "--name-only", "-z", sha], repo=repo).stdout
    return {p.decode() for p in out.split(b"\0") if p}


def test_streamed_rewrite_agrees_with_fast_export(bare_repo):
    tip = _history(bare_repo)
    a = packrewrite.rewrite_trees(bare_repo, tip=tip, parents={}, rules=RULES, ref="refs/osp/t/a")
    b = fastexport.rewrite_range(bare_repo, tip=tip, parents={}, rules=RULES, ref="refs/osp/t/b")
    assert a.mapping == b.mapping and a.tip == b.tip and len(a.mapping) == 8
    git.run(["fsck", "--strict", "--no-dangling"], repo=bare_repo)
    assert _paths(bare_repo, a.tip) == KEEP
    log = git.run(["log", "--format=%H %s", tip], repo=bare_repo).text.splitlines()
    by_subject = {line[41:]: line[:40] for line in log}
    emptied = a.mapping[by_subject["bare"]]  # only .gitlab-ci.yml in it: the empty tree
    assert git.run(["rev-parse", f"{emptied}^{{tree}}"], repo=bare_repo).text.strip() == (
        packfile.EMPTY_TREE_HEX.decode()
    )
    body = git.run(["cat-file", "commit", a.tip], repo=bare_repo).text
    assert "gpgsig" not in body and f"Internal-Commit: {tip}" in body
    assert "author Alice Public <alice@example.org>" in body
    merge = git.run(
        ["cat-file", "commit", a.mapping[by_subject["Merge branch 'topic'"]]], repo=bare_repo
    ).text
    assert merge.count("\nparent ") == 2
    latin = git.run(["cat-file", "commit", a.mapping[by_subject["caf\xe9"]]], repo=bare_repo).stdout
    assert b"\nencoding ISO-8859-1\n" in latin and b"caf\xe9\n" in latin
    second = git.run(["cat-file", "commit", a.mapping[by_subject["second"]]], repo=bare_repo)
    trailers = f"Signed-off-by: B <b@x>\nInternal-Commit: {by_subject['second']}\n"
    assert second.text.endswith(trailers)


def test_incremental_copy_and_no_exclusions(bare_repo):
    tip = _history(bare_repo)
    whole = packrewrite.rewrite_trees(
        bare_repo, tip=tip, parents={}, rules=RULES, ref="refs/osp/t/w"
    )
    parent = git.run(["rev-parse", f"{tip}~1"], repo=bare_repo).text.strip()
    known = {k: v for k, v in whole.mapping.items() if k != tip}
    step = packrewrite.rewrite_trees(bare_repo, tip=tip, exclude=[parent], parents=known,
                                     rules=RULES, ref="refs/osp/t/s")  # fmt: skip
    assert step.tip == whole.tip and list(step.mapping) == [tip]
    authors_only = Rules(map_authors=True, internal_domains=frozenset({"inst.example"}))
    a = packrewrite.rewrite_trees(bare_repo, tip=tip, parents={}, rules=authors_only,
                                  ref="refs/osp/t/x")  # fmt: skip
    b = fastexport.rewrite_range(bare_repo, tip=tip, parents={}, rules=authors_only,
                                 ref="refs/osp/t/y")  # fmt: skip
    assert a.mapping == b.mapping
    assert ".gitlab-ci.yml" in _paths(bare_repo, a.tip)


def test_pipe_reads_while_feeding_a_large_input(bare_repo):
    tip = _history(bare_repo)
    requests = f"{tip}\n".encode() * 20000  # far more than a pipe holds, both ways
    with gitpipe.pipe(["cat-file", "--batch-check"], repo=bare_repo, input=requests) as p:
        lines = [p.stdout.readline() for _ in range(20000)]
    assert set(lines) == {
        f"{tip} commit {len(git.run(['cat-file', 'commit', tip], repo=bare_repo).stdout)}\n".encode()
    }


def test_pipe_writable_collects_the_rest_and_locks(bare_repo):
    with gitpipe.pipe(["hash-object", "-w", "--stdin"], repo=bare_repo, writable=True) as p:
        p.stdin.write(b"hello\n")
    assert p.rest.strip() == b"ce013625030ba8dba906f756967f9e9ca394464a"
    assert git.run(["cat-file", "-t", "ce013625030ba8dba906f756967f9e9ca394464a"],
                   repo=bare_repo).text.strip() == "blob"  # fmt: skip


def test_pipe_errors_are_typed_and_timeouts_kill(bare_repo):
    with pytest.raises(git.GitError), gitpipe.pipe(["cat-file", "-p", "nope"], repo=bare_repo):
        pass
    started = time.monotonic()
    with (
        pytest.raises(git.GitTimeout),
        gitpipe.pipe(["cat-file", "--batch"], repo=bare_repo, writable=True, timeout=0.5) as p,
    ):
        assert p.stdout.read() == b""  # git was killed: its output ends
    assert time.monotonic() - started < 10
    with pytest.raises(ValueError):
        gitpipe.pipe(["cat-file", "--batch"], repo=bare_repo, input=b"", writable=True).__enter__()


def test_packfile_entries_round_trip(bare_repo):
    bodies = [b"", b"x" * 15, b"y" * 16, b"z" * 70000]  # 1-byte header, 2 bytes, a 2-block zlib
    entries = [packfile.entry(packfile.TREE if not b else 3, b) for b in bodies]
    with gitpipe.pipe(["index-pack", "--stdin"], repo=bare_repo, writable=True) as p:
        stream = packfile.PackStream(p.stdin, len(entries))
        for e in entries:
            stream.add(e)
        stream.finish()
    for b in bodies[1:]:
        sha = git.run(["hash-object", "--stdin"], repo=bare_repo, input=b).text.strip()
        assert git.run(["cat-file", "blob", sha], repo=bare_repo).stdout == b
    assert packfile.digest(packfile.TREE, b"").hex() == packfile.EMPTY_TREE_HEX.decode()
