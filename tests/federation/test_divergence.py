"""Divergence: a direct push to GitHub or a force-push on GitLab that rewrites published
history holds the sync (never overwrites); an OSPO admin imports, overwrites (with a reason)
or holds."""

import pytest

from federation import divergence
from federation.models import CommitMap, Divergence, SyncRun
from people.roles import OSPO_ADMIN, RESEARCHER
from tests.factories import UserFactory
from tests.federation import test_publish_kit as kit
from tests.localforge.helpers import git

fed, fed_settings = kit.fed, kit.fed_settings
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin():
    return UserFactory(username="ospo", roles=[OSPO_ADMIN])


@pytest.fixture
def diverged(fed, client):
    """Released; then someone pushes to GitHub directly, then a clean GitLab push comes in."""
    fed.release()
    ours = fed.mirror.public_sha
    work = fed.github_clone()
    theirs = fed.github_commit(work, {"HOTFIX.md": "fixed on GitHub\n"}, "Hotfix on GitHub")
    fed.commit({"src/demo/next.py": "N = 1\n"}, message="Next")
    run = fed.sync()
    return fed, ours, theirs, run


def test_a_direct_github_push_raises_a_divergence_and_nothing_is_overwritten(diverged, client):
    fed, ours, theirs, run = diverged
    assert run.status == "held"
    d = Divergence.objects.get(project=fed.project)
    assert (d.kind, d.state) == ("public_push", "open")
    assert (d.public_sha, d.expected_sha) == (theirs, ours)
    assert run.detail["divergence"] == d.pk
    assert fed.public_refs()["refs/heads/main"] == theirs  # untouched
    # The GitHub push webhook queues a check; the check finds the same divergence.
    delivery = fed.wait_github("push", lambda x: x["payload"]["after"] == theirs)
    response = fed.deliver_github(client, delivery)
    assert response.status_code == 202
    assert Divergence.objects.filter(project=fed.project).count() == 1
    assert SyncRun.objects.filter(project=fed.project, trigger="github-push").get().status == "held"


def test_hold_is_a_decision_and_keeps_everything_still(diverged, admin):
    fed, ours, theirs, run = diverged
    d = Divergence.objects.get(project=fed.project)
    researcher = UserFactory(roles=[RESEARCHER])
    with pytest.raises(divergence.DivergenceError):
        divergence.divergence_hold(divergence=d, by=researcher)
    d = divergence.divergence_hold(divergence=d, by=admin, reason="talking to the pusher")
    assert (d.state, d.decided_by) == ("held", admin)
    assert fed.sync().status == "held"
    assert fed.public_refs()["refs/heads/main"] == theirs


def test_overwrite_needs_a_reason_and_force_pushes_what_we_would_push(diverged, admin):
    fed, ours, theirs, run = diverged
    d = Divergence.objects.get(project=fed.project)
    with pytest.raises(divergence.DivergenceError, match="reason"):
        divergence.divergence_overwrite(divergence=d, by=admin, reason=" ")
    divergence.divergence_overwrite(divergence=d, by=admin, reason="unreviewed change")
    d.refresh_from_db()
    assert d.state == "overwritten" and d.reason == "unreviewed change"
    run = SyncRun.objects.filter(project=fed.project, trigger="overwrite").get()
    assert run.status == "succeeded", run.error
    assert "unreviewed change" in run.detail["forced"]
    mirror = fed.mirror
    assert fed.public_refs()["refs/heads/main"] == mirror.public_sha != theirs
    assert "HOTFIX.md" not in fed.public_files() and "src/demo/next.py" in fed.public_files()
    assert mirror.force_reason == ""
    assert fed.sync().status == "succeeded"  # and back to normal


def test_import_brings_the_public_commits_back_as_a_merge_request(diverged, admin):
    fed, ours, theirs, run = diverged
    d = Divergence.objects.get(project=fed.project)
    divergence.divergence_import(divergence=d, by=admin)  # eager: imported on commit
    d.refresh_from_db()
    assert d.state == "imported" and d.merge_request_url
    gl = kit_gitlab()
    mrs = [m for m in gl.projects.get(fed.glp.id).mergerequests.list(get_all=True)]
    mr = next(m for m in mrs if m.source_branch.startswith("github/direct-"))
    assert mr.web_url == d.merge_request_url
    # The branch holds GitHub's commit on top of our internal published commit, the author kept.
    branch_tip = git("ls-remote", fed.glp.http_url, f"refs/heads/{mr.source_branch}",
                     header=fed.glp.header).stdout.split()[0]  # fmt: skip
    internal = CommitMap.objects.get(project=fed.project, public_sha=theirs, source="import")
    assert internal.internal_sha == branch_tip
    # Still held until it merges; then the sync goes on top of GitHub's commit (no force).
    assert fed.sync().status == "held"
    kit_merge(fed, mr.iid)
    run = fed.sync()
    assert run.status == "succeeded", run.error
    d.refresh_from_db()
    assert d.state == "resolved"
    public = fed.public_refs()["refs/heads/main"]
    clone = fed.public_clone()
    assert (
        git("merge-base", "--is-ancestor", theirs, public, cwd=clone, check=False).returncode == 0
    )
    assert {"HOTFIX.md", "src/demo/next.py"} <= fed.public_files()


def test_a_gitlab_force_push_over_published_history_is_held(fed, admin):
    fed.release()
    published = fed.commit({"src/demo/p.py": "P = 1\n"}, message="Published")
    assert fed.sync().status == "succeeded"
    git("reset", "-q", "--hard", "HEAD~1", cwd=fed.work)
    rewritten = fed.commit({"src/demo/q.py": "Q = 1\n"}, message="Rewritten", push=False)
    fed.glp_unprotect()
    fed.push(force=True)
    run = fed.sync()
    assert run.status == "held"
    d = Divergence.objects.get(project=fed.project)
    assert (d.kind, d.internal_sha) == ("internal_rewrite", rewritten)
    assert fed.mirror.published_sha == published
    with pytest.raises(divergence.DivergenceError, match="Only commits pushed to GitHub"):
        divergence.divergence_import(divergence=d, by=admin)
    divergence.divergence_overwrite(divergence=d, by=admin, reason="history fixed on purpose")
    assert fed.mirror.published_sha == rewritten
    files = fed.public_files()
    assert "src/demo/q.py" in files and "src/demo/p.py" not in files


def kit_gitlab():
    import gitlab
    from django.conf import settings

    return gitlab.Gitlab(settings.GITLAB_URL, private_token=settings.GITLAB_TOKEN)


def kit_merge(fed, iid):
    from federation.comeback import gitlab as adapter

    adapter().merge_merge_request(fed.project.gitlab_id, iid)
