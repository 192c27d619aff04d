"""Patch ids only where they can matter: the numstat signature rules out the rest, and never
merges two different changes."""

import pytest

from incentives.gitlog import FileStat
from incentives.ingest import ingest
from incentives.models import Change
from incentives.signatures import always_needs_patch_id, numstat_signature
from tests.incentives.conftest import BOB, CAROL
from tests.incentives.gitrepo import Repo, lines

pytestmark = pytest.mark.django_db


def test_same_numstat_different_content_is_not_merged(org, repo):
    first = repo.commit({"a.py": lines(9, "one")}, author=BOB, date="2025-03-03T10:00:00+09:00")
    repo.write({"a.py": None})
    repo.commit({}, author=CAROL, date="2025-03-03T11:00:00+09:00", message="drop a")
    second = repo.commit({"a.py": lines(9, "two")}, author=BOB, date="2025-03-04T10:00:00+09:00")

    report = ingest(project=org.project, repo=repo.path)

    one, two = Change.objects.get(sha=first), Change.objects.get(sha=second)
    assert one.numstat_sig == two.numstat_sig  # a.py +9 -0 both times
    assert one.patch_id and two.patch_id and one.patch_id != two.patch_id
    assert (one.status, two.status) == (Change.Status.ELIGIBLE, Change.Status.ELIGIBLE)
    assert report.statuses["duplicate"] == 0


def test_a_unique_change_gets_no_patch_id_until_another_collides(org, repo, tmp_path):
    sha = repo.commit({"a.py": lines(7, "x")}, author=BOB, date="2025-03-03T10:00:00+09:00")
    ingest(project=org.project, repo=repo.path)
    stored = Change.objects.get(sha=sha)
    assert stored.patch_id == "" and stored.numstat_sig

    # Same numstat, other content, in another repository (the mirror): not merged, and the
    # stored change's patch id is computed from the repository its ingest read.
    mirror = Repo(tmp_path / "mirror")
    other = mirror.commit({"a.py": lines(7, "y")}, author=BOB, date="2025-03-05T10:00:00+09:00")
    copy = mirror.commit({"b.py": lines(3)}, author=BOB, date="2025-03-06T10:00:00+09:00")
    report = ingest(project=org.project, repo=mirror.path, source="github")

    stored.refresh_from_db()
    mirrored = Change.objects.get(sha=other)
    assert stored.patch_id and mirrored.patch_id and stored.patch_id != mirrored.patch_id
    assert mirrored.status == Change.Status.ELIGIBLE and report.statuses["duplicate"] == 0
    assert Change.objects.get(sha=copy).patch_id == ""  # b.py +3 is unique: no patch id


def test_signature_is_the_multiset_of_file_counts():
    a = [FileStat("x.py", 3, 1), FileStat("y.py", 0, 2)]
    assert numstat_signature(a) == numstat_signature(list(reversed(a)))
    assert numstat_signature(a) != numstat_signature([FileStat("x.py", 3, 1)])
    assert numstat_signature(a) != numstat_signature([FileStat("x.py", 1, 3), a[1]])
    rename = [FileStat("new.py", 1, 1, old_path="old.py")]
    assert numstat_signature(rename) != numstat_signature([FileStat("new.py", 1, 1)])


@pytest.mark.parametrize(
    ("files", "needed"),
    [
        ([FileStat("a", 3, 1)], False),
        ([FileStat("a", 3, 0)], False),  # one file alone cannot be half of a rename
        ([FileStat("a", 3, 1), FileStat("b", 2, 2)], False),
        ([FileStat("a", 3, 0), FileStat("b", 2, 0)], False),  # only additions
        ([FileStat("a", 3, 0), FileStat("b", 0, 4)], True),  # an add and a delete: a move?
        ([FileStat("a", None, None), FileStat("b", 2, 0)], True),  # binary: either side
        ([FileStat("a", 0, 0), FileStat("b", 0, 0)], True),  # empty files
        ([FileStat("b", 1, 1, old_path="a")], True),  # a detected rename
    ],
)
def test_changes_whose_numstat_may_hide_a_rename_always_get_a_patch_id(files, needed):
    assert always_needs_patch_id(files) is needed
