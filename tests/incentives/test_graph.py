"""graph.Landings against git itself: the merge that landed a commit is the chain commit M with
the commit in `git rev-list M ^M^1`."""

from pathlib import Path

from incentives import gitlog
from incentives.graph import Landings
from tests.incentives.conftest import ALICE, BOB, CAROL, DAVE
from tests.incentives.gitrepo import lines


def _oracle(repo) -> dict[str, str | None]:
    """{sha: the sha of the chain merge that brought it in, or None on the chain}."""
    chain = repo.git("rev-list", "--first-parent", "main").split()
    landed = dict.fromkeys(chain)
    for merge in chain:
        parents = repo.git("rev-list", "--no-walk", "--parents", merge).split()[1:]
        if len(parents) > 1:
            for sha in repo.git("rev-list", merge, f"^{parents[0]}").split():
                if sha != merge:
                    landed[sha] = merge
    return landed


def _history(repo) -> None:
    day = "2025-03-{:02d}T10:00:00+09:00".format
    root = repo.head()
    repo.checkout("f1", new=True)
    # dated after its children: a date-ordered log would show it before one of them (b.py's),
    # and the landing would come out wrong (f2's merge instead of f1's)
    f1a = repo.commit({"a.py": lines(3, "a")}, author=BOB, date=day(28))
    repo.commit({"b.py": lines(3, "b")}, author=BOB, date=day(3))
    repo.checkout("f2", new=True, at=f1a)  # a branch off a branch
    repo.commit({"c.py": lines(3, "c")}, author=CAROL, date=day(4))
    repo.checkout("main")
    repo.commit({"d.py": lines(3, "d")}, author=ALICE, date=day(5))  # a direct push
    repo.merge("f1", by=DAVE, date=day(6))  # lands f1's two commits
    repo.checkout("f2")
    repo.merge("main", by=CAROL, date=day(7))  # main merged back into the side branch
    repo.commit({"e.py": lines(3, "e")}, author=CAROL, date=day(27))  # after its landing
    repo.checkout("f3", new=True, at=root)  # from the very start
    repo.commit({"f.py": lines(3, "f")}, author=BOB, date=day(8))
    repo.checkout("main")
    repo.commit({"g.py": lines(3, "g")}, author=ALICE, date=day(9))
    repo.merge("f2", by=DAVE, date=day(10))  # f2's own commits and its back-merge
    repo.merge("f3", by=DAVE, date=day(11))


def test_landings_name_the_merge_git_says_brought_each_commit_in(repo):
    _history(repo)
    git_dir = Path(repo.path) / ".git"
    tip = repo.head("main")
    landings = Landings(tip)
    found = {}
    for commit in gitlog.read_commits(git_dir, tip):
        merge = landings.see(commit)
        found[commit.sha] = merge.sha if merge else None
    expected = _oracle(repo)
    assert found == expected
    assert sum(1 for m in expected.values() if m) == 6  # commits that came in by a merge
    assert len(set(filter(None, expected.values()))) == 3  # by three different merges


def test_landings_of_a_range_stop_at_what_was_ingested_before(repo):
    _history(repo)
    git_dir = Path(repo.path) / ".git"
    old = repo.head("main~1")  # before f3 was merged
    tip = repo.head("main")
    landings = Landings(tip)
    found = {}
    for commit in gitlog.read_commits(git_dir, tip, [old]):
        merge = landings.see(commit)
        found[commit.sha] = merge.sha if merge else None
    assert found == {tip: None, repo.head("f3"): tip}
