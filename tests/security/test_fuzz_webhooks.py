"""Fuzzing the webhook payload parsers and the webhook views with hypothesis.

Real deliveries from forge-fixtures are mutated (values replaced by other JSON, hostile strings,
keys dropped) and raw bodies are made up. The parsers either return a well-formed event or
raise PayloadError. The views answer 200/202/400 (never a server error), and a refused delivery
is not recorded and queues nothing; an accepted one is recorded once.
"""

from __future__ import annotations

import contextlib
import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation import tasks
from federation.forges.payloads import (
    PayloadError,
    parse_github_pull_request,
    parse_github_push,
    parse_gitlab_merge_request,
    parse_gitlab_push,
)
from federation.gitrefs import validate_ref
from federation.models import Mirror, WebhookDelivery
from tests.factories import ProjectFactory
from tests.federation.test_publish_kit import post_github
from tests.paths import FORGE_FIXTURES

FUZZ = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HOOKS = FORGE_FIXTURES / "github" / "webhooks"
LAB = FORGE_FIXTURES / "gitlab" / "webhooks"


def load(path):
    return json.loads(path.read_text())


BASES = {
    "gitlab_push": (parse_gitlab_push, load(LAB / "push.json")),
    "gitlab_tag_push": (parse_gitlab_push, load(LAB / "tag_push.json")),
    "gitlab_mr": (parse_gitlab_merge_request, load(LAB / "merge_request.json")),
    "github_push": (parse_github_push, load(sorted((HOOKS / "push").glob("*.json"))[0])),
    "github_pr": (parse_github_pull_request, load(sorted((HOOKS / "pull_request").glob("*.json"))[0])),
}  # fmt: skip


def aimed(kind: str) -> dict:
    """The base payload aimed at the `hooked` project, so unmutated it would queue work."""
    doc = json.loads(json.dumps(BASES[kind][1]))
    if kind == "github_push":
        doc["ref"] = "refs/heads/master"
    elif kind == "github_pr":
        doc["action"] = "opened"
    elif kind == "gitlab_mr":
        doc["project"]["id"] = 15
        doc["object_attributes"].update(state="merged", action="merge")
    return doc


HOSTILE = st.sampled_from([
    "\x00", "a\x00b", "\udc80", "refs/heads/\udc80", "refs/heads/a\x00", "--upload-pack=touch pwned",
    "refs/heads/../../x", "refs/heads/main", "refs/tags/v1", "0" * 40, "f" * 64, "", " ", "x" * 5000,
    "file:///etc/passwd", "ext::sh -c touch% pwned", "ssh://-oProxyCommand=touch/x",
])  # fmt: skip
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=12)
    | HOSTILE,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)  # fmt: skip


def paths_of(node, prefix=(), out=None, limit=400):
    out = [] if out is None else out
    if len(out) >= limit:
        return out
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((*prefix, k))
            paths_of(v, (*prefix, k), out, limit)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((*prefix, i))
            paths_of(v, (*prefix, i), out, limit)
    return out


def mutated(data, base):
    """`base` (a JSON tree, copied) with one to four values replaced or keys dropped."""
    doc = json.loads(json.dumps(base))
    for _ in range(data.draw(st.integers(1, 4))):
        paths = paths_of(doc)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths))
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and data.draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = data.draw(JSON)
    return doc


