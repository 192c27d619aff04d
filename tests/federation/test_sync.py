"""Keeping a released project's mirror current: clean pushes go out, a planted secret holds the
sync at the last clean commit of the first-parent chain (a minor review names the range), a
waiver lets it through, release tags follow the per-project pattern, and the webhooks queue it."""

import datetime as dt

import pytest

from federation.models import Clearance, HeldDelta, SyncRun
from review.models import Waiver
from tests.factories import UserFactory
from tests.federation import test_publish_kit as kit
from tests.review.screening_helpers import RSA_KEY

fed, fed_settings = kit.fed, kit.fed_settings
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clean_push_is_screened_and_published(fed, client):
    fed.release()
    sha = fed.commit({"src/demo/fast.py": "def fast():\n    return 1\n"}, message="Faster")
    delivery = fed.wait_gitlab("Push Hook", lambda d: d["payload"]["after"] == sha)
    response = fed.deliver_gitlab(client, delivery)  # eager: the sync runs on commit
    assert response.status_code == 202
    run = SyncRun.objects.filter(project=fed.project, trigger="push").get()
    assert run.status == "succeeded", run.error
    assert (run.commits_published, run.commits_held) == (1, 0)
    assert run.refs_after["refs/heads/main"] == sha
    mirror = fed.mirror
    assert mirror.published_sha == sha
    assert fed.public_refs()["refs/heads/main"] == mirror.public_sha == run.detail["public"]
    assert "src/demo/fast.py" in fed.public_files()
    assert Clearance.objects.filter(project=fed.project, tip_sha=sha).exists()
    # a second delivery of the same push is a no-op
    again = fed.deliver_gitlab(client, delivery)
    assert again.status_code == 200 and "Duplicate" in again.json()["detail"]


def test_a_planted_secret_holds_at_the_last_clean_commit(fed):
    fed.release()
    published = fed.mirror.published_sha
    clean = fed.commit({"src/demo/a.py": "A = 1\n"}, message="Clean one")
    bad = fed.commit({"certs/server.pem": RSA_KEY}, message="Add TLS material")
    after = fed.commit({"src/demo/b.py": "B = 2\n"}, message="Clean after the secret")
    run = fed.sync()
    assert run.status == "held", run.error
    assert (run.commits_published, run.commits_held) == (1, 2)
    mirror = fed.mirror
    assert mirror.published_sha == clean  # the longest clean prefix went out
    files = fed.public_files()
    assert "src/demo/a.py" in files and "certs/server.pem" not in files
    held = HeldDelta.objects.get(project=fed.project)
    assert (held.state, held.lane) == ("open", "security")
    assert (held.from_sha, held.to_sha, held.first_blocked_sha) == (clean, after, bad)
    assert any(f["commit"] == bad for f in held.findings)
    assert run.detail["held_range"] == f"{clean}..{after}"
    assert published != clean
    # The public history holds nothing from the bad commit onwards.
    assert all(bad not in entry and after not in entry for entry in fed.public_log())

    # Nothing new: the next sync holds the same range (no second item).
    again = fed.sync(trigger="reconcile")
    assert again.status == "held"
    assert HeldDelta.objects.filter(project=fed.project).count() == 1

    # The security lane waives the findings: the held commits go out, the item closes.
    owner = UserFactory()
    for finding in held.screening.findings.filter(blocking=True):
        Waiver.objects.create(
            project=fed.project, fingerprint=finding.fingerprint, lane="security",
            reason="test key, not a secret", owner=owner, created_by=owner,
            expires_on=dt.date.today() + dt.timedelta(days=30),
        )  # fmt: skip
    released = fed.sync(trigger="manual")
    assert released.status == "succeeded", released.error
    assert fed.mirror.published_sha == after
    held.refresh_from_db()
    assert held.state == "released"
    assert "certs/server.pem" in fed.public_files()


