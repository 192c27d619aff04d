"""What localforge serves, checked against real forge payloads and octokit's JSON Schemas.

Every key the real forge sends in the fixture must be present with the same JSON type,
except the few listed in IGNORED (features localforge does not have; see
docs/localforge.md). GitHub webhook bodies must validate against the schemas.
"""

import gitlab
import pytest
import requests
from github import Auth, Github

from tests.localforge.helpers import commit, git, load, make_repo, same_types, schema_errors

IGNORED = {
    "project": {
        # Only with ?license=true / ?statistics=true, or enterprise/CI-only settings.
        "license_url",
        "license",
        "statistics",
        "runners_token",
        "container_expiration_policy",
        "marked_for_deletion_on",
        "approvals_before_merge",
        "mirror_trigger_builds",
        "group_with_project_templates_id",
        "template_name",
        "use_custom_template",
        "public_builds",
        "ci_id_token_sub_claim_components",
        "ci_restrict_pipeline_cancellation_role",
        "ci_pipeline_variables_minimum_override_role",
        "ci_push_repository_for_job_token_allowed",
        "ci_delete_pipelines_in_seconds",
        "allow_pipeline_trigger_approve_deployment",
        "restrict_user_defined_variables",
        "only_allow_merge_if_all_status_checks_passed",
        "auto_devops_enabled",
        "auto_devops_deploy_strategy",
        "shared_with_groups",
        "project_access",
        "group_access",
        "owner",
        "import_url",
        "import_type",
        "import_error",
        "ci_config_path",
        "suggestion_commit_message",
        "merge_commit_template",
        "squash_commit_template",
        "issue_branch_template",
        "merge_requests_template",
        "issues_template",
        "avatar_url",
        "description_html",
    },
    "user": {
        "is_admin",
        "identities",
        "shared_runners_minutes_limit",
        "extra_shared_runners_minutes_limit",
        "avatar_url",
    },
    "group": {
        "shared_runners_minutes_limit",
        "marked_for_deletion_on",
        "statistics",
        "custom_attributes",
        "shared_projects",
        "runners_token",
        "shared_with_groups",
        "avatar_url",
        "parent_id",
    },
    "commit": {"status", "last_pipeline", "url"},  # gitlab4j adds "url"; GitLab sends web_url
    "members": {"expires_at", "group_saml_identity", "avatar_url"},
    # author is a UserBasic on GitLab (gitlab4j's sample adds email); allow_* only for forks;
    # diverged_commits_count only with include_diverged_commits_count=true.
    "merge-request": {
        "author.email",
        "author.created_at",
        "allow_collaboration",
        "allow_maintainer_to_push",
        "diverged_commits_count",
        "merged_by",
        "merge_user",
        "merge_error",
        "squash_commit_sha",
        "assignee",
        "latest_build_started_at",
        "latest_build_finished_at",
        "head_pipeline",
        "merged_at",
    },
    "tag": {"release", "created_at"},
    "push": {"user_avatar", "avatar_url", "ci_config_path"},
    "merge_request": {
        "avatar_url",
        "assignee_ids",
        "assignee_id",
        "reviewer_ids",
        "milestone_id",
        "last_edited_at",
        "last_edited_by_id",
        "human_total_time_spent",
        "human_time_change",
        "human_time_estimate",
        "labels",
        "changes",
        "assignees",
        "reviewers",
    },
    # "organization" is a string in webhook repositories; "username" is only there when
    # the commit email belongs to a known account (as on GitHub).
    "repository": {"organization", "username"},
}


