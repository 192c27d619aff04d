"""The review pages: queue, disclosure page and its POST actions, request and resubmit forms."""

import json
import re

import pytest
from django.urls import reverse

from people.roles import RESEARCHER
from review import services
from review.models import Disclosure, Screening, Vote
from tests.review import workflow_fixtures
from tests.review.screening_helpers import RSA_KEY
from tests.review.workflow_fixtures import (
    PASSWORD,
    PLAN,
    FakeFinding,
    finish_screening,
    in_review,
    make_user,
    sign_all,
    submitted,
)

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db
State = Disclosure.State


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def page(client, d):
    response = client.get(reverse("review:disclosure", args=[d.pk]))
    assert response.status_code == 200
    return response.content.decode()


def act(client, d, action, **data):
    url = reverse("review:disclosure-action", args=[d.pk, action])
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    return response.content.decode()


def test_queue_access(world, client):
    url = reverse("review:queue")
    assert client.get(url).status_code == 302  # anonymous → sign in
    login(client, world.researcher)
    assert client.get(url).status_code == 403
    assert "Review queue" not in client.get("/").content.decode()
    client.logout()
    login(client, world.legal)
    assert client.get(url).status_code == 200
    assert "Review queue" in client.get("/").content.decode()  # the nav entry


def test_queue_filters_by_lane(world, client):
    d = in_review(world)
    login(client, world.legal)
    body = client.get(reverse("review:queue") + "?lane=legal").content.decode()
    assert f'data-testid="queue-row-{d.pk}"' in body
    services.disclosure_lane_sign_off(disclosure=d, lane="legal", by=world.legal)
    body = client.get(reverse("review:queue") + "?lane=legal").content.decode()
    assert f'data-testid="queue-row-{d.pk}"' not in body
    body = client.get(reverse("review:queue") + "?lane=security").content.decode()
    assert f'data-testid="queue-row-{d.pk}"' in body


def test_disclosure_visible_to_committee_and_owner_team_only(world, client):
    d = in_review(world)
    login(client, world.researcher)
    assert "Release plan" in page(client, d)
    client.logout()
    stranger = make_user(
        "ivan", [RESEARCHER], workflow_fixtures.people_services.team_ensure_path(path="X/Y")
    )
    login(client, stranger)
    assert client.get(reverse("review:disclosure", args=[d.pk])).status_code == 404
    assert client.get(reverse("review:audit-csv", args=[d.pk])).status_code == 404


def test_page_shows_findings_with_code_and_offers_actions(world, client):
    d = submitted(world)
    finish_screening(
        d,
        [FakeFinding(path="src/demo/core.py", line=3, fingerprint="fp-core", message="Planted")],
    )
    assert d.state == State.SCREEN_FAILED
    login(client, world.security)
    body = page(client, d)
    assert 'data-testid="code-context"' in body and "import os" in body
    assert "Planted" in body and 'data-testid="check-secrets"' in body
    assert 'data-testid="waive-form-' in body
    assert 'data-testid="approve"' not in body  # not the chair


def test_sign_off_by_post_and_errors_as_messages(world, client):
    d = in_review(world)
    login(client, world.legal)
    body = act(client, d, "sign_off", lane="security", note="")
    assert "not assigned to the security lane" in body
    assert not Vote.objects.exists()
    body = act(client, d, "sign_off", lane="legal", note="fine")
    assert "Signed off" in body
    assert Vote.objects.get().lane == "legal"
    body = act(client, d, "approve")
    assert "Only the committee chair" in body
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW


def test_same_team_member_sees_the_conflict_and_no_actions(world, client):
    d = in_review(world)
    login(client, world.teammate)
    body = page(client, d)
    assert 'data-testid="conflict"' in body and 'data-testid="vote-form"' not in body
    act(client, d, "sign_off", lane="legal")
    assert not Vote.objects.exists()


def test_chair_approves_from_the_page(world, client):
    d = in_review(world)
    login(client, world.chair)
    body = page(client, d)
    assert 'data-testid="blockers"' in body and "Lanes not signed off" in body
    sign_all(world, d)
    body = act(client, d, "approve", note="ok")
    assert "Approved" in body
    d.refresh_from_db()
    assert d.state == State.APPROVED and d.approved_sha == world.sha


