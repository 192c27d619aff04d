"""/api/v1/disclosures/: visibility, the whole flow as POSTs, and 400/403/409 on bad moves."""

import datetime as dt

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from people.roles import RESEARCHER
from review.models import Disclosure, Screening, Vote
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import (
    PLAN,
    FakeFinding,
    finish_screening,
    in_review,
    make_user,
)

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db
State = Disclosure.State
BASE = "/api/v1/disclosures/"


def api(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def post(user, d, action, **data):
    return api(user).post(f"{BASE}{d.pk}/{action}/", data, format="json")


def test_anonymous_gets_401(world):
    assert api().get(BASE).status_code == 401


def test_list_is_filtered_to_what_the_user_may_see(world):
    d = in_review(world)
    stranger = make_user(
        "ivan", [RESEARCHER], workflow_fixtures.people_services.team_ensure_path(path="X/Y")
    )
    assert api(stranger).get(BASE).json()["count"] == 0
    assert api(stranger).get(f"{BASE}{d.pk}/").status_code == 404
    body = api(world.researcher).get(BASE).json()
    assert [x["id"] for x in body["results"]] == [d.pk]
    item = api(world.legal).get(f"{BASE}{d.pk}/").json()
    assert item["state"] == "in_review" and item["sha"] == world.sha
    assert [lane["lane"] for lane in item["lanes"]] == ["legal", "security", "ip", "export"]
    assert item["screening"]["state"] == "done"


def test_filter_by_lane_and_state(world):
    d = in_review(world)
    assert api(world.legal).get(BASE, {"lane": "legal"}).json()["count"] == 1
    post(world.legal, d, "sign-off", lane="legal")
    assert api(world.legal).get(BASE, {"lane": "legal"}).json()["count"] == 0
    assert api(world.legal).get(BASE, {"lane": "export"}).json()["count"] == 1
    assert api(world.legal).get(BASE, {"state": "approved"}).json()["count"] == 0


def test_create_validates_input(world):
    client = api(world.researcher)
    data = {**PLAN, "project": world.project.pk, "sha": "1" * 40}
    response = client.post(BASE, data, format="json")
    assert response.status_code == 400 and "sha" in response.json()
    response = client.post(BASE, {**data, "sha": world.sha, "outbound_license": "Apachee-2.0"})
    assert response.status_code == 400 and "outbound_license" in response.json()
    response = client.post(BASE, {**data, "sha": world.sha, "target_repo": "a b"}, format="json")
    assert response.status_code == 400 and "target_repo" in response.json()
    assert not Disclosure.objects.exists()


def test_create_by_another_team_is_403(world):
    data = {**PLAN, "project": world.project.pk, "sha": world.sha}
    assert api(world.legal).post(BASE, data, format="json").status_code == 403
    assert not Disclosure.objects.exists()


def test_the_whole_flow(world):
    data = {**PLAN, "project": world.project.pk, "sha": world.sha}
    response = api(world.researcher).post(BASE, data, format="json")
    assert response.status_code == 201, response.json()
    d = Disclosure.objects.get(pk=response.json()["id"])
    assert response.json()["state"] == "submitted"
    finish_screening(d, [FakeFinding(fingerprint="fp-1")])
    assert api(world.legal).get(f"{BASE}{d.pk}/").json()["state"] == "screen_failed"

    findings = api(world.security).get(f"{BASE}{d.pk}/findings/").json()
    assert [(f["rule"], f["blocking"], f["waived"]) for f in findings] == [("aws-key", True, False)]
    expires = (dt.date.today() + dt.timedelta(days=60)).isoformat()
    response = post(
        world.security, d, "waive", finding=findings[0]["id"], lane="security",
        reason="Dummy key in a test.", owner="alice", expires_on=expires,
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    assert api(world.legal).get(f"{BASE}{d.pk}/findings/").json()[0]["waived"] is True
    assert api(world.legal).get(f"{BASE}{d.pk}/").json()["state"] == "in_review"

    for user, lane in [
        (world.legal, "legal"),
        (world.legal, "export"),
        (world.security, "security"),
        (world.security, "ip"),
    ]:
        assert post(user, d, "sign-off", lane=lane, note="ok").status_code == 200
    response = post(world.chair, d, "approve", note="go")
    assert response.status_code == 200 and response.json()["approved_sha"] == world.sha
    audit = api(world.chair).get(f"{BASE}{d.pk}/audit/").json()
    assert audit[-1]["to_state"] == "approved" and audit[-1]["actor_name"] == "dave"
    csv = api(world.chair).get(f"{BASE}{d.pk}/audit-csv/")
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")


def test_wrong_role_is_403_and_nothing_changes(world):
    d = in_review(world)
    assert post(world.legal, d, "sign-off", lane="security").status_code == 403
    assert post(world.teammate, d, "sign-off", lane="legal").status_code == 403
    assert post(world.legal, d, "approve").status_code == 403
    assert post(world.legal, d, "withdraw").status_code == 403
    assert post(world.researcher, d, "reject", reason="x").status_code == 403
    assert not Vote.objects.exists()
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW


def test_wrong_state_or_out_of_turn_is_409(world):
    d = in_review(world)
    response = post(world.chair, d, "approve")
    assert response.status_code == 409 and "Lanes not signed off" in response.json()["detail"]
    assert post(world.researcher, d, "resubmit", sha=world.sha).status_code == 409
    assert post(world.researcher, d, "archive").status_code == 409
    d.refresh_from_db()
    assert d.state == State.IN_REVIEW and d.approved_sha == ""


def test_send_back_and_resubmit(world):
    d = in_review(world)
    assert post(world.legal, d, "send-back", lane="legal", note="").status_code == 400
    response = post(world.legal, d, "send-back", lane="legal", note="Add NOTICE.")
    assert response.status_code == 200 and response.json()["state"] == "changes_requested"
    new = world.commit({"NOTICE": "notice\n"})
    response = post(world.researcher, d, "resubmit", sha=new, target_repo="demo-lib-2")
    assert response.status_code == 200, response.json()
    assert (
        response.json()["state"] == "submitted" and response.json()["target_repo"] == "demo-lib-2"
    )


def test_rescreen_comment_and_patent_decision_endpoints(world):
    d = in_review(world)
    response = post(world.researcher, d, "comment", text="Thanks!")
    assert response.status_code == 201 and response.json()["action"] == "comment"
    assert post(world.researcher, d, "comment", text="").status_code == 400
    assert (
        post(world.security, d, "patent-decision", patent=999, decision="cleared").status_code
        == 400
    )
    response = post(world.researcher, d, "rescreen")
    assert response.status_code == 202 and response.json()["state"] == "running"
    assert Screening.objects.filter(disclosure=d).count() == 2


def test_schema_validates(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/disclosures/{id}/approve/" in text
    assert "/api/v1/disclosures/{id}/sign-off/" in text
