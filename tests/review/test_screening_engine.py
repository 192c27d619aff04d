"""The runner: odd blobs, one read per blob, stable fingerprints, progress, typed errors."""

from __future__ import annotations

import pytest

from review.checks import (
    FULL_HISTORY,
    SNAPSHOT,
    InvalidConfig,
    InvalidLicense,
    RepositoryUnreadable,
    ScanContext,
    ScreeningConfig,
    gitsource,
    run_screening,
)

from .gitrepo import GitRepo
from .screening_helpers import GITLAB_TOKEN, clean_files, make_clean_repo


@pytest.fixture
def odd_repo(tmp_path):
    """Binary, Latin-1, CP949, oversized, symlinks and a submodule, on top of a clean tree."""
    repo = GitRepo(tmp_path / "odd")
    for name, content in clean_files().items():
        repo.write(name, content)
    repo.write("data/blob.dat", b"\x00\x01\x02\xff" * 100)
    repo.write("data/latin1.txt", "caf\xe9 cr\xe8me\n".encode("latin-1"))
    repo.write("docs/memo-ko.txt", "문서 등급: 대외비\n".encode("cp949"))
    repo.write("data/big.txt", "x" * 24000 + f"\ntoken = {GITLAB_TOKEN}\n")
    repo.write("data/copy-of-core.py", clean_files()["src/demo/core.py"])  # same blob twice
    repo.symlink("docs/link-inside.md", "usage.md")
    repo.symlink("etc-passwd", "/etc/passwd")
    repo.submodule("third_party/lib", "1" * 40)
    repo.write("script.sh", "#!/bin/sh\necho hi\n", executable=True)
    repo.commit("Odd files")
    return repo


def small_limits() -> ScreeningConfig:
    return ScreeningConfig(size_limit=20_000, max_scan_bytes=15_000)


def test_odd_blobs_do_not_crash(odd_repo):
    for mode in (FULL_HISTORY, SNAPSHOT):
        result = run_screening(
            ScanContext(
                repo=odd_repo.path,
                sha=odd_repo.head,
                mode=mode,
                license="Apache-2.0",
                config=small_limits(),
            )
        )
        assert result.stats["errors"] == []
        keys = {(f.check, f.rule, f.path) for f in result.findings}
        assert keys == {
            ("readiness", "binary-file", "data/blob.dat"),
            ("readiness", "large-file", "data/big.txt"),
            ("readiness", "submodule", "third_party/lib"),
            ("readiness", "symlink-escapes", "etc-passwd"),
            ("leaks", "confidential-term", "docs/memo-ko.txt"),  # found through CP949
        }
        big = next(f for f in result.findings if f.path == "data/big.txt")
        assert "not scanned" in big.message  # the token sits past the scan cap
        assert result.stats["truncated"] == ["data/big.txt"]
        assert result.stats["submodules"] == 1
        assert result.stats["symlinks"] == 2
        assert result.stats["non_utf8"] == 2
        assert result.stats["binary"] == 1


def test_each_blob_is_read_once(odd_repo, monkeypatch):
    repo = odd_repo
    repo.write("docs/usage.md", "# Usage\n\nRead the source.\n")
    repo.delete("data/latin1.txt")
    repo.commit("Edit one file, delete another")
    reads: list[str] = []
    original = gitsource.CatFile.read

    def counting(self, oid, cap, **kwargs):
        reads.append(oid)
        return original(self, oid, cap, **kwargs)

    monkeypatch.setattr(gitsource.CatFile, "read", counting)
    result = run_screening(ScanContext(repo=repo.path, sha=repo.head, mode=FULL_HISTORY))
    blob_reads = [oid for oid in reads if oid != repo.head]
    assert len(blob_reads) == len(set(blob_reads)), "a blob was read twice"
    assert set(blob_reads) == repo.all_blobs()
    assert result.stats["blobs_read"] == len(blob_reads)
    assert result.stats["history_blobs"] == 2  # the old usage.md and the deleted latin1.txt

    reads.clear()
    result = run_screening(ScanContext(repo=repo.path, sha=repo.head, mode=SNAPSHOT))
    blob_reads = [oid for oid in reads if oid != repo.head]
    assert sorted(blob_reads) == sorted(repo.tree_blobs())
    assert reads.count(repo.head) == 1  # the commit object, for its message


def test_fingerprints_survive_an_unrelated_edit(tmp_path):
    repo = make_clean_repo(tmp_path / "fp")
    repo.write("src/demo/settings.py", f"# settings\nTOKEN = '{GITLAB_TOKEN}'\n")
    repo.write("docs/hosts.md", "Staging runs on ci.internal.example.ac.kr\n")
    first = repo.commit("Settings")
    repo.write(
        "src/demo/settings.py",
        f"# settings\n# (moved down by this comment)\n\nTOKEN = '{GITLAB_TOKEN}'\n",
    )
    repo.write("README.md", "# Demo\n\nNow with more words.\n")
    second = repo.commit("Unrelated edit")

    def screen(sha):
        result = run_screening(ScanContext(repo=repo.path, sha=sha, license="Apache-2.0"))
        return {(f.rule, f.path): f for f in result.findings}

    before, after = screen(first), screen(second)
    assert (
        set(before)
        == set(after)
        == {
            ("gitlab-token", "src/demo/settings.py"),
            ("internal-host", "docs/hosts.md"),
        }
    )
    token_before, token_after = (
        before[("gitlab-token", "src/demo/settings.py")],
        after[("gitlab-token", "src/demo/settings.py")],
    )
    assert (token_before.line, token_after.line) == (2, 4)
    assert token_before.fingerprint == token_after.fingerprint
    for key in before:
        assert before[key].fingerprint == after[key].fingerprint


