"""The GitLab webhook receiver, fed with the real payloads in shared/forge-fixtures/."""

import json
from pathlib import Path

import pytest

from federation.models import WebhookDelivery
from tests.factories import ProjectFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "forge-fixtures" / "gitlab" / "webhooks"
if not FIXTURES.exists():  # a clean clone has shared/ beside it
    FIXTURES = (
        Path(__file__).resolve().parents[2].parent
        / "shared"
        / "forge-fixtures"
        / "gitlab"
        / "webhooks"
    )


def body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def project():
    # push.json is for GitLab project 15 on branch master.
    return ProjectFactory(gitlab_id=15, default_branch="master")


@pytest.fixture
def queued(monkeypatch):
    """Record what the receiver queues instead of running a sync (no forge in these tests)."""
    calls = []
    from federation import tasks

    monkeypatch.setattr(tasks.sync_project, "delay", lambda *a, **kw: calls.append((a, kw)))
    return calls


def post(client, project, payload: bytes, *, token=None, event="Push Hook", uuid="d-1", **extra):
    headers = {"HTTP_X_GITLAB_EVENT": event, "HTTP_X_GITLAB_EVENT_UUID": uuid, **extra}
    if token is not None:
        headers["HTTP_X_GITLAB_TOKEN"] = token
    return client.post(
        f"/hooks/gitlab/{project.key}/", data=payload, content_type="application/json", **headers
    )


def test_push_to_default_branch_queues_one_sync(
    client, project, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, project, body("push.json"), token=project.hook_secret)
    assert response.status_code == 202
    assert queued == [((project.pk,), {"trigger": "push"})]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.outcome, delivery.detail["ref"]) == ("queued", "refs/heads/master")
    assert delivery.detail["after"].startswith("da156088")


def test_replayed_delivery_does_no_work(
    client, project, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, project, body("push.json"), token=project.hook_secret, uuid="same")
        again = post(client, project, body("push.json"), token=project.hook_secret, uuid="same")
    assert again.status_code == 200 and "Duplicate" in again.json()["detail"]
    assert len(queued) == 1 and WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("", 401), ("wrong-secret", 403)])
def test_unsigned_or_wrong_token_is_refused(client, project, queued, token, status):
    response = post(client, project, body("push.json"), token=token)
    assert response.status_code == status
    assert not queued and not WebhookDelivery.objects.exists()


def test_unknown_key_malformed_json_and_wrong_event(client, project, queued):
    ok = project.hook_secret
    unknown = client.post("/hooks/gitlab/nope/", data=b"{}", content_type="application/json",
                          HTTP_X_GITLAB_TOKEN=ok, HTTP_X_GITLAB_EVENT="Push Hook")  # fmt: skip
    assert unknown.status_code == 404
    assert post(client, project, b"{not json", token=ok).status_code == 400
    assert post(client, project, b'{"ref": 5}', token=ok).status_code == 400
    assert post(client, project, body("push.json"), token=ok, event="Note Hook").status_code == 400
    assert client.get(f"/hooks/gitlab/{project.key}/").status_code == 405
    assert not queued and not WebhookDelivery.objects.exists()


def test_oversized_body_is_refused_before_reading(client, project, queued):
    big = b" " * (5 * 1024 * 1024 + 1)
    assert post(client, project, big, token=project.hook_secret).status_code == 413
    assert not queued


def test_payload_for_another_project_is_refused(client, queued):
    other = ProjectFactory(gitlab_id=99, default_branch="master")
    response = post(client, other, body("push.json"), token=other.hook_secret)
    assert response.status_code == 400 and "another project" in response.json()["detail"]


def test_tag_push_and_other_branches_are_recorded_but_ignored(client, queued):
    project = ProjectFactory(gitlab_id=1, default_branch="master")
    tag = post(
        client, project, body("tag_push.json"), token=project.hook_secret, event="Tag Push Hook"
    )
    assert tag.status_code == 202 and tag.json()["detail"] == "ignored"
    payload = json.loads(body("push.json"))
    payload.update(project_id=1, ref="refs/heads/feature")
    payload["project"]["id"] = 1
    feature = post(
        client, project, json.dumps(payload).encode(), token=project.hook_secret, uuid="d-2"
    )
    assert feature.json()["detail"] == "ignored"
    assert not queued


def test_merge_request_hook_parsed_from_fixture(client, queued):
    project = ProjectFactory(gitlab_id=1, default_branch="master")
    response = post(client, project, body("merge_request.json"), token=project.hook_secret,
                    event="Merge Request Hook")  # fmt: skip
    assert (
        response.status_code == 202 and response.json()["detail"] == "ignored"
    )  # opened, not merged


def test_a_release_tag_of_a_released_project_queues_a_sync(
    client, queued, django_capture_on_commit_callbacks
):
    """Tags matching the project's pattern are mirrored once the project is released."""
    from federation.models import Mirror, PublishRules

    project = ProjectFactory(gitlab_id=1, default_branch="master")
    PublishRules.objects.create(project=project, tag_pattern="v*")
    tag = body("tag_push.json")  # refs/tags/v1.0.0
    unreleased = post(client, project, tag, token=project.hook_secret, event="Tag Push Hook")
    assert unreleased.json()["detail"] == "ignored"
    Mirror.objects.create(project=project, github_path="org/x", state="active")
    with django_capture_on_commit_callbacks(execute=True):
        released = post(
            client, project, tag, token=project.hook_secret, event="Tag Push Hook", uuid="d-3"
        )
    assert released.json()["detail"] == "queued"
    assert queued == [((project.pk,), {"trigger": "push"})]
    PublishRules.objects.filter(project=project).update(tag_pattern="release-*")
    other = post(client, project, tag, token=project.hook_secret, event="Tag Push Hook", uuid="d-4")
    assert other.json()["detail"] == "ignored" and len(queued) == 1
