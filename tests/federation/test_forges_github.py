"""The GitHub adapter against localforge, over real sockets (PyGithub, git smart HTTP)."""

from __future__ import annotations

import time

import pytest
import requests

from federation import repos
from federation.forges import errors
from federation.forges.base import Forge, Ref
from federation.forges.github import GitHubForge, get_github
from federation.forges.payloads import parse_github_pull_request, parse_github_push

from .conftest import make_commit, seed_mirror

FAST = {"seconds_between_requests": None, "seconds_between_writes": None}


def github(localforge, token=None, **kwargs):
    return GitHubForge(localforge.github_url, token or localforge.token, **{**FAST, **kwargs})


@pytest.fixture
def gh(localforge, forge_settings, sleeps):
    return github(localforge, sleep=sleeps)


@pytest.fixture
def org(localforge):
    name = localforge.unique("org")
    localforge.create_org(name)
    return name


@pytest.fixture
def repo(gh, org, localforge):
    return gh.create_project(org, localforge.unique("repo"), visibility="public")


@pytest.fixture(autouse=True)
def _clear_faults(localforge):
    yield
    localforge.clear_faults("github")


def add_collaborator(localforge, full_name, username, permission):
    response = requests.put(
        f"{localforge.github_url}/repos/{full_name}/collaborators/{username}",
        json={"permission": permission},
        headers={"Authorization": f"token {localforge.token}"},
        timeout=10,
    )
    response.raise_for_status()


def test_factory_reads_settings(forge_settings):
    forge_settings.GITHUB_ORG = "institute-oss"
    forge = get_github()
    assert isinstance(forge, Forge) and forge.org == "institute-oss"
    assert forge.url == forge_settings.GITHUB_API_URL


def test_create_and_update_metadata(gh, org, localforge):
    name = localforge.unique("pub")
    p = gh.create_project(
        org,
        name,
        description="A published tool",
        homepage="https://tool.example.org",
        topics=["python", "research"],
        license="MIT",
        visibility="public",
    )
    assert p.path == f"{org}/{name}"
    assert (p.description, p.homepage, p.visibility) == (
        "A published tool",
        "https://tool.example.org",
        "public",
    )
    assert set(p.topics) == {"python", "research"}
    assert p.license == "MIT"
    assert gh.get_project(p.id) == gh.get_project(p.path)

    q = gh.update_project(p.path, description="Renamed", homepage="", topics=["python"])
    assert (q.description, q.homepage, q.topics) == ("Renamed", "", ("python",))
    assert gh.update_project(p.path, visibility="private").visibility == "private"
    with pytest.raises(errors.Conflict):
        gh.create_project(org, name)


def test_maintainership(gh, repo, org, localforge):
    maint, writer, org_admin = (localforge.unique(u) for u in ("maint", "writer", "oadmin"))
    for u in (maint, writer, org_admin):
        localforge.create_user(u)
    add_collaborator(localforge, repo.path, maint, "maintain")
    add_collaborator(localforge, repo.path, writer, "push")
    other_org = localforge.unique("org")
    localforge.create_org(other_org, admins=[org_admin])
    other = gh.create_project(other_org, localforge.unique("r"))
    assert gh.is_maintainer(repo.path, maint) is True
    assert gh.is_maintainer(repo.id, writer) is False
    assert gh.is_maintainer(other.path, org_admin) is True
    assert gh.is_maintainer(repo.path, localforge.unique("ghost")) is False
    assert gh.is_maintainer(f"{org}/no-such-repo", maint) is False


def test_list_projects(gh, repo, org, localforge):
    other = gh.create_project(org, localforge.unique("other"))
    username = localforge.unique("lister")
    _, token = localforge.create_user(username)
    add_collaborator(localforge, repo.path, username, "maintain")
    add_collaborator(localforge, other.path, username, "push")
    as_user = github(localforge, token)
    assert {p.path for p in as_user.list_projects()} >= {repo.path, other.path}
    assert {p.path for p in as_user.list_projects(maintained_only=True)} == {repo.path}
    admin_view = github(localforge, org=org)
    assert {p.path for p in admin_view.list_projects(user=username, maintained_only=True)} == {
        repo.path
    }
    assert {p.path for p in admin_view.list_projects(user=username)} >= {repo.path, other.path}


def test_push_refs_and_mirror(gh, repo, forge_settings):
    clone = gh.clone_info(repo.path)
    assert clone.username == "x-access-token" and "@" not in clone.url
    path, head = seed_mirror("local/gh-push", 2, tags=["v2"])
    repos.push(
        "local/gh-push",
        clone.url,
        clone,
        ["refs/heads/main:refs/heads/main", "refs/tags/*:refs/tags/*"],
    )
    assert gh.list_branches(repo.path) == [Ref("main", head, "branch")]
    assert gh.list_tags(repo.path) == [Ref("v2", head, "tag")]
    assert {r.full_name: r.sha for r in gh.list_refs(repo.path)} == repos.list_refs(path)
    update = repos.ensure_mirror("github/mirror", clone.url, clone)
    assert update.new == repos.list_refs(path)

    # force: rewrite main to a different root commit
    lone = make_commit(path, {"only.txt": b"rewritten\n"}, ref="refs/heads/rewrite")
    with pytest.raises(repos.git.GitError):
        repos.push("local/gh-push", clone.url, clone, [f"{lone}:refs/heads/main"])
    pushed = repos.push("local/gh-push", clone.url, clone, [f"{lone}:refs/heads/main"], force=True)
    assert pushed[0].flag == "+"
    assert gh.list_branches(repo.path) == [Ref("main", lone, "branch")]


