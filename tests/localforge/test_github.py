"""The GitHub side of localforge, driven by PyGithub and real git."""

import json

import pytest
from github import Auth, Github

from tests.localforge.helpers import commit, git, head, hmac_ok, make_repo


def client(localforge, token):
    # PyGithub throttles itself (0.25 s between requests, 1 s between writes) by default.
    return Github(
        base_url=localforge.github_url,
        auth=Auth.Token(token),
        retry=None,
        per_page=2,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


@pytest.fixture
def org_setup(localforge, tmp_path):
    """An org whose admin is a fresh user, a public repo in it, and a local history."""
    admin = localforge.unique("admin")
    _, token = localforge.create_user(admin, email=f"{admin}@example.com")
    org_name = localforge.unique("org")
    localforge.create_org(org_name, admins=[admin])
    gh = client(localforge, token)
    org = gh.get_organization(org_name)
    repo = org.create_repo(
        "hello-world", description="Hello", homepage="https://example.org", has_issues=True
    )
    return {
        "admin": admin,
        "token": token,
        "gh": gh,
        "org": org,
        "repo": repo,
        "work": make_repo(tmp_path / "work"),
        "header": localforge.git_auth_header(token),
    }


def test_org_repo_topics_push_and_signed_webhook(localforge, org_setup, webhook_receiver):
    s = org_setup
    repo = s["repo"]
    assert repo.full_name == f"{s['org'].login}/hello-world"
    assert repo.clone_url == f"{localforge.github_url}/{repo.full_name}.git"
    assert repo.organization.login == s["org"].login and repo.permissions.admin
    repo.replace_topics(["science", "open-source"])
    assert repo.get_topics() == ["science", "open-source"]
    assert s["gh"].get_repo(repo.full_name).topics == ["science", "open-source"]
    repo.edit(description="Changed")
    assert s["gh"].get_repo(repo.full_name).description == "Changed"

    hook = repo.create_hook(
        "web",
        {"url": webhook_receiver.url + "/gh", "content_type": "json", "secret": "s3cret"},
        events=["push", "create", "delete"],
    )
    ping = webhook_receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "ping")
    assert ping.json()["hook_id"] == hook.id
    git("push", repo.clone_url, "main", cwd=s["work"], header=s["header"])
    push = webhook_receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "push")
    assert hmac_ok("s3cret", push.body, push.header("X-Hub-Signature-256"))
    assert not hmac_ok("wrong", push.body, push.header("X-Hub-Signature-256"))
    assert push.header("X-Hub-Signature", "").startswith("sha1=") and push.header(
        "X-GitHub-Delivery"
    )
    body = push.json()
    assert body["ref"] == "refs/heads/main" and body["created"] is True
    assert body["after"] == head(s["work"]) == body["head_commit"]["id"]
    assert [c["message"] for c in body["commits"]] == ["Add file0", "Add file1", "Add file2"]
    assert (
        body["repository"]["full_name"] == repo.full_name and body["pusher"]["name"] == s["admin"]
    )
    create = webhook_receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "create")
    assert create.json()["ref"] == "main" and create.json()["ref_type"] == "branch"

    # Branches, refs, commits, compare through the API.
    base = head(s["work"])
    ref = repo.create_git_ref("refs/heads/topic", base)
    assert repo.get_git_ref("heads/topic").object.sha == base
    assert {b.name for b in repo.get_branches()} == {"main", "topic"}
    assert repo.get_branch("main").commit.sha == base
    commits = list(repo.get_commits(sha="main"))
    assert [c.sha for c in commits][0] == base and len(commits) == 3
    first = repo.get_commit(commits[-1].sha)
    assert first.stats.additions == 1 and first.files[0].filename == "file0.txt"
    newer = commit(s["work"], "new.txt", "x\ny\n", "Add new")
    git("push", repo.clone_url, "main", cwd=s["work"], header=s["header"])
    comparison = repo.compare(base, "main")
    assert comparison.ahead_by == 1 and comparison.status == "ahead"
    assert [c.sha for c in comparison.commits] == [newer]
    assert [f.filename for f in comparison.files] == ["new.txt"]
    ref.delete()
    deleted = webhook_receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "delete")
    assert deleted.json()["ref"] == "topic"


