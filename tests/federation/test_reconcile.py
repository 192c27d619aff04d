"""The reconcile job (beat) catches missed webhooks with `ls-remote` on both forges, and the drift
check verifies the public tree."""

import pytest

from federation import drift, reconcile
from federation.models import Divergence, Mirror, SyncRun
from tests.federation import test_publish_kit as kit

fed, fed_settings = kit.fed, kit.fed_settings
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_noop_reconcile_queues_nothing_and_a_missed_push_is_caught(fed):
    fed.release()
    fed.sync()  # seen refs recorded
    report = reconcile.reconcile_all()
    assert (report.checked, report.queued, report.errors) == (1, {}, {})
    assert Mirror.objects.get(project=fed.project).checked_at is not None

    # A push whose webhook never arrived: the next reconcile queues the sync (eager: runs it).
    sha = fed.commit({"src/demo/missed.py": "M = 1\n"}, message="webhook lost")
    report = reconcile.reconcile_all()
    assert list(report.queued) == [fed.project.pk] and "GitLab" in report.queued[fed.project.pk]
    run = SyncRun.objects.filter(project=fed.project, trigger="reconcile").get()
    assert run.status == "succeeded" and fed.mirror.published_sha == sha
    assert reconcile.reconcile_all().queued == {}


def test_reconcile_sees_a_direct_github_push_and_new_release_tags(fed):
    fed.release()
    fed.sync()
    fed.tag("v2.0")
    report = reconcile.reconcile_all(queue=False)
    assert report.queued == {fed.project.pk: "release tags changed on GitLab"}
    work = fed.github_clone()
    fed.github_commit(work, {"X.md": "x\n"}, "direct")
    report = reconcile.reconcile_all()
    assert "GitHub" in report.queued[fed.project.pk]
    assert Divergence.objects.filter(project=fed.project, state="open").exists()


def test_one_project_failing_does_not_stop_the_others(fed):
    fed.release()
    fed.commit({"src/demo/later.py": "L = 1\n"}, message="after the release")
    Mirror.objects.create(project=kit.ProjectFactory(clone_url=fed.glp.http_url + "-gone"),
                          github_path=f"{fed.settings.GITHUB_ORG}/none", state="active")  # fmt: skip
    report = reconcile.reconcile_all(queue=False)
    assert report.checked == 2 and len(report.errors) == 1 and fed.project.pk in report.queued


def test_the_drift_check(fed):
    fed.release()
    assert drift.drift_problem(fed.mirror) is None
    assert drift.drift_check_all() == []
    # The rules changed (or the rewrite went wrong): the public tree is not the expected one.
    rules = fed.project.publish_rules
    rules.excluded_paths = ["internal/"]
    rules.save()
    problem = drift.drift_problem(fed.mirror)
    assert problem and "missing ['.gitlab-ci.yml']" in problem
    assert drift.drift_check_all() == [(fed.project.pk, problem)]
    run = SyncRun.objects.get(project=fed.project, trigger="drift-check")
    assert run.status == "failed" and run.error == problem