@pytest.fixture(scope="module")
def world(localforge, tmp_path_factory):
    """One GitLab project and one GitHub repo with history, hooks, a merge request and a PR."""
    from tests.fixtures.localforge import WebhookReceiver

    receiver = WebhookReceiver()
    tmp = tmp_path_factory.mktemp("fidelity")
    name = localforge.unique("fid")
    user_id, token = localforge.create_user(
        name, email=f"{name}@example.com", name="Fiona Fidelity"
    )
    header = localforge.git_auth_header(token)
    gl = gitlab.Gitlab(localforge.gitlab_url, private_token=token)
    group = localforge.create_group(localforge.unique("fidgrp"))
    localforge.add_member(group, name, 50)
    project = gl.projects.create(
        {"name": "fidelity", "namespace_id": group["id"], "description": "d"}
    )
    project.hooks.create(
        {
            "url": receiver.url + "/gl",
            "token": "t",
            "push_events": True,
            "tag_push_events": True,
            "merge_requests_events": True,
        }
    )
    work = make_repo(tmp / "work")
    git("push", project.http_url_to_repo, "main", cwd=work, header=header)
    git("tag", "-a", "v1", "-m", "v1", cwd=work)
    git("push", project.http_url_to_repo, "v1", cwd=work, header=header)
    git("checkout", "-q", "-b", "topic", cwd=work)
    commit(work, "topic.txt", "t\n", "Topic work")
    git("push", project.http_url_to_repo, "topic", cwd=work, header=header)
    mr = project.mergerequests.create(
        {"source_branch": "topic", "target_branch": "main", "title": "Topic"}
    )

    localforge.create_org(f"{name}-org", admins=[name])
    gh = Github(
        base_url=localforge.github_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )
    repo = gh.get_organization(f"{name}-org").create_repo("fidelity", description="d")
    repo.create_hook(
        "web", {"url": receiver.url + "/gh", "content_type": "json", "secret": "s"}, events=["*"]
    )
    git("checkout", "-q", "main", cwd=work)
    git("push", repo.clone_url, "main", "topic", cwd=work, header=header)
    pr = repo.create_pull(base="main", head="topic", title="Topic")
    git("checkout", "-q", "topic", cwd=work)
    commit(work, "topic2.txt", "t\n", "More topic")
    git("push", repo.clone_url, "topic", cwd=work, header=header)
    pr.edit(state="closed")
    pr.edit(state="open")
    pr.merge()
    git("push", repo.clone_url, ":topic", cwd=work, header=header)
    receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "delete")
    yield {
        "gl": gl,
        "project": project,
        "mr": mr,
        "gh": gh,
        "repo": repo,
        "receiver": receiver,
        "token": token,
        "user_id": user_id,
        "group": group,
    }
    receiver.close()


def _api(localforge, world, side, path):
    headers = (
        {"PRIVATE-TOKEN": world["token"]}
        if side == "gitlab"
        else {"Authorization": f"token {world['token']}"}
    )
    base = localforge.gitlab_url + "/api/v4" if side == "gitlab" else localforge.github_url
    response = requests.get(base + path, headers=headers, timeout=30)
    response.raise_for_status()
    return response


def _check(reference, ours, kind):
    problems = same_types(reference, ours, ignore=IGNORED.get(kind, ()))
    assert not problems, f"{kind}: {problems}"


def test_gitlab_api_shapes(localforge, world):
    pid = world["project"].id
    gid = world["group"]["id"]
    api = lambda path: _api(localforge, world, "gitlab", path).json()  # noqa: E731
    _check(load("gitlab/api/project.json"), api(f"/projects/{pid}"), "project")
    _check(load("gitlab/api/user.json"), api("/user"), "user")
    _check(load("gitlab/api/group.json"), api(f"/groups/{gid}"), "group")
    _check(
        load("gitlab/api/branch.json"), api(f"/projects/{pid}/repository/branches/main"), "branch"
    )
    sha = api(f"/projects/{pid}/repository/commits")[0]["id"]
    _check(
        load("gitlab/api/commit.json"), api(f"/projects/{pid}/repository/commits/{sha}"), "commit"
    )
    compare = api(f"/projects/{pid}/repository/compare?from=main&to=topic")
    _check(load("gitlab/api/compare-results.json"), compare, "compare")
    _check(load("gitlab/api/hook.json"), api(f"/projects/{pid}/hooks")[0], "hook")
    _check(load("gitlab/api/members.json"), api(f"/groups/{gid}/members"), "members")
    _check(
        load("gitlab/api/merge-request.json"),
        api(f"/projects/{pid}/merge_requests/1"),
        "merge-request",
    )
    _check(load("gitlab/api/tag.json"), api(f"/projects/{pid}/repository/tags/v1"), "tag")
    _check(
        load("gitlab/api/protected-branch.json"),
        api(f"/projects/{pid}/protected_branches/main"),
        "pb",
    )