def test_pull_request_open_merge_and_close(localforge, org_setup, webhook_receiver):
    s = org_setup
    repo = s["repo"]
    git("push", repo.clone_url, "main", cwd=s["work"], header=s["header"])
    repo.create_hook(
        "web",
        {"url": webhook_receiver.url, "content_type": "json", "secret": "k"},
        events=["pull_request"],
    )
    git("checkout", "-q", "-b", "feature", cwd=s["work"])
    feature = commit(s["work"], "feature.txt", "feature\n", "Add feature")
    git("push", repo.clone_url, "feature", cwd=s["work"], header=s["header"])
    pr = repo.create_pull(base="main", head="feature", title="Add feature", body="Please")
    assert pr.number == 1 and pr.head.sha == feature and pr.mergeable is True
    opened = webhook_receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "pull_request")
    assert opened.json()["action"] == "opened"
    pr.create_issue_comment("Looks good")
    assert [c.body for c in pr.get_issue_comments()] == ["Looks good"]
    status = pr.merge(commit_message="Ship it", merge_method="merge")
    assert status.merged and len(status.sha) == 40
    assert repo.get_pull(1).merged and repo.get_branch("main").commit.sha == status.sha
    closed = webhook_receiver.wait_for(lambda r: r.json().get("action") == "closed")
    assert closed.json()["pull_request"]["merged"] is True
    clone = s["work"].parent / "check"
    git("clone", "-q", repo.clone_url, str(clone))
    assert git("log", "--format=%P", "-1", cwd=clone).stdout.split()[1] == feature
    assert "Merge pull request #1" in git("log", "--format=%B", "-1", cwd=clone).stdout

    git("checkout", "-q", "-b", "second", "main", cwd=s["work"])
    commit(s["work"], "second.txt", "2\n", "Second")
    git("push", repo.clone_url, "second", cwd=s["work"], header=s["header"])
    second = repo.create_pull(base="main", head="second", title="Second")
    second.edit(state="closed")
    refused = webhook_receiver.wait_for(
        lambda r: r.json().get("action") == "closed" and r.json()["number"] == 2
    )
    assert refused.json()["pull_request"]["merged"] is False
    assert [p.number for p in repo.get_pulls(state="closed")] == [2, 1]


def test_pull_request_from_fork(localforge, org_setup, webhook_receiver, tmp_path):
    s = org_setup
    repo = s["repo"]
    git("push", repo.clone_url, "main", cwd=s["work"], header=s["header"])
    repo.create_hook(
        "web", {"url": webhook_receiver.url, "content_type": "json"}, events=["pull_request"]
    )
    outsider = localforge.unique("outsider")
    _, token = localforge.create_user(outsider)
    fork = client(localforge, token).get_repo(repo.full_name).create_fork()
    assert fork.full_name == f"{outsider}/hello-world" and fork.fork and fork.parent.id == repo.id
    header = localforge.git_auth_header(token)
    refused = git("push", repo.clone_url, "main:sneaky", cwd=s["work"], header=header, check=False)
    assert refused.returncode != 0 and "403" in refused.stderr
    git("checkout", "-q", "-b", "fix", cwd=s["work"])
    first = commit(s["work"], "fix.txt", "fix\n", "Fix it")
    git("push", fork.clone_url, "fix", cwd=s["work"], header=header)
    pr = (
        client(localforge, token)
        .get_repo(repo.full_name)
        .create_pull(base="main", head=f"{outsider}:fix", title="Fix from a fork")
    )
    assert pr.head.repo.full_name == fork.full_name and pr.head.sha == first
    webhook_receiver.wait_for(lambda r: r.json().get("action") == "opened")
    second = commit(s["work"], "fix.txt", "fix2\n", "Fix it again")
    git("push", fork.clone_url, "fix", cwd=s["work"], header=header)
    sync = webhook_receiver.wait_for(lambda r: r.json().get("action") == "synchronize")
    assert sync.json()["before"] == first and sync.json()["after"] == second
    pr.edit(state="closed")
    pr.edit(state="open")
    webhook_receiver.wait_for(lambda r: r.json().get("action") == "reopened")
    result = s["repo"].get_pull(pr.number).merge(merge_method="squash")
    assert result.merged
    squashed = s["repo"].get_commit(result.sha)
    assert squashed.parents[0].sha == head(s["work"], "main") and len(squashed.parents) == 1
    assert s["repo"].get_pull(pr.number).merged


def test_form_content_type_and_user_repos(localforge, org_setup, webhook_receiver):
    s = org_setup
    user_repo = s["gh"].get_user().create_repo("personal", private=True, auto_init=True)
    assert user_repo.private and user_repo.owner.login == s["admin"]
    assert [c.commit.message for c in user_repo.get_commits()] == ["Initial commit"]
    hook = user_repo.create_hook(
        "web", {"url": webhook_receiver.url, "content_type": "form"}, events=["push"]
    )
    form = webhook_receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "ping")
    assert form.header("Content-Type") == "application/x-www-form-urlencoded"
    assert form.body.startswith(b"payload=")
    assert hook.config["content_type"] == "form"
    assert json.loads(json.dumps(hook.raw_data))["last_response"]["status"] in ("unused", "active")
    assert user_repo.full_name in [r.full_name for r in s["gh"].get_user().get_repos()]
