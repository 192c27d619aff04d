"""Publishing an approved disclosure to localforge's GitHub: repository metadata, exclusions,
author mapping, the Internal-Commit trailers and the commit map, snapshot vs full history,
convergence after an interruption."""

import pytest

from federation import repos
from federation.models import CommitMap, Mirror, SyncRun
from review.models import Disclosure
from tests.federation import test_publish_kit as kit
from tests.federation.test_publish_kit import ALICE, OUTSIDER

fed, fed_settings = kit.fed, kit.fed_settings

pytestmark = pytest.mark.django_db(transaction=True)


def test_full_history_publish_creates_the_repository_and_pushes_the_approved_sha(fed):
    first = fed.project  # noqa: F841
    approved = fed.commit({"src/demo/more.py": "Y = 2\n"}, message="More", author=OUTSIDER)
    later = fed.commit({"src/demo/later.py": "Z = 3\n"}, message="Not approved yet")
    d = fed.approve(approved)
    mirror = fed.publish(d)

    d.refresh_from_db()
    assert d.state == Disclosure.State.RELEASED and d.public_url == mirror.web_url
    info = fed.github().get_project(mirror.github_path)
    assert info.description == "A detector for small things"
    assert set(info.topics) == {"vision", "object-detection"}
    assert info.visibility == "public"
    fed.project.refresh_from_db()
    assert fed.project.public_url == info.web_url

    refs = fed.public_refs()
    assert refs == {"refs/heads/main": mirror.public_sha}
    files = fed.public_files()
    assert "README.md" in files and "src/demo/more.py" in files
    assert "src/demo/later.py" not in files  # only the approved sha
    assert not any(f.startswith("internal/") for f in files) and ".gitlab-ci.yml" not in files

    log = fed.public_log()
    internal = fed.mirror_git("rev-list", approved).split()
    assert len(log) == len(internal)  # every ancestor, one copy each
    assert all("Internal-Commit: " in entry for entry in log)
    tip_entry = log[0]
    assert f"Internal-Commit: {approved}" in tip_entry
    assert OUTSIDER[1] in tip_entry  # an outside address stays
    assert all(ALICE[1] not in entry for entry in log)  # the internal one never leaves
    assert any("alice-gh@users.noreply.github.com" in entry for entry in log)
    # the map: every internal commit -> its public copy
    copies = dict(
        CommitMap.objects.filter(project=fed.project).values_list("internal_sha", "public_sha")
    )
    assert set(copies) == set(internal) and copies[approved] == mirror.public_sha
    assert later not in copies
    run = SyncRun.objects.get(project=fed.project, trigger="publish")
    assert run.status == "succeeded" and run.commits_published == len(internal)


def test_snapshot_is_one_root_commit_by_the_release_identity(fed):
    approved = fed.commit({"src/demo/more.py": "Y = 2\n"}, message="More")
    mirror = fed.publish(fed.approve(approved, mode="snapshot"))
    clone = fed.public_clone()
    from tests.localforge.helpers import git

    count = git("rev-list", "--count", "refs/heads/main", cwd=clone).stdout.strip()
    assert count == "1"
    show = git("log", "-1", "--format=%an <%ae>|%cn <%ce>|%P|%B", "refs/heads/main", cwd=clone)
    who, committer, parents, message = show.stdout.split("|", 3)
    assert who == committer == "Institute OSPO <ospo@institute.example>"
    assert parents == ""
    assert f"Internal-Commit: {approved}" in message
    files = fed.public_files()
    assert "src/demo/more.py" in files and "internal/notes.md" not in files
    assert CommitMap.objects.get(project=fed.project).public_sha == mirror.public_sha
    # The snapshot's tree is the approved tree minus the exclusions, blob for blob.
    internal_tree = {
        line.split("\t")[1]: line.split()[2]
        for line in fed.mirror_git("ls-tree", "-r", approved).splitlines()
    }
    public_tree = {
        line.split("\t")[1]: line.split()[2]
        for line in git("ls-tree", "-r", "refs/heads/main", cwd=clone).stdout.splitlines()
    }
    expected = {p: o for p, o in internal_tree.items() if not p.startswith("internal/")}
    expected.pop(".gitlab-ci.yml")
    assert public_tree == expected