def test_waive_by_post(world, client):
    d = submitted(world)
    finish_screening(d, [FakeFinding(fingerprint="fp-x")])
    f = Screening.objects.get(disclosure=d).findings.get()
    login(client, world.security)
    body = act(
        client, d, "waive", finding=f.pk, lane="security", reason="", owner="alice",
        expires_on="2020-01-01",
    )  # fmt: skip
    assert "Check the form" in body
    body = act(
        client, d, "waive", finding=f.pk, lane="security", reason="Dummy key.", owner="alice",
        expires_on=workflow_fixtures.dt.date.today() + workflow_fixtures.dt.timedelta(days=30),
    )  # fmt: skip
    assert "Waived until" in body
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW


def test_unknown_action_is_404_and_get_is_refused(world, client):
    d = in_review(world)
    login(client, world.legal)
    url = reverse("review:disclosure-action", args=[d.pk, "explode"])
    assert client.post(url).status_code == 404
    assert (
        client.get(reverse("review:disclosure-action", args=[d.pk, "sign_off"])).status_code == 405
    )


def test_request_release_form(world, client):
    login(client, world.researcher)
    project_page = client.get(reverse("projects:detail", args=[world.project.pk])).content.decode()
    assert 'data-testid="disclosure-panel"' in project_page
    assert 'data-testid="request-release"' in project_page
    url = reverse("review:request", args=[world.project.pk])
    data = {**PLAN, "maintainers": "alice-gh", "sha": "0" * 40}
    response = client.post(url, data)
    assert response.status_code == 200
    assert 'data-testid="error-sha"' in response.content.decode()
    response = client.post(url, {**data, "sha": world.sha, "outbound_license": "Apache 2"})
    assert 'data-testid="error-outbound_license"' in response.content.decode()
    assert not Disclosure.objects.exists()
    response = client.post(url, {**data, "sha": world.sha})
    d = Disclosure.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{d.pk}/")
    assert d.state == State.SUBMITTED
    project_page = client.get(reverse("projects:detail", args=[world.project.pk])).content.decode()
    assert 'data-testid="panel-disclosure-state">Submitted' in project_page


def test_request_release_is_for_the_owner_team(world, client):
    login(client, world.legal)
    assert client.get(reverse("review:request", args=[world.project.pk])).status_code == 403


def test_resubmit_form(world, client):
    d = submitted(world)
    finish_screening(d, [FakeFinding()])
    login(client, world.researcher)
    url = reverse("review:resubmit", args=[d.pk])
    form = client.get(url).content.decode()
    assert "demo-lib" in form  # the plan is prefilled
    data = {**PLAN, "maintainers": "alice-gh", "sha": d.sha}
    assert 'data-testid="error-sha"' in client.post(url, data).content.decode()
    new = world.commit({"x.txt": "x\n"})
    assert client.post(url, {**data, "sha": new}).status_code == 302
    d.refresh_from_db()
    assert d.state == State.SUBMITTED and d.sha == new
    client.logout()
    login(client, world.legal)
    assert client.get(url).status_code == 403


def test_screening_status_json(world, client):
    d = submitted(world)
    login(client, world.researcher)
    body = page(client, d)
    # Polls while running (static/osp/app.js follows data-screening-poll: no inline script).
    assert re.search(r'data-screening-poll="[^"]*screening\.json"', body)
    data = json.loads(client.get(reverse("review:screening-status", args=[d.pk])).content)
    assert data["disclosure_state"] == "submitted"
    assert data["screening"]["state"] == "running"
    finish_screening(d)
    data = json.loads(client.get(reverse("review:screening-status", args=[d.pk])).content)
    assert data["screening"]["state"] == "done" and data["screening"]["percent"] == 100
    assert "setInterval" not in page(client, d)


def test_page_with_real_findings_on_odd_files(world, client, django_capture_on_commit_callbacks):
    r = world.repo
    r.write({"bin/tool.exe": b"MZ\x00\x00" * 1000, "certs/key.pem": RSA_KEY})
    r.symlink("escape", "../../../etc/passwd")
    world.commit(message="odd")
    with django_capture_on_commit_callbacks(execute=True):
        d = services.disclosure_request(
            project=world.project, by=world.researcher, sha=world.sha, **PLAN
        )
    login(client, world.security)
    body = page(client, d)
    assert "private-key" in body and "binary-file" in body
    assert "BEGIN RSA PRIVATE KEY" in body  # the excerpt around the finding...
    assert RSA_KEY.splitlines()[1] not in body  # ...with the key itself masked
