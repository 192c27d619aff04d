"""Webhook payload parsers against every relevant body in forge-fixtures, and malformed input."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from federation.forges.payloads import (
    ZERO_SHA,
    PayloadError,
    parse_github_pull_request,
    parse_github_push,
    parse_gitlab_merge_request,
    parse_gitlab_push,
)

from .replay import FIXTURES

GITHUB_PUSH = sorted((FIXTURES / "github" / "webhooks" / "push").glob("*.json"))
GITHUB_PR = sorted((FIXTURES / "github" / "webhooks" / "pull_request").glob("*.json"))
GITLAB_PUSH = [
    FIXTURES / "gitlab" / "webhooks" / n for n in ("push.json", "push-event.gitlab4j.json")
]
GITLAB_TAG_PUSH = [FIXTURES / "gitlab" / "webhooks" / "tag_push.json"]
GITLAB_MR = [
    FIXTURES / "gitlab" / "webhooks" / n
    for n in ("merge_request.json", "merge-request-event.gitlab4j.json")
]
OTHER_BODIES = sorted(
    p
    for p in (FIXTURES / "github" / "webhooks").rglob("*.json")
    if p.parent.name not in ("push", "pull_request")
) + [
    FIXTURES / "gitlab" / "webhooks" / n
    for n in ("member.json", "note_merge_request.json", "release.json")
]


def _ids(paths):
    return [f"{p.parent.name}/{p.name}" for p in paths]


def test_fixture_sets_are_not_empty():
    assert len(GITHUB_PUSH) >= 6 and len(GITHUB_PR) >= 20 and OTHER_BODIES


@pytest.mark.parametrize("path", GITLAB_PUSH, ids=_ids(GITLAB_PUSH))
def test_gitlab_push(path):
    raw = path.read_bytes()
    event = parse_gitlab_push(raw)
    data = json.loads(raw)
    assert event.forge == "gitlab"
    assert event.ref == "refs/heads/master" and not event.is_tag and event.short_ref == "master"
    assert event.before == "95790bf891e76fee5e1747ab589903a6a1f80f22"
    assert event.after == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    assert event.project_id == 15 and event.project_path == "mike/diaspora"
    assert event.pusher == "jsmith"
    assert event.total_commits == 4 and len(event.commits) == 2
    first = event.commits[0]
    assert first.id == data["commits"][0]["id"]
    assert first.author_email == "jordi@softcatala.org"
    assert first.added == ("CHANGELOG",) and first.modified == ("app/controller/application.rb",)
    assert not event.created and not event.deleted
    assert event.clone_url == "http://example.com/mike/diaspora.git"


def test_gitlab_tag_push():
    event = parse_gitlab_push(GITLAB_TAG_PUSH[0].read_text())
    assert event.is_tag and event.ref == "refs/tags/v1.0.0" and event.short_ref == "v1.0.0"
    assert event.created and event.before == ZERO_SHA
    assert event.project_path == "jsmith/example"


@pytest.mark.parametrize("path", GITLAB_MR, ids=_ids(GITLAB_MR))
def test_gitlab_merge_request(path):
    event = parse_gitlab_merge_request(path.read_bytes())
    assert event.forge == "gitlab"
    assert (event.id, event.number, event.action, event.state) == (99, 1, "open", "open")
    assert (event.source_branch, event.target_branch) == ("ms-viewport", "master")
    assert event.title == "MS-Viewport"
    assert event.head_sha == "da1560886d4f094c3e6c9ef40349f7d38b5d27d7"
    assert event.project_path == "gitlabhq/gitlab-test"
    assert event.source_project_path == "awesome_space/awesome_project"
    assert event.from_fork and not event.merged


def test_gitlab4j_mr_has_merge_sha():
    event = parse_gitlab_merge_request(GITLAB_MR[1].read_bytes())
    assert event.merge_sha == "e3b7e97417fd6318a5c31b21b29d2acc5c86c3ae"
    assert event.author == "root"


@pytest.mark.parametrize("path", GITHUB_PUSH, ids=_ids(GITHUB_PUSH))
def test_github_push(path):
    data = json.loads(path.read_text())
    event = parse_github_push(data)
    assert event.forge == "github"
    assert event.project_path == "Codertocat/Hello-World"
    assert event.ref == data["ref"] and event.before == data["before"]
    assert event.deleted == data["deleted"] and event.created == data["created"]
    assert len(event.commits) == len(data["commits"])
    if event.is_tag:
        assert event.short_ref == "simple-tag" and event.deleted
    else:
        assert event.commits[0].id == "6113728f27ae82c7b1a177c8d03f9e96e0adf246"
        assert event.commits[0].author_name == "Codertocat"
    assert event.pusher == "Codertocat"


@pytest.mark.parametrize("path", GITHUB_PR, ids=_ids(GITHUB_PR))
def test_github_pull_request(path):
    data = json.loads(path.read_text())
    event = parse_github_pull_request(path.read_bytes())
    assert event.forge == "github"
    assert event.action == data["action"]
    assert event.number == data["number"] == 2
    assert event.source_branch == "changes" and event.target_branch == "master"
    assert event.head_sha == data["pull_request"]["head"]["sha"]
    assert event.project_path == "Codertocat/Hello-World"
    assert event.author == "Codertocat"
    assert event.state == ("closed" if data["action"] == "closed" else "open")
    assert event.merge_sha is None  # none of the recorded PRs was merged
    assert event.description == (data["pull_request"]["body"] or "")
    assert not event.from_fork


def test_github_pull_request_merged():
    data = json.loads((FIXTURES / "github/webhooks/pull_request/closed.payload.json").read_text())
    data["pull_request"]["merged"] = True
    event = parse_github_pull_request(data)
    assert event.merged and event.merge_sha == data["pull_request"]["merge_commit_sha"]


def test_github_pull_request_deleted_fork():
    data = json.loads((FIXTURES / "github/webhooks/pull_request/opened.payload.json").read_text())
    data["pull_request"]["head"]["repo"] = None
    assert parse_github_pull_request(data).source_project_path is None


PARSERS = [
    parse_gitlab_push,
    parse_gitlab_merge_request,
    parse_github_push,
    parse_github_pull_request,
]


@pytest.mark.parametrize("path", OTHER_BODIES, ids=_ids(OTHER_BODIES))
def test_other_events_are_refused(path):
    raw = path.read_bytes()
    for parser in (parse_gitlab_push, parse_gitlab_merge_request, parse_github_pull_request):
        with pytest.raises(PayloadError):
            parser(raw)


def test_wrong_parser_is_refused():
    with pytest.raises(PayloadError):
        parse_gitlab_push(GITLAB_MR[0].read_bytes())
    with pytest.raises(PayloadError):
        parse_gitlab_merge_request(GITLAB_PUSH[0].read_bytes())
    with pytest.raises(PayloadError):
        parse_github_pull_request(GITHUB_PUSH[0].read_bytes())
    with pytest.raises(PayloadError):
        parse_github_push(GITHUB_PR[0].read_bytes())


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(
    "body", [b"", b"not json", b"[]", b"null", b"\xff\xfe", "{", 42, None, {"object_kind": 1}]
)
def test_garbage_is_payload_error(parser, body):
    with pytest.raises(PayloadError):
        parser(body)


def test_hostile_values_are_refused():
    data = json.loads(GITLAB_PUSH[0].read_text())
    for field, value in [
        ("ref", "--upload-pack=touch pwned"),
        ("ref", "refs/heads/a..b"),
        ("ref", "master"),
        ("after", "--exec=x"),
        ("before", "abc"),
        ("commits", "nope"),
        ("commits", [{"id": "x"}]),
        ("project", None),
    ]:
        with pytest.raises(PayloadError):
            parse_gitlab_push(dict(data, **{field: value}))
    for paths in (["a\x00b"], ["\ud800.py"]):  # found by hypothesis: NUL in a path list
        commit = dict(data["commits"][0], added=paths)
        with pytest.raises(PayloadError, match="added"):
            parse_gitlab_push(dict(data, commits=[commit]))
    pr = json.loads(GITHUB_PR[0].read_text())
    pr["pull_request"]["head"]["ref"] = "-oops"
    with pytest.raises(PayloadError):
        parse_github_pull_request(pr)


def _mutations(data):
    """Every body with one key removed or one value replaced by a wrong type, at any depth."""
    if isinstance(data, dict):
        for key in data:
            yield {k: v for k, v in data.items() if k != key}
            for bad in (None, 1, "x", [], {}):
                yield {**data, key: bad}
            for sub in _mutations(data[key]):
                yield {**data, key: sub}
    elif isinstance(data, list) and data:
        for sub in _mutations(data[0]):
            yield [sub, *data[1:]]


@pytest.mark.parametrize(
    ("parser", "path"),
    [
        (parse_gitlab_push, GITLAB_PUSH[0]),
        (parse_gitlab_merge_request, GITLAB_MR[0]),
        (parse_github_push, FIXTURES / "github/webhooks/push/with-new-branch.payload.json"),
        (parse_github_pull_request, GITHUB_PR[0]),
    ],
)
def test_mutated_bodies_never_raise_other_errors(parser, path):
    data = json.loads(path.read_text())
    count = 0
    for mutated in _mutations(data):
        count += 1
        with contextlib.suppress(PayloadError):
            parser(mutated)
    assert count > 100


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "ref",
                        "before",
                        "after",
                        "commits",
                        "project",
                        "object_kind",
                        "pull_request",
                        "repository",
                        "head",
                        "base",
                        "object_attributes",
                    ]
                ),
                inner,
                max_size=5,
            )
        ),
        max_leaves=20,
    )
)
def test_random_json_only_raises_payload_error(data):
    for parser in PARSERS:
        with contextlib.suppress(PayloadError):
            parser(data)