def test_publish_is_idempotent_and_converges_after_an_interruption(fed, monkeypatch):
    approved = fed.commit({"src/demo/more.py": "Y = 2\n"}, message="More")
    d = fed.approve(approved)
    from federation import publish

    # Interrupted right after the push, before anything was recorded.
    real = publish.tags.push_tags

    def crash(*args, **kwargs):
        raise RuntimeError("worker killed")

    monkeypatch.setattr(publish.tags, "push_tags", crash)
    with pytest.raises(RuntimeError):
        fed.publish(d)
    d.refresh_from_db()
    assert d.state == Disclosure.State.APPROVED  # back, with the reason
    assert "worker killed" in d.state_reason
    pushed = fed.public_refs()["refs/heads/main"]
    monkeypatch.setattr(publish.tags, "push_tags", real)

    mirror = fed.publish(d)  # re-run: same repository, same copy, no second push
    d.refresh_from_db()
    assert d.state == Disclosure.State.RELEASED
    assert mirror.public_sha == pushed and mirror.repo_created
    assert fed.org_repos() == [mirror.github_path]
    runs = list(SyncRun.objects.filter(project=fed.project, trigger="publish").order_by("pk"))
    assert [r.status for r in runs] == ["failed", "succeeded"]
    assert runs[1].detail["public_before"] == pushed  # found it already there
    # and once more: a released disclosure is a no-op
    assert fed.publish(d).public_sha == pushed
    assert SyncRun.objects.filter(project=fed.project, trigger="publish").count() == 2


@pytest.mark.parametrize(
    "where",
    [
        "federation.publish._forge_side",  # before or while the repository is made
        "federation.publish._public_copy",  # after the repository exists
        "federation.repos.push",  # right before the push
        "federation.publish.map_record",  # after the push, before the map
        "review.services.disclosure_released",  # the very last step
    ],
)
def test_an_interruption_anywhere_converges_on_the_next_run(fed, monkeypatch, where):
    import importlib

    approved = fed.commit({"src/demo/more.py": "Y = 2\n"}, message="More")
    d = fed.approve(approved)
    module_name, _, attr = where.rpartition(".")
    module = importlib.import_module(module_name)
    real = getattr(module, attr)
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == (2 if attr == "map_record" else 1):  # map: the tip's row goes first
            raise RuntimeError("interrupted")
        return real(*args, **kwargs)

    monkeypatch.setattr(module, attr, interrupted)
    with pytest.raises(RuntimeError, match="interrupted"):
        fed.publish(d)
    monkeypatch.setattr(module, attr, real)
    mirror = fed.publish(d)
    d.refresh_from_db()
    assert d.state == Disclosure.State.RELEASED
    assert fed.org_repos() == [mirror.github_path]
    assert fed.public_refs() == {"refs/heads/main": mirror.public_sha}
    internal = fed.mirror_git("rev-list", approved).split()
    assert CommitMap.objects.filter(project=fed.project).count() == len(internal)
    assert f"Internal-Commit: {approved}" in fed.public_log()[0]


def test_rewrite_is_deterministic_and_both_paths_agree(fed, tmp_path):
    """Same input -> same public shas: the tree-surgery path and fast-export agree."""
    from federation import fastexport, packrewrite
    from federation.rules import rules_for

    fed.commit({"docs/internal/x.md": "x\n", "a b.txt": "space\n"}, message="Odd paths")
    tip = fed.commit({"src/demo/more.py": "Y = 2\n"}, message="More")
    from federation import pipeline

    repo = pipeline.fetch(project=fed.project).path
    rules = rules_for(fed.project)
    a = packrewrite.rewrite_trees(repo, tip=tip, parents={}, rules=rules, ref="refs/osp/t/a")
    b = fastexport.rewrite_range(repo, tip=tip, parents={}, rules=rules, ref="refs/osp/t/b")
    c = packrewrite.rewrite_trees(repo, tip=tip, parents={}, rules=rules, ref="refs/osp/t/c")
    assert a.mapping == b.mapping == c.mapping and a.tip == b.tip
    # Incremental: the copy of the last commit alone, on the recorded parent copies.
    parent = fed.mirror_git("rev-parse", f"{tip}~1")
    known = {k: v for k, v in a.mapping.items() if k != tip}
    d = packrewrite.rewrite_trees(
        repo, tip=tip, exclude=[parent], parents=known, rules=rules, ref="refs/osp/t/d"
    )
    assert d.tip == a.tip and list(d.mapping) == [tip]
    assert repos.mirror_path(fed.project.key) == repo
    assert Mirror.objects.count() == 0