def test_progress_reports_done_and_total(tmp_path):
    repo = make_clean_repo(tmp_path / "progress")
    calls = []
    result = run_screening(
        ScanContext(repo=repo.path, sha=repo.head, license="Apache-2.0"),
        progress=lambda done, total, phase: calls.append((done, total, phase)),
    )
    phases = [p for _, _, p in calls]
    assert phases[0] == "listing"
    assert {"blobs", "commits", "finishing"} <= set(phases)
    blobs = [(d, t) for d, t, p in calls if p == "blobs"]
    total = result.stats["blobs"]
    assert blobs[0] == (0, total) and blobs[-1] == (total, total)
    assert all(t == total for _, t in blobs)
    assert [d for d, _ in blobs] == sorted(d for d, _ in blobs)
    commits = [(d, t) for d, t, p in calls if p == "commits"]
    assert commits[-1] == (2, 2)


@pytest.mark.parametrize(
    "expression", ["Apache 2", "MIT AND", "(MIT", "Foo-1.0", "", "LicenseRef-Internal"]
)
def test_invalid_outbound_license_is_a_typed_error(tmp_path, expression):
    repo = make_clean_repo(tmp_path / "lic")
    with pytest.raises(InvalidLicense) as err:
        run_screening(ScanContext(repo=repo.path, sha=repo.head, license=expression))
    assert err.value.expression == expression
    assert err.value.reason


def test_outbound_license_is_normalised(tmp_path):
    repo = make_clean_repo(tmp_path / "lic")
    result = run_screening(ScanContext(repo=repo.path, sha=repo.head, license="apache-2.0"))
    assert result.findings == []


def test_unreadable_repository_is_a_typed_error(tmp_path):
    sha = "a" * 40
    with pytest.raises(RepositoryUnreadable, match="no such directory"):
        run_screening(ScanContext(repo=tmp_path / "missing", sha=sha))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RepositoryUnreadable, match="not a git repository") as err:
        run_screening(ScanContext(repo=tmp_path / "empty", sha=sha))
    assert err.value.reason
    repo = make_clean_repo(tmp_path / "repo")
    with pytest.raises(RepositoryUnreadable) as err:
        run_screening(ScanContext(repo=repo.path, sha=sha))
    assert f"commit {sha} not found" in err.value.reason
    tree = repo.git("rev-parse", "HEAD^{tree}")
    with pytest.raises(RepositoryUnreadable, match="not a commit"):
        run_screening(ScanContext(repo=repo.path, sha=tree))


def test_bad_context_is_refused():
    with pytest.raises(InvalidConfig):
        ScanContext(repo="/tmp", sha="HEAD")
    with pytest.raises(InvalidConfig):
        ScanContext(repo="/tmp", sha="a" * 40, mode="everything")
    with pytest.raises(InvalidConfig):
        ScanContext(repo="/tmp", sha="a" * 40, config={"size_limt": 1})


def test_resolve_commit(tmp_path):
    repo = make_clean_repo(tmp_path / "r")
    assert gitsource.resolve_commit(repo.path, "main") == repo.head
    assert gitsource.resolve_commit(repo.path, repo.head[:8]) == repo.head
    with pytest.raises(RepositoryUnreadable):
        gitsource.resolve_commit(repo.path, "no-such-branch")


def test_history_walk_attributes_blobs_to_their_first_commit(tmp_path):
    repo = GitRepo(tmp_path / "h")
    repo.write("a.txt", "one\n")
    c1 = repo.commit("one")
    repo.git("checkout", "-q", "-b", "side")
    repo.write("side.txt", "from the side branch\n")
    c_side = repo.commit("side")
    repo.git("checkout", "-q", "main")
    repo.write("b.txt", "two\n")
    repo.commit("two")
    repo.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
    repo.commits.append(repo.head)
    items = list(gitsource.iter_history(gitsource.git_dir_of(repo.path), repo.head))
    commits = [i for i in items if isinstance(i, gitsource.CommitInfo)]
    intros: dict[str, str] = {}
    for i in items:
        if isinstance(i, gitsource.Introduction):
            intros.setdefault(i.path, i.commit)  # the runner keeps the first introduction
    assert len(commits) == 4
    assert intros["a.txt"] == c1
    assert intros["side.txt"] == c_side  # not the merge
    assert commits[-1].message.startswith("merge side")


def test_a_crashing_check_fails_closed(tmp_path):
    from review.checks import Check

    class Broken(Check):
        name = "broken"
        rules_version = "broken-1"

        def scan_file(self, f):
            if f.path == "README.md":
                raise RuntimeError("boom")
            return ()

    repo = make_clean_repo(tmp_path / "r")
    result = run_screening(
        ScanContext(repo=repo.path, sha=repo.head, license="Apache-2.0"),
        checks=["secrets", Broken],
    )
    assert [(f.check, f.rule, f.severity, f.path) for f in result.findings] == [
        ("broken", "check-error", "blocker", "README.md")
    ]
    assert result.summary["blocking"] is True
    assert result.stats["errors"] == ["broken at README.md: RuntimeError: boom"]