def test_hook_installed_once_and_delivers(gh, repo, webhook_receiver, localforge):
    url = f"{webhook_receiver.url}/hooks/github/"
    first = gh.ensure_hook(repo.path, url, "one")
    second = gh.ensure_hook(repo.path, url, "two", events=("push", "merge_request"))
    assert first.id == second.id
    hooks = gh.list_hooks(repo.path)
    assert len(hooks) == 1 and set(hooks[0].events) == {"push", "tag_push", "merge_request"}

    clone = gh.clone_info(repo.path)
    _, head = seed_mirror("local/gh-hook", 1)
    repos.push("local/gh-hook", clone.url, clone, ["refs/heads/main:refs/heads/main"])
    delivery = webhook_receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "push")
    assert delivery.header("X-Hub-Signature-256", "").startswith("sha256=")
    event = parse_github_push(delivery.body)
    assert (event.after, event.project_path, event.created) == (head, repo.path, True)
    gh.delete_hook(repo.path, first.id)
    assert gh.list_hooks(repo.path) == []


def test_pull_request_open_comment_merge_close(gh, repo, webhook_receiver):
    clone = gh.clone_info(repo.path)
    path, head = seed_mirror("local/gh-pr", 1)
    feature = make_commit(path, {"f.txt": b"1\n"}, parent=head, ref="refs/heads/feature")
    make_commit(path, {"o.txt": b"2\n"}, parent=head, ref="refs/heads/other")
    repos.push("local/gh-pr", clone.url, clone, ["refs/heads/*:refs/heads/*"])
    gh.ensure_hook(repo.path, webhook_receiver.url + "/pr", "s", events=("merge_request",))

    pr = gh.open_merge_request(
        repo.path, source_branch="feature", target_branch="main", title="Feature", description="b"
    )
    assert (pr.state, pr.head_sha, pr.description, pr.source_project) == (
        "open",
        feature,
        "b",
        repo.path,
    )
    event = parse_github_pull_request(
        webhook_receiver.wait_for(lambda r: r.header("X-GitHub-Event") == "pull_request").body
    )
    assert (event.action, event.number, event.head_sha) == ("opened", pr.number, feature)

    assert gh.comment_merge_request(repo.path, pr.number, "Merged internally").body == (
        "Merged internally"
    )
    merged = gh.merge_merge_request(repo.path, pr.number, message="Merge feature")
    assert merged.state == "merged" and merged.merge_sha

    other = gh.open_merge_request(
        repo.path, source_branch="other", target_branch="main", title="Other"
    )
    assert gh.close_merge_request(repo.path, other.number).state == "closed"
    with pytest.raises(errors.NotFound):
        gh.get_merge_request(repo.path, 999)


def test_errors(gh, repo, localforge):
    with pytest.raises(errors.NotFound):
        gh.get_project("no-such-org/no-such-repo")
    with pytest.raises(errors.Unauthorized):
        github(localforge, "not-a-token").get_project(repo.path)
    username = localforge.unique("outsider")
    _, token = localforge.create_user(username)
    outsider = github(localforge, token)
    assert outsider.get_project(repo.path).id == repo.id  # public: readable
    with pytest.raises(errors.Forbidden):
        outsider.update_project(repo.path, description="mine")
    with pytest.raises((errors.Forbidden, errors.NotFound)):
        outsider.ensure_hook(repo.path, "http://127.0.0.1:9/h", "s")


def test_rate_limit_retried_and_retry_after_honoured(gh, repo, localforge, sleeps):
    localforge.inject_fault("github", 403, 1, path_prefix="/repos/", retry_after=1)
    localforge.inject_fault("github", 429, 1, path_prefix="/repos/", retry_after=1)
    started = time.monotonic()
    assert gh.get_project(repo.path).id == repo.id
    assert time.monotonic() - started >= 2.0
    assert len(sleeps) == 2 and all(s >= 1.0 for s in sleeps)


def test_persistent_rate_limit_raises_rate_limited(localforge, repo):
    waits = []
    forge = github(localforge, sleep=waits.append, max_retries=2)
    localforge.inject_fault("github", 403, 1, path_prefix="/repos/", retry_after=3600)
    with pytest.raises(errors.RateLimited) as exc:
        forge.get_project(repo.path)
    assert exc.value.retry_after > 3000 and waits == []
    localforge.inject_fault("github", 429, 5, path_prefix="/repos/", retry_after=0)
    with pytest.raises(errors.RateLimited):
        forge.get_project(repo.path)
    assert len(waits) == 2
    localforge.clear_faults("github")
    assert forge.get_project(repo.path).id == repo.id


def test_502_is_retried(repo, localforge):
    slept = []
    gh = github(localforge, sleep=slept.append)
    localforge.inject_fault("github", 502, 2, path_prefix="/repos/", retry_after=0)
    assert gh.list_branches(repo.path) == []
    assert slept == [0.5, 1.0]
    waits = []
    once = github(localforge, sleep=waits.append, max_retries=1)
    localforge.inject_fault("github", 504, 5, path_prefix="/repos/", retry_after=0)
    with pytest.raises(errors.Unavailable):
        once.get_project(repo.path)
    assert waits == [0.5]