def test_release_tags_follow_the_pattern_once_their_commit_is_out(fed, client):
    fed.release()
    sha = fed.commit({"src/demo/c.py": "C = 3\n"}, message="For 1.0")
    fed.tag("v1.0")
    fed.tag("nightly-7")
    run = fed.sync()
    assert run.status == "succeeded", run.error
    refs = fed.public_refs()
    mirror = fed.mirror
    assert refs["refs/tags/v1.0"] == mirror.public_sha and mirror.published_sha == sha
    assert "refs/tags/nightly-7" not in refs
    assert run.detail["tags"] == {"v1.0": "pushed"}
    # A tag push for a mirrored pattern queues a sync; others and other branches are ignored.
    fed.tag("v1.1")
    delivery = fed.wait_gitlab("Tag Push Hook", lambda d: d["payload"]["ref"] == "refs/tags/v1.1")
    assert fed.deliver_gitlab(client, delivery).json()["detail"] == "queued"
    assert fed.public_refs()["refs/tags/v1.1"] == mirror.public_sha
    other = fed.wait_gitlab("Tag Push Hook", lambda d: d["payload"]["ref"].endswith("nightly-7"))
    assert fed.deliver_gitlab(client, other).json()["detail"] == "ignored"
    fed.commit({"x.txt": "x\n"}, message="on a side branch", push=False)
    fed.push(ref="feature/x")
    side = fed.wait_gitlab("Push Hook", lambda d: d["payload"]["ref"] == "refs/heads/feature/x")
    assert fed.deliver_gitlab(client, side).json()["detail"] == "ignored"
    assert "refs/heads/feature/x" not in fed.public_refs()


def test_a_merged_side_branch_with_a_secret_holds_its_merge(fed):
    """First-parent chain: the merge that brings a bad side commit is where it stops."""
    from tests.localforge.helpers import git

    fed.release()
    base = fed.mirror.published_sha
    git("checkout", "-q", "-b", "side", cwd=fed.work)
    fed.commit({"certs/key.pem": RSA_KEY}, message="side: key", push=False)
    git("checkout", "-q", "main", cwd=fed.work)
    first = fed.commit({"src/demo/m1.py": "M1 = 1\n"}, message="main: one", push=False)
    git("merge", "-q", "--no-ff", "-m", "Merge side", "side", cwd=fed.work,
        env={"GIT_AUTHOR_NAME": "A", "GIT_AUTHOR_EMAIL": kit.ALICE[1],
             "GIT_COMMITTER_NAME": "A", "GIT_COMMITTER_EMAIL": kit.ALICE[1]})  # fmt: skip
    fed.commit({"src/demo/m2.py": "M2 = 2\n"}, message="main: two")
    run = fed.sync()
    assert run.status == "held"
    assert fed.mirror.published_sha == first
    held = HeldDelta.objects.get(project=fed.project)
    merge = fed.mirror_git("rev-parse", f"{held.to_sha}~1")
    assert held.first_blocked_sha == merge and held.from_sha == first and base != first


def test_another_worker_with_an_empty_cache_continues_the_mirror(fed):
    """Workers keep their own caches: one that never saw the project clones it, fetches our
    public copies from GitHub, and publishes on top of them."""
    import shutil

    from federation import repos

    fed.release()
    shutil.rmtree(repos.mirror_path(fed.project.key))  # the next sync runs "elsewhere"
    sha = fed.commit({"src/demo/elsewhere.py": "E = 1\n"}, message="From another worker")
    run = fed.sync()
    assert run.status == "succeeded", run.error
    assert fed.mirror.published_sha == sha
    assert fed.public_refs()["refs/heads/main"] == fed.mirror.public_sha
    assert "src/demo/elsewhere.py" in fed.public_files()


def test_a_sync_interrupted_after_its_push_converges(fed, monkeypatch):
    from federation import outbound

    fed.release()
    sha = fed.commit({"src/demo/i.py": "I = 1\n"}, message="interrupted")
    real = outbound.push_public

    def push_then_crash(**kwargs):
        real(**kwargs)
        raise RuntimeError("worker lost after the push")

    monkeypatch.setattr(outbound, "push_public", push_then_crash)
    with pytest.raises(RuntimeError):
        fed.sync()
    pushed = fed.public_refs()["refs/heads/main"]
    assert fed.mirror.published_sha != sha and fed.mirror.public_sha != pushed
    monkeypatch.setattr(outbound, "push_public", real)
    run = fed.sync(trigger="reconcile")
    assert run.status == "succeeded", run.error
    mirror = fed.mirror
    assert (mirror.published_sha, mirror.public_sha) == (sha, pushed)
    assert fed.public_refs()["refs/heads/main"] == pushed  # nothing pushed twice
    assert not run.detail["pushed"]
    from federation.models import Divergence

    assert not Divergence.objects.filter(project=fed.project).exists()
