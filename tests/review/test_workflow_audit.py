"""The audit log: every step is recorded with who, when, what and the sha; nobody can change
or delete an entry (the app, the ORM or the admin); it exports as CSV."""

import csv
import io

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from people.roles import OSPO_ADMIN
from review import selectors, services
from review.models import AuditEntry
from review.models.audit import AuditImmutable
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import (
    PASSWORD,
    FakeFinding,
    finish_screening,
    make_user,
    sign_all,
    submitted,
)

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db


def walk(world):
    d = submitted(world)
    finish_screening(d, [FakeFinding(severity="info", fingerprint="fp-info")])
    services.disclosure_comment(disclosure=d, by=world.legal, text="=cmd|' /C calc'!A0")
    sign_all(world, d)
    services.disclosure_approve(disclosure=d, by=world.chair)
    return d


def test_every_step_is_logged_with_actor_and_sha(world):
    d = walk(world)
    log = list(selectors.audit_log(d))
    kinds = [(e.action, e.to_state or e.lane) for e in log]
    assert kinds == [
        ("transition", "draft"),
        ("transition", "submitted"),
        ("transition", "screening"),
        ("transition", "in_review"),
        ("comment", ""),
        ("vote", "legal"),
        ("vote", "export"),
        ("vote", "security"),
        ("vote", "ip"),
        ("transition", "approved"),
    ]
    assert {e.sha for e in log[1:]} == {world.sha}
    assert log[0].actor == world.researcher and log[2].actor is None
    assert log[2].actor_name == "system"
    assert log[-1].actor_name == "dave"


def test_entries_cannot_be_changed_or_deleted(world):
    d = walk(world)
    entry = AuditEntry.objects.filter(disclosure=d).first()
    entry.detail = "rewritten"
    with pytest.raises(AuditImmutable):
        entry.save()
    with pytest.raises(AuditImmutable):
        entry.delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(disclosure=d).update(detail="x")
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.filter(disclosure=d).delete()
    with pytest.raises(AuditImmutable):
        AuditEntry.objects.bulk_update([entry], ["detail"])
    assert not AuditEntry.objects.filter(detail__in=["rewritten", "x"]).exists()
    assert AuditEntry.objects.filter(disclosure=d).count() == 10


def test_admin_cannot_change_or_delete_entries(world, client):
    d = walk(world)
    admin_user = make_user("root", [OSPO_ADMIN])
    admin_user.is_staff = True
    admin_user.save()
    model_admin = site._registry[AuditEntry]
    request = RequestFactory().get("/")
    request.user = admin_user
    entry = AuditEntry.objects.filter(disclosure=d).first()
    assert model_admin.has_change_permission(request, entry) is False
    assert model_admin.has_delete_permission(request, entry) is False
    assert model_admin.has_add_permission(request) is False

    client.login(username="root", password=PASSWORD)
    change_url = reverse("admin:review_auditentry_change", args=[entry.pk])
    assert client.get(change_url).status_code == 200  # readable
    client.post(change_url, {"detail": "forged", "action": "comment"})
    delete_url = reverse("admin:review_auditentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:review_auditentry_changelist")
    client.post(changelist, {"action": "delete_selected", "_selected_action": [entry.pk]})
    entry_after = AuditEntry.objects.get(pk=entry.pk)
    assert entry_after.detail == entry.detail
    assert AuditEntry.objects.filter(disclosure=d).count() == 10


def test_csv_export(world, client):
    d = walk(world)
    client.login(username="bob", password=PASSWORD)
    response = client.get(reverse("review:audit-csv", args=[d.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == selectors.AUDIT_COLUMNS
    assert len(rows) == 11
    comment = next(r for r in rows if r[2] == "comment")
    assert comment[7].startswith("'=")  # no spreadsheet formula injection
    assert rows[-1][1:5] == ["dave", "transition", "in_review", "approved"]


def test_log_is_shown_on_the_disclosure_page(world, client):
    d = walk(world)
    client.login(username="alice", password=PASSWORD)
    page = client.get(reverse("review:disclosure", args=[d.pk])).content.decode()
    assert 'data-testid="audit-log"' in page
    assert page.count("<tr>", page.index('data-testid="audit-log"')) >= 10
