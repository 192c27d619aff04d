"""The whole federation flow against localforge, once with eager tasks (runs everywhere) and
once with a real Celery worker on the `default,git` queues (PostgreSQL + a broker, as in CI):

approve (the review workflow, real screening) -> the GitHub repository exists with the approved
tree and no excluded path -> a clean push appears on GitHub -> a push with a planted secret is
held at the last clean commit -> a direct GitHub push raises a divergence -> a GitHub pull
request becomes a GitLab merge request, and is closed once it is merged and published.

Webhooks are the forges' real deliveries (recorded by localforge), replayed through the
service's endpoints.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django.conf import settings as django_settings

from federation.models import Divergence, HeldDelta, Mirror, PullRequestLink, SyncRun
from people.roles import COMMITTEE_CHAIR, COMMITTEE_MEMBER, RESEARCHER
from people.services import team_ensure_path
from review import services as review
from review.models import Disclosure
from tests.federation import test_publish_kit as kit
from tests.review.screening_helpers import RSA_KEY
from tests.review.workflow_fixtures import PLAN, assign, make_user
from tests.security.workers import worker_env

fed, fed_settings = kit.fed, kit.fed_settings
pytestmark = pytest.mark.django_db(transaction=True)


def until(predicate, timeout=90, what="condition", worker=None):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"the worker died:\n{worker.stdout.read().decode()[-4000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def committee(fed):
    owner = fed.project.ownerships.get().team
    other = team_ensure_path(path="Legal/Office")
    researcher = make_user("rita", [RESEARCHER], owner, email="rita@institute.example")
    reviewer = make_user("rev", [COMMITTEE_MEMBER], other)
    chair = make_user("chair", [COMMITTEE_CHAIR], other)
    assign(reviewer, "legal", "security", "ip", "export")
    return researcher, reviewer, chair


def approve_through_review(fed, sha, worker=None) -> Disclosure:
    researcher, reviewer, chair = committee(fed)
    fed.sync(trigger="registration")  # the mirror the screening reads
    until(lambda: SyncRun.objects.filter(project=fed.project, status="succeeded").exists(),
          what="the first sync", worker=worker)  # fmt: skip
    d = review.disclosure_request(
        project=fed.project, by=researcher, sha=sha, **{**PLAN, "target_repo": fed.project.name}
    )
    d = until(lambda: Disclosure.objects.filter(pk=d.pk, state="in_review").first(),
              what="the screening", worker=worker)  # fmt: skip
    for lane in ("legal", "security", "ip", "export"):
        review.disclosure_lane_sign_off(disclosure=d, lane=lane, by=reviewer)
    return review.disclosure_approve(disclosure=d, by=chair)


def flow(fed, client, worker=None):
    wait = {"worker": worker}
    approved = fed.mirror_head()

    # 1. Approve -> published: the approved tree, no excluded path.
    d = approve_through_review(fed, approved, worker)
    until(lambda: Disclosure.objects.filter(pk=d.pk, state="released").exists(),
          what="the release", **wait)  # fmt: skip
    mirror = Mirror.objects.get(project=fed.project)
    files = fed.public_files()
    assert "README.md" in files and "src/demo/core.py" in files
    assert not any(f.startswith("internal/") for f in files) and ".gitlab-ci.yml" not in files
    assert fed.public_refs()["refs/heads/main"] == mirror.public_sha

    # 2. A clean push appears on GitHub (push webhook -> sync -> screened -> published).
    clean = fed.commit({"src/demo/speed.py": "def speed():\n    return 2\n"}, message="Speed")
    hook = fed.wait_gitlab("Push Hook", lambda x: x["payload"]["after"] == clean)
    assert fed.deliver_gitlab(client, hook).status_code == 202
    until(lambda: Mirror.objects.get(project=fed.project).published_sha == clean,
          what="the clean push on GitHub", **wait)  # fmt: skip
    assert "src/demo/speed.py" in fed.public_files()

    # 3. A planted secret: held at the last clean commit, one item for the security lane.
    good = fed.commit({"src/demo/ok.py": "OK = 1\n"}, message="Fine", push=False)
    bad = fed.commit({"certs/server.pem": RSA_KEY}, message="TLS material")
    hook = fed.wait_gitlab("Push Hook", lambda x: x["payload"]["after"] == bad)
    fed.deliver_gitlab(client, hook)
    held = until(lambda: HeldDelta.objects.filter(project=fed.project, state="open").first(),
                 what="the held delta", **wait)  # fmt: skip
    assert (held.from_sha, held.to_sha, held.first_blocked_sha) == (good, bad, bad)
    assert Mirror.objects.get(project=fed.project).published_sha == good
    assert "certs/server.pem" not in fed.public_files()

    # 4. A direct push to GitHub raises a divergence; nothing is overwritten.
    work = fed.github_clone()
    theirs = fed.github_commit(work, {"HOTFIX.md": "fixed here\n"}, "Hotfix on GitHub")
    hook = fed.wait_github("push", lambda x: x["payload"]["after"] == theirs)
    assert fed.deliver_github(client, hook).status_code == 202
    divergence = until(lambda: Divergence.objects.filter(project=fed.project).first(),
                       what="the divergence", **wait)  # fmt: skip
    assert (divergence.kind, divergence.public_sha) == ("public_push", theirs)
    assert fed.public_refs()["refs/heads/main"] == theirs
    # (an admin overwrites it, with a reason, so the story can go on)
    from federation.divergence import divergence_overwrite
    from tests.factories import UserFactory

    admin = UserFactory(username="ospo-admin", roles=["OSPO admin"])
    divergence_overwrite(divergence=divergence, by=admin, reason="unreviewed hotfix")
    until(lambda: fed.public_refs()["refs/heads/main"] == Mirror.objects.get(
        project=fed.project).public_sha != theirs, what="the overwrite", **wait)  # fmt: skip

    # 5. A pull request from a fork comes back as a merge request...
    login = fed.localforge.unique("contrib")
    _, token = fed.localforge.create_user(login, email=kit.OUTSIDER[1])
    path = mirror.github_path
    fork = fed.github_api("POST", f"/repos/{path}/forks", token=token)
    fwork = fed.github_clone(url=fork["clone_url"], token=token)
    fed.github_commit(fwork, {"docs/faq.md": "# FAQ\n"}, "Add a FAQ", branch="faq",
                      token=token, url=fork["clone_url"])  # fmt: skip
    number = fed.open_pr(f"{login}:faq", "A FAQ", token=token)
    hook = fed.wait_github("pull_request", lambda x: x["payload"]["number"] == number)
    fed.deliver_github(client, hook)
    link = until(lambda: PullRequestLink.objects.filter(project=fed.project, mr_iid__isnull=False)
                 .first(), what="the merge request", **wait)  # fmt: skip
    assert link.branch == f"github/pr-{number}"

    # ... and once merged (the held secret removed first) and published, the PR is closed.
    from tests.localforge.helpers import git

    git("reset", "-q", "--hard", good, cwd=fed.work)  # drop the secret from history
    fed.glp_unprotect()
    fed.push(force=True)
    from federation.comeback import gitlab as gitlab_adapter

    gitlab_adapter().merge_merge_request(fed.project.gitlab_id, link.mr_iid)
    hook = fed.wait_gitlab(
        "Merge Request Hook", lambda x: x["payload"]["object_attributes"]["action"] == "merge"
    )
    fed.deliver_gitlab(client, hook)
    until(lambda: PullRequestLink.objects.get(pk=link.pk).state == "merged",
          what="the pull request closed", **wait)  # fmt: skip
    pr = fed.github().get_merge_request(path, number)
    assert pr.state == "closed"
    assert "docs/faq.md" in fed.public_files()
    assert HeldDelta.objects.get(pk=held.pk).state == "released"  # the key never went out
    assert "certs/server.pem" not in fed.public_files()
    statuses = set(SyncRun.objects.filter(project=fed.project).values_list("status", flat=True))
    assert statuses <= {"succeeded", "held", "skipped", "failed"}


def test_federation_end_to_end(fed, client):
    flow(fed, client)


# -- the same with a real worker ---------------------------------------------------------------


@pytest.fixture
def federation_worker(broker_url, postgres, transactional_db, fed_settings, localforge, tmp_path):
    env = worker_env(
        broker_url=broker_url,
        fed_settings=fed_settings,
        localforge=localforge,
        secret=kit.SECRET,
        retries=None,
        retry_wait="2",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,git",
         "--pool", "solo", "--concurrency", "1", "--without-gossip", "--without-mingle",
         "--loglevel", "INFO"],
        cwd=django_settings.BASE_DIR, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    yield proc
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.services
@pytest.mark.real_worker
def test_federation_end_to_end_with_a_real_worker(fed, client, federation_worker):
    from config.celery import app

    assert not app.conf.task_always_eager
    flow(fed, client, worker=federation_worker)
    assert federation_worker.poll() is None
