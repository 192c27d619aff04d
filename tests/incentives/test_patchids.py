"""Patch ids streamed beside the ingest's `git log` are the same as the ones computed after it."""

from pathlib import Path

import pytest

from federation.errors import GitError
from incentives.patchids import patch_ids_of, streamed_patch_ids
from tests.incentives.conftest import BOB, CAROL
from tests.incentives.gitrepo import lines


def _history(repo) -> list[str]:
    """Every kind of change a diff can hold, one commit each (the root is the fixture's)."""
    shas = [repo.head()]
    day = "2025-03-0{}T10:00:00+09:00"
    shas.append(repo.commit({"a.py": lines(9, "one")}, author=BOB, date=day.format(3)))
    shas.append(repo.commit({"a.py": lines(12, "one")}, author=BOB, date=day.format(4)))
    repo.git("mv", "a.py", "b.py")  # a rename (hashed as delete + add: no rename detection)
    shas.append(repo.commit({}, author=CAROL, date=day.format(5), message="move"))
    (Path(repo.path) / "blob.bin").write_bytes(bytes(range(256)) * 4)  # a binary file
    repo.git("add", "blob.bin")
    shas.append(repo.commit({}, author=BOB, date=day.format(6), message="binary"))
    repo.git("update-index", "--chmod=+x", "b.py")  # a mode change only
    shas.append(repo.commit({}, author=CAROL, date=day.format(7), message="mode"))
    repo.git("rm", "-q", "-f", "b.py")
    shas.append(repo.commit({}, author=CAROL, date=day.format(8), message="rm"))
    return shas


def test_streamed_patch_ids_equal_the_log_ones(repo):
    shas = _history(repo)
    git_dir = Path(repo.path) / ".git"
    expected = patch_ids_of(git_dir, shas)
    with streamed_patch_ids(git_dir) as stream:
        for sha in reversed(shas):  # newest first, as `git log` yields them
            stream.add(sha)
            stream.add(sha)  # sent once
        found = stream.finish()
    assert stream.sent == set(shas)
    assert found == expected
    assert set(found) == set(shas)  # the root commit too (diffed against nothing)
    assert len(set(found.values())) == len(found)  # every change here differs


def test_an_ended_stream_still_gives_every_id_and_takes_no_more(repo):
    shas = _history(repo)
    git_dir = Path(repo.path) / ".git"
    with streamed_patch_ids(git_dir) as stream:
        for sha in shas[1:]:
            stream.add(sha)
        stream.end()
        stream.end()  # twice is fine
        stream.add(shas[1])  # already sent: nothing to do
        with pytest.raises(RuntimeError, match="ended"):
            stream.add(shas[0])
        found = stream.finish()
    assert found == patch_ids_of(git_dir, shas[1:])
    assert stream.sent == set(shas[1:])


def test_a_stream_nothing_was_sent_to_starts_no_git(tmp_path):
    # git on a missing repository would fail the block (next test): nothing started, no error
    with streamed_patch_ids(tmp_path / "missing.git") as stream:
        assert stream.finish() == {}
    assert stream.sent == set()


def test_a_stream_refuses_what_is_not_a_sha_and_fails_like_git(repo, tmp_path):
    with pytest.raises(ValueError), streamed_patch_ids(Path(repo.path) / ".git") as stream:
        stream.add("HEAD --output=/tmp/x")
    with pytest.raises(GitError), streamed_patch_ids(tmp_path / "missing.git") as stream:
        stream.add(repo.head())
