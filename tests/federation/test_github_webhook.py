"""The GitHub webhook receiver, fed with octokit's real payloads (shared/forge-fixtures):
signature (HMAC-SHA256 of the raw body, constant time), refusal without a secret, no work when
refused, deduplication by X-GitHub-Delivery, the size limit, and what gets queued."""

import json
import time

import pytest

from federation import webhooks
from federation.models import Mirror, WebhookDelivery
from tests.factories import ProjectFactory
from tests.federation.test_publish_kit import SECRET, post_github, sign
from tests.paths import FORGE_FIXTURES

pytestmark = pytest.mark.django_db
HOOKS = FORGE_FIXTURES / "github" / "webhooks"


def payload(name: str) -> bytes:
    return (HOOKS / name).read_bytes()


@pytest.fixture
def secret(settings):
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    return SECRET


@pytest.fixture
def mirror():
    """Codertocat/Hello-World (the fixtures' repository) is the mirror of a released project;
    its branch is `master` as in the payloads."""
    project = ProjectFactory(default_branch="master")
    return Mirror.objects.create(
        project=project,
        github_path="Codertocat/Hello-World",
        branch="master",
        state=Mirror.State.ACTIVE,
        public_sha="0" * 40,
    )


@pytest.fixture
def queued(monkeypatch):
    from federation import tasks

    calls = []
    monkeypatch.setattr(tasks.sync_project, "delay", lambda *a, **k: calls.append(("sync", a, k)))
    monkeypatch.setattr(
        tasks.import_pull_request, "delay", lambda *a, **k: calls.append(("import", a, k))
    )
    return calls


def test_a_signed_pull_request_is_recorded_and_queued_after_commit(
    client, secret, mirror, queued, django_capture_on_commit_callbacks
):
    body = payload("pull_request/opened.payload.json")
    with django_capture_on_commit_callbacks(execute=True):
        response = post_github(client, body, "pull_request", "d-1")
    assert response.status_code == 202
    assert queued == [("import", (mirror.project_id, 2), {})]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.forge, delivery.delivery_id, delivery.outcome) == ("github", "d-1", "queued")
    assert delivery.project == mirror.project and delivery.detail["number"] == 2


def test_a_replayed_delivery_id_does_nothing(client, secret, mirror, queued,
                                             django_capture_on_commit_callbacks):  # fmt: skip
    body = payload("pull_request/synchronize.payload.json")
    with django_capture_on_commit_callbacks(execute=True):
        first = post_github(client, body, "pull_request", "same-id")
        second = post_github(client, body, "pull_request", "same-id")
    assert (first.status_code, second.status_code) == (202, 200)
    assert len(queued) == 1 and WebhookDelivery.objects.count() == 1


@pytest.mark.parametrize(
    ("signature", "status"),
    [
        ("", 401),  # unsigned
        ("sha256=" + "0" * 64, 403),  # wrong
        ("sha1=deadbeef", 403),  # another scheme
        (sign(b"another body"), 403),  # signed, but not this body
        (sign(payload("push/payload.json"), "other-secret"), 403),  # another secret
    ],
)
def test_unsigned_or_mis_signed_deliveries_are_refused_with_no_work(
    client, secret, mirror, queued, signature, status
):
    body = payload("push/payload.json")
    response = post_github(client, body, "push", "d-x", signature=signature)
    assert response.status_code == status
    assert not WebhookDelivery.objects.exists() and queued == []


def test_without_a_configured_secret_everything_is_refused(client, settings, mirror, queued):
    settings.GITHUB_WEBHOOK_SECRET = ""
    body = payload("pull_request/opened.payload.json")
    response = post_github(client, body, "pull_request", "d-2", signature=sign(body, ""))
    assert response.status_code == 403
    assert not WebhookDelivery.objects.exists() and queued == []


def test_a_body_over_the_limit_is_refused_before_it_is_read(client, secret, mirror, queued):
    body = b"{" + b" " * (webhooks.MAX_BODY + 10) + b"}"
    response = post_github(client, body, "push", "d-big")
    assert response.status_code == 413
    assert not WebhookDelivery.objects.exists()


def test_pushes_ping_and_unknown_repositories(client, secret, mirror, queued,
                                              django_capture_on_commit_callbacks):  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        ping = post_github(client, payload("ping/payload.json"), "ping", "p-1")
        tag = post_github(client, payload("push/payload.json"), "push", "push-1")
        branch = post_github(client, payload("push/with-new-branch.payload.json"), "push", "p-2")
    assert ping.status_code == 200
    # A tag pushed on GitHub is not ours to follow; a push to the mirrored branch is checked.
    assert (tag.status_code, tag.json()["detail"]) == (202, "ignored")
    assert (branch.status_code, branch.json()["detail"]) == (202, "queued")
    assert queued == [("sync", (mirror.project_id,), {"trigger": "github-push"})]
    # A repository that is not one of our mirrors is recorded and ignored.
    Mirror.objects.all().delete()
    other = post_github(client, payload("pull_request/opened.payload.json"), "pull_request", "x")
    assert other.status_code == 202 and other.json()["detail"] == "ignored"
    assert WebhookDelivery.objects.get(delivery_id="x").project is None


def test_our_own_push_coming_back_is_ignored(client, secret, mirror, queued):
    data = json.loads(payload("push/with-new-branch.payload.json"))
    mirror.public_sha = data["after"]
    mirror.save()
    response = post_github(client, payload("push/with-new-branch.payload.json"), "push", "ours")
    assert response.json()["detail"] == "ignored" and queued == []


def test_malformed_and_unsupported_are_refused(client, secret, mirror):
    assert post_github(client, b"not json", "push", "m-1").status_code == 400
    assert post_github(client, b"{}", "issues", "m-2").status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_the_receiver_answers_in_milliseconds(client, secret, mirror, queued):
    body = payload("pull_request/opened.payload.json")
    post_github(client, body, "pull_request", "warm")
    started = time.perf_counter()
    for i in range(20):
        post_github(client, body, "pull_request", f"fast-{i}")
    per_call = (time.perf_counter() - started) / 20
    assert per_call < 0.05, f"{per_call * 1000:.1f} ms per delivery"


def test_signature_check_is_constant_time_compare(monkeypatch):
    import hmac

    seen = []
    real = hmac.compare_digest
    monkeypatch.setattr(hmac, "compare_digest", lambda a, b: seen.append(1) or real(a, b))
    assert webhooks.github_signature_ok("s", b"body", sign(b"body", "s"))
    assert not webhooks.github_signature_ok("s", b"body", "sha256=00")
    assert len(seen) == 2