def storable(text: str) -> bool:
    """What PostgreSQL can keep in text/jsonb: UTF-8 without NUL."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def check_event(event) -> None:
    for name, value in vars(event).items():
        if isinstance(value, str):
            assert storable(value), (name, value)
    if hasattr(event, "ref"):
        assert validate_ref(event.ref) == event.ref
        for c in event.commits:
            assert all(storable(v) for v in (c.id, c.message, c.author_email, *c.added))
    else:
        validate_ref(event.source_branch), validate_ref(event.target_branch)  # noqa: B018


@pytest.mark.parametrize("kind", sorted(BASES))
@FUZZ
@given(data=st.data())
def test_parsers_return_a_clean_event_or_a_payload_error(kind, data):
    parse, base = BASES[kind]
    doc = mutated(data, base)
    body = json.dumps(doc).encode()
    for given_body in (doc, body):
        try:
            event = parse(given_body)
        except PayloadError:
            continue
        check_event(event)


@FUZZ
@given(body=st.binary(max_size=300) | st.sampled_from([b"[" * 50_000, b'{"a":' * 50_000]))
def test_parsers_refuse_arbitrary_bytes_with_a_payload_error(body):
    for parse in (parse_gitlab_push, parse_gitlab_merge_request, parse_github_push,
                  parse_github_pull_request):  # fmt: skip
        with contextlib.suppress(PayloadError):
            check_event(parse(body))


# -- through the views -----------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    calls = []
    for task in (tasks.sync_project, tasks.import_pull_request):
        monkeypatch.setattr(task, "delay", lambda *a, _t=task.name, **k: calls.append((_t, a)))
    return calls


@pytest.fixture
def hooked(db, settings):
    settings.GITHUB_WEBHOOK_SECRET = "fuzz-secret"
    project = ProjectFactory(gitlab_id=15, key="kfuzz0123456789", default_branch="master")
    Mirror.objects.create(project=project, github_path="Codertocat/Hello-World",
                          state=Mirror.State.ACTIVE, branch="master")  # fmt: skip
    return project


def check_answer(response, before, queued_before, queued):
    new_rows = WebhookDelivery.objects.count() - before
    new_work = len(queued) - queued_before
    assert response.status_code in (200, 202, 400), response.content
    if response.status_code == 202:
        assert new_rows == 1
        outcome = response.json()["detail"]
        assert new_work == (1 if outcome == WebhookDelivery.Outcome.QUEUED else 0)
    else:
        assert (new_rows, new_work) == (0, 0), response.content


def post_gitlab(client, project, body, event):
    return client.post(
        f"/hooks/gitlab/{project.key}/",
        data=body,
        content_type="application/json",
        HTTP_X_GITLAB_EVENT=event,
        HTTP_X_GITLAB_EVENT_UUID=str(uuid.uuid4()),
        HTTP_X_GITLAB_TOKEN=project.hook_secret,
    )


GITLAB_EVENTS = {"gitlab_push": "Push Hook", "gitlab_tag_push": "Tag Push Hook",
                 "gitlab_mr": "Merge Request Hook"}  # fmt: skip
GITHUB_EVENTS = {"github_push": "push", "github_pr": "pull_request"}


@pytest.mark.parametrize("kind", sorted(BASES))
@FUZZ
@given(data=st.data())
def test_webhook_views_refuse_mutated_payloads_without_doing_work(
    kind, data, client, hooked, queued, django_capture_on_commit_callbacks
):
    doc = mutated(data, aimed(kind)) if data.draw(st.integers(0, 9)) else aimed(kind)
    body = json.dumps(doc).encode()
    before, queued_before = WebhookDelivery.objects.count(), len(queued)
    with django_capture_on_commit_callbacks(execute=True):
        if kind in GITLAB_EVENTS:
            response = post_gitlab(client, hooked, body, GITLAB_EVENTS[kind])
        else:
            response = post_github(client, body, GITHUB_EVENTS[kind], str(uuid.uuid4()),
                                   signature=_sign(body))  # fmt: skip
    check_answer(response, before, queued_before, queued)


@FUZZ
@given(
    body=st.binary(max_size=300) | st.sampled_from([b"[" * 50_000, b'{"a":' * 50_000]),
    event=st.sampled_from(sorted([*GITLAB_EVENTS.values(), *GITHUB_EVENTS.values()])),
)
def test_webhook_views_refuse_arbitrary_bodies(
    body, event, client, hooked, queued, django_capture_on_commit_callbacks
):
    before, queued_before = WebhookDelivery.objects.count(), len(queued)
    with django_capture_on_commit_callbacks(execute=True):
        if event in GITLAB_EVENTS.values():
            response = post_gitlab(client, hooked, body, event)
        else:
            response = post_github(client, body, event, str(uuid.uuid4()), signature=_sign(body))
    check_answer(response, before, queued_before, queued)


def _sign(body: bytes) -> str:
    import hashlib
    import hmac

    return "sha256=" + hmac.new(b"fuzz-secret", body, hashlib.sha256).hexdigest()
