"""The review audit log (AuditEntry) and the federation sync history (SyncRun) cannot be changed
or deleted through the app: not by the models, not by the admin (superuser included), not by
the API."""

import pytest
from django.contrib.admin.sites import site as admin_site
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from config.api import router
from federation.models import HistoryImmutable, SyncRun
from federation.runs import run_finished
from people.roles import OSPO_ADMIN
from review.models import AuditEntry, Disclosure
from review.models.audit import AuditImmutable
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db

WRITE_ACTIONS = {"create", "update", "partial_update", "destroy"}


@pytest.fixture
def history():
    project = ProjectFactory()
    running = SyncRun.objects.create(project=project, trigger="push")
    finished = run_finished(
        SyncRun.objects.create(project=project, trigger="push"), SyncRun.Status.SUCCEEDED
    )
    d = Disclosure.objects.create(project=project, sha="a" * 40)
    entry = AuditEntry.objects.create(
        disclosure=d, actor_name="system", action=AuditEntry.Action.COMMENT, detail="said once"
    )
    return project, running, finished, d, entry


def test_a_finished_run_cannot_be_changed_or_deleted(history):
    project, running, finished, _, _ = history
    finished.status = SyncRun.Status.FAILED
    with pytest.raises(HistoryImmutable):
        finished.save()
    with pytest.raises(HistoryImmutable):
        finished.delete()
    with pytest.raises(HistoryImmutable):
        SyncRun.objects.filter(pk=finished.pk).update(error="rewritten")
    with pytest.raises(HistoryImmutable), transaction.atomic():  # (its own savepoint)
        SyncRun.objects.bulk_update([finished], ["status"])
    with pytest.raises(HistoryImmutable):
        SyncRun.objects.filter(project=project).delete()
    finished.refresh_from_db()
    assert (finished.status, finished.error) == (SyncRun.Status.SUCCEEDED, "")
    assert SyncRun.objects.filter(project=project).count() == 2


def test_a_running_run_is_closed_once_then_it_is_history(history):
    _, running, _, _, _ = history
    SyncRun.objects.filter(pk=running.pk).update(commits_ingested=3)  # still running: allowed
    running.refresh_from_db()
    run_finished(running, SyncRun.Status.FAILED, error="boom")
    running.refresh_from_db()
    assert (running.status, running.commits_ingested, running.error) == ("failed", 3, "boom")
    with pytest.raises(HistoryImmutable):
        run_finished(running, SyncRun.Status.SUCCEEDED)
    with pytest.raises(HistoryImmutable):
        SyncRun.objects.filter(pk=running.pk).update(finished_at=timezone.now())


def test_deleting_a_project_does_not_take_its_history_with_it(admin_client):
    project = ProjectFactory()  # no disclosure (its audit log would PROTECT it anyway)
    run_finished(SyncRun.objects.create(project=project, trigger="push"), SyncRun.Status.FAILED)
    with pytest.raises(HistoryImmutable), transaction.atomic():
        project.delete()
    # The admin refuses first: deleting the project would delete runs, which nobody may.
    page = admin_client.post(f"/admin/projects/project/{project.pk}/delete/", {"post": "yes"})
    assert page.status_code == 403
    assert SyncRun.objects.filter(project_id=project.pk).count() == 1


def test_audit_entries_cannot_be_changed_or_deleted(history):
    _, _, _, d, entry = history
    entry.detail = "rewritten"
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(pk=entry.pk).update(detail="x")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.all().delete()
    with pytest.raises(Exception):  # noqa: B017 (PROTECT: the disclosure keeps its log)
        d.delete()
    assert AuditEntry.objects.get(pk=entry.pk).detail == "said once"


# --- The admin, even for a superuser --------------------------------------------------------


@pytest.mark.parametrize("model", [SyncRun, AuditEntry])
def test_the_admin_shows_history_but_never_adds_changes_or_deletes_it(
    model, history, admin_client, rf, admin_user
):
    obj = (
        SyncRun.objects.filter(finished_at__isnull=False).first()
        if model is SyncRun
        else history[4]
    )
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    assert admin_client.get(base).status_code == 200
    assert admin_client.get(f"{base}{obj.pk}/change/").status_code == 200  # a read-only view
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}add/", {}).status_code == 403
    assert admin_client.post(f"{base}{obj.pk}/change/", {"detail": "x"}).status_code == 403
    assert admin_client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = admin_client.post(
        base, {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert model.objects.filter(pk=obj.pk).exists()
    model_admin = admin_site._registry[model]
    request = rf.get(base)
    request.user = admin_user
    assert "delete_selected" not in model_admin.get_actions(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, obj)
    assert not model_admin.has_delete_permission(request, obj)


# --- The API --------------------------------------------------------------------------------


def test_no_api_route_writes_the_history():
    """Every viewset over SyncRun or AuditEntry is read-only (a new write route fails here)."""
    found = []
    for prefix, viewset, _ in router.registry:
        model = getattr(getattr(viewset, "queryset", None), "model", None)
        if model in (SyncRun, AuditEntry):
            found.append(prefix)
            assert not WRITE_ACTIONS & set(dir(viewset)), prefix
    assert "federation/runs" in found


def test_the_api_refuses_writes_to_runs_and_the_audit_log(history):
    _, _, finished, d, _ = history
    api = APIClient()
    api.force_authenticate(UserFactory(roles=[OSPO_ADMIN], is_superuser=True))
    assert api.get(f"/api/v1/federation/runs/{finished.pk}/").status_code == 200
    assert api.post("/api/v1/federation/runs/", {"trigger": "x"}).status_code == 405
    for method in ("put", "patch", "delete"):
        response = getattr(api, method)(f"/api/v1/federation/runs/{finished.pk}/", {})
        assert response.status_code == 405, method
    audit = f"/api/v1/disclosures/{d.pk}/audit/"
    assert api.get(audit).status_code == 200
    for method in ("post", "put", "patch", "delete"):
        assert getattr(api, method)(audit, {}).status_code == 405, method
    finished.refresh_from_db()
    assert finished.status == SyncRun.Status.SUCCEEDED
    assert AuditEntry.objects.filter(disclosure=d).count() == 1