def _gitlab_hook(world, event, predicate=lambda body: True):
    found = world["receiver"].wait_for(
        lambda r: r.header("X-Gitlab-Event") == event and predicate(r.json())
    )
    return found.json()


def test_gitlab_webhook_shapes(world):
    push = _gitlab_hook(world, "Push Hook")
    _check(load("gitlab/webhooks/push.json"), push, "push")
    _check(load("gitlab/webhooks/push-event.gitlab4j.json"), push, "push")
    _check(load("gitlab/webhooks/tag_push.json"), _gitlab_hook(world, "Tag Push Hook"), "push")
    mr = _gitlab_hook(world, "Merge Request Hook")
    _check(load("gitlab/webhooks/merge_request.json"), mr, "merge_request")


def test_github_api_shapes(localforge, world):
    full = world["repo"].full_name
    org = full.split("/")[0]
    api = lambda path: _api(localforge, world, "github", path)  # noqa: E731
    recorded = {
        f"{r['method']} {r['path']}": r
        for f in ("get-repository", "get-organization", "git-refs")
        for r in load(f"github/recorded/{f}.json")
    }
    reference = recorded["get /repos/octokit-fixture-org/hello-world"]["response"]
    _check(reference, api(f"/repos/{full}").json(), "repo")
    _check(recorded["get /orgs/octokit-fixture-org"]["response"], api(f"/orgs/{org}").json(), "org")
    refs = recorded["get /repos/octokit-fixture-org/git-refs/git/refs/"]["response"]
    _check(refs, api(f"/repos/{full}/git/refs").json(), "refs")
    headers = api(f"/repos/{full}").headers
    for header in (
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
        "x-ratelimit-used",
        "x-ratelimit-resource",
    ):
        assert header in {
            k.lower() for k in recorded["get /repos/octokit-fixture-org/hello-world"]["headers"]
        }
        assert headers[header]
    paged = api(f"/repos/{full}/commits?per_page=1")
    assert paged.links["next"]["url"].endswith("per_page=1&page=2") and "last" in paged.links
    error = load("github/recorded/errors.json")[0]["response"]
    dup = requests.post(
        f"{localforge.github_url}/orgs/{org}/repos",
        json={"name": "fidelity"},
        headers={"Authorization": f"token {world['token']}"},
        timeout=30,
    )
    assert dup.status_code == 422
    _check(error, dup.json(), "error")


@pytest.mark.parametrize(
    ("event", "action", "schema", "example"),
    [
        ("ping", None, "ping/event.schema.json", "ping/with-organization.payload.json"),
        ("push", None, "push/event.schema.json", "push/with-new-branch.payload.json"),
        ("create", None, "create/event.schema.json", "create/with-organization.payload.json"),
        ("delete", None, "delete/event.schema.json", "delete/with-organization.payload.json"),
        (
            "pull_request",
            "opened",
            "pull_request/opened.schema.json",
            "pull_request/opened.with-organization.payload.json",
        ),
        (
            "pull_request",
            "synchronize",
            "pull_request/synchronize.schema.json",
            "pull_request/synchronize.payload.json",
        ),
        (
            "pull_request",
            "closed",
            "pull_request/closed.schema.json",
            "pull_request/closed.with-organization.payload.json",
        ),
        (
            "pull_request",
            "reopened",
            "pull_request/reopened.schema.json",
            "pull_request/reopened.with-organization.payload.json",
        ),
    ],
)
def test_github_webhooks_match_schemas(world, event, action, schema, example):
    found = world["receiver"].wait_for(
        lambda r: (
            r.header("X-GitHub-Event") == event
            and (action is None or r.json().get("action") == action)
        )
    )
    payload = found.json()
    assert schema_errors(schema, payload) == []
    ignore = IGNORED["repository"] | {
        "installation",
        "assignees",
        "requested_reviewers",
        "labels",
        "assignee",
        "milestone",
        "requested_teams",
        "app_id",
    }
    problems = same_types(load(f"github/webhooks/{example}"), payload, ignore=ignore)
    assert not problems, problems
