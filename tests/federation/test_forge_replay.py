"""Replay: recorded GitHub exchanges and GitLab API bodies served over a local socket to PyGithub
and python-gitlab through our adapters (parsing, pagination, redirects, errors, retries)."""

from __future__ import annotations

import json
import time

import pytest

from federation.forges import errors
from federation.forges.base import Forge, ForgeProject, Ref
from federation.forges.github import GitHubForge, _translated
from federation.forges.gitlab import GitLabForge

from .replay import Replay, fixture

TOKEN = "0000000000000000000000000000000000000001"


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def gh_replay():
    with Replay(origin="https://api.github.com") as replay:
        yield replay


@pytest.fixture
def gh(gh_replay, sleeps):
    return GitHubForge(
        gh_replay.base,
        TOKEN,
        sleep=sleeps,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


@pytest.fixture
def gl_replay():
    with Replay(origin="https://gitlab.invalid", prefix="/gitlab") as replay:
        yield replay


@pytest.fixture
def gl(gl_replay, sleeps):
    return GitLabForge(gl_replay.base, TOKEN, sleep=sleeps)


# -- GitHub: recorded exchanges ------------------------------------------------------------


def test_github_get_repository(gh, gh_replay):
    gh_replay.add_recorded("get-repository")
    project = gh.get_project("octokit-fixture-org/hello-world")
    assert isinstance(gh, Forge)
    assert project == ForgeProject(
        id=1000,
        path="octokit-fixture-org/hello-world",
        name="hello-world",
        description="",
        homepage="",
        topics=("fixtures", "hello", "hello-world"),
        license=None,
        visibility="public",
        default_branch="master",
        web_url="https://github.com/octokit-fixture-org/hello-world",
        clone_url="https://github.com/octokit-fixture-org/hello-world.git",
        archived=False,
    )
    method, path, headers, _ = gh_replay.requests[0]
    assert (method, path) == ("GET", "/repos/octokit-fixture-org/hello-world")
    assert headers["Authorization"].endswith(TOKEN)
    assert headers["User-Agent"] == "osp-federation"


def test_github_git_refs(gh, gh_replay):
    gh_replay.add_recorded("git-refs")
    assert gh.list_refs("octokit-fixture-org/git-refs") == [
        Ref("main", "0000000000000000000000000000000000000001", "branch")
    ]
    assert [r.full_name for r in gh.list_refs("octokit-fixture-org/git-refs")] == [
        "refs/heads/main",
        "refs/heads/test",
    ]
    assert gh_replay.requests[0][1].endswith("per_page=100")


def test_github_follows_link_pagination(gh, gh_replay):
    exchanges = gh_replay.add_recorded("paginate-issues")
    expected = sum(len(ex["response"]) for ex in exchanges)
    issues = list(gh._gh.get_repo("octokit-fixture-org/paginate-issues").get_issues())
    assert len(issues) == expected == 13
    paths = [p for _, p, _, _ in gh_replay.requests]
    assert len(paths) == 5 and paths[-1].startswith("/repositories/1000/issues?")
    assert "page=5" in paths[-1]


def test_github_follows_rename_redirect(gh, gh_replay):
    gh_replay.add_recorded("rename-repository")
    project = gh.get_project("octokit-fixture-org/rename-repository")
    assert project.id == 1000
    assert [p for _, p, _, _ in gh_replay.requests] == [
        "/repos/octokit-fixture-org/rename-repository",
        "/repositories/1000",
    ]


def test_github_validation_error_is_typed(gh, gh_replay):
    gh_replay.add_recorded("errors")
    repo = gh._gh.get_repo("octokit-fixture-org/errors")
    with pytest.raises(errors.Invalid) as exc:
        _translated(lambda: repo.create_label("foo", "invalid"))()
    assert exc.value.status == 422
    assert "Validation Failed" in str(exc.value)
    assert TOKEN not in str(exc.value)


def test_github_branch_protection_404_is_not_found(gh, gh_replay):
    gh_replay.add_recorded("branch-protection")
    gh_replay.add(
        "GET",
        "/repos/octokit-fixture-org/branch-protection/branches/main",
        200,
        {
            "name": "main",
            "commit": {"sha": "0" * 40},
            "protected": False,
            "protection_url": "https://api.github.com/repos/octokit-fixture-org/"
            "branch-protection/branches/main/protection",
        },
    )
    branch = gh._gh.get_repo("octokit-fixture-org/branch-protection").get_branch("main")
    with pytest.raises(errors.NotFound):
        _translated(lambda: branch.get_protection())()


# -- GitHub: status codes and retries ------------------------------------------------------


def test_github_status_errors(gh, gh_replay):
    gh_replay.add("GET", "/repos/o/missing", 404, {"message": "Not Found"})
    gh_replay.add("GET", "/repos/o/secret", 401, {"message": "Bad credentials"})
    gh_replay.add("GET", "/repos/o/admin", 403, {"message": "Must have admin rights"})
    gh_replay.add("GET", "/repos/o/broken", 500, {"message": "Server Error"})
    with pytest.raises(errors.NotFound):
        gh.get_project("o/missing")
    with pytest.raises(errors.Unauthorized):
        gh.get_project("o/secret")
    with pytest.raises(errors.Forbidden):
        gh.get_project("o/admin")
    with pytest.raises(errors.Unavailable):
        gh.get_project("o/broken")


def test_github_rate_limit_retried_then_succeeds(gh, gh_replay, sleeps):
    body = fixture("github", "recorded", "get-repository.json")[0]["response"]
    limited = {"Retry-After": "2", "X-RateLimit-Remaining": "0"}
    gh_replay.add(
        "GET", "/repos/o/r", 403, {"message": "You have exceeded a secondary rate limit"}, limited
    )
    gh_replay.add("GET", "/repos/o/r", 429, {"message": "Too many"}, {"Retry-After": "1"})
    gh_replay.add("GET", "/repos/o/r", 200, body)
    assert gh.get_project("o/r").id == 1000
    assert sleeps == [2.0, 1.0]


def test_github_primary_rate_limit_beyond_cap(gh, gh_replay, sleeps):
    reset = int(time.time()) + 3600
    gh_replay.add(
        "GET",
        "/repos/o/r",
        403,
        {"message": "API rate limit exceeded for user"},
        {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)},
    )
    with pytest.raises(errors.RateLimited) as exc:
        gh.get_project("o/r")
    assert 3500 < exc.value.retry_after <= 3602
    assert sleeps == [] and len(gh_replay.requests) == 1


def test_github_persistent_rate_limit_exhausts(gh_replay, sleeps):
    forge = GitHubForge(
        gh_replay.base,
        TOKEN,
        sleep=sleeps,
        max_retries=2,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    gh_replay.add("GET", "/repos/o/r", 429, {"message": "slow down"}, {"Retry-After": "5"})
    with pytest.raises(errors.RateLimited) as exc:
        forge.get_project("o/r")
    assert exc.value.retry_after == 5.0
    assert sleeps == [5.0, 5.0] and len(gh_replay.requests) == 3


def test_github_502_on_write_is_not_retried(gh, gh_replay):
    gh_replay.add("POST", "/orgs/o/repos", 502, {"message": "Bad Gateway"})
    with pytest.raises(errors.Unavailable):
        gh.create_project("o", "x")
    assert len(gh_replay.requests) == 1


# -- GitLab: API bodies --------------------------------------------------------------------

API = "/api/v4"


def test_gitlab_project_under_path_prefix(gl, gl_replay):
    body = fixture("gitlab", "api", "project.json")
    gl_replay.add("GET", f"{API}/projects/3", 200, body)
    gl_replay.add("GET", f"{API}/projects/diaspora%2Fdiaspora-project-site", 200, body)
    p = gl.get_project(3)
    assert gl.get_project("diaspora/diaspora-project-site") == p
    assert p.path == "diaspora/diaspora-project-site"
    assert p.namespace == "diaspora"
    assert p.topics == ("example", "disapora project")
    assert p.license == "lgpl-3.0"
    assert p.visibility == "private"
    assert p.clone_url == "http://example.com/diaspora/diaspora-project-site.git"
    method, path, headers, _ = gl_replay.requests[0]
    assert path.startswith("/gitlab/api/v4/projects/3")
    assert headers["PRIVATE-TOKEN"] == TOKEN


def test_gitlab_branches_paginate_with_foreign_base_url(gl, gl_replay):
    branch = fixture("gitlab", "api", "branch.json")
    nxt = "<https://gitlab.other.example/api/v4/projects/3/repository/branches?page=2&per_page=100>"
    gl_replay.add(
        "GET",
        f"{API}/projects/3/repository/branches",
        200,
        [branch],
        {"Link": f'{nxt}; rel="next"', "X-Next-Page": "2", "X-Page": "1"},
    )
    gl_replay.add(
        "GET",
        f"{API}/projects/3/repository/branches?page=2&per_page=100",
        200,
        [dict(branch, name="develop")],
    )
    refs = gl.list_branches(3)
    assert refs == [
        Ref("master", "7b5c3cc8be40ee161ae89a06bba6229da1032a0c", "branch"),
        Ref("develop", "7b5c3cc8be40ee161ae89a06bba6229da1032a0c", "branch"),
    ]
    assert gl_replay.requests[1][1].startswith("/gitlab/api/v4/projects/3/repository/branches?")


def test_gitlab_tags(gl, gl_replay):
    gl_replay.add(
        "GET", f"{API}/projects/3/repository/tags", 200, [fixture("gitlab", "api", "tag.json")]
    )
    assert gl.list_tags(3) == [Ref("v1.0.0", "2695effb5807a22ff3d138d593fd856244e155e7", "tag")]


def test_gitlab_maintainer_check_reads_members_all(gl, gl_replay):
    user = fixture("gitlab", "api", "user.json")
    member = fixture("gitlab", "api", "members.json")[0]
    gl_replay.add("GET", f"{API}/users", 200, [user])
    gl_replay.add("GET", f"{API}/projects/3/members/all/{user['id']}", 200, member)
    assert member["access_level"] == 30
    assert gl.is_maintainer(3, user["username"]) is False
    gl_replay.routes[("GET", f"/gitlab{API}/projects/3/members/all/{user['id']}")] = [
        (200, {}, dict(member, access_level=40))
    ]
    assert gl.is_maintainer(3, user["username"]) is True
    gl_replay.routes[("GET", f"/gitlab{API}/projects/3/members/all/{user['id']}")] = [
        (404, {}, {"message": "404 Not found"})
    ]
    assert gl.is_maintainer(3, user["username"]) is False


def test_gitlab_hook_same_url_is_updated(gl, gl_replay):
    hook = fixture("gitlab", "api", "hook.json")
    gl_replay.add("GET", f"{API}/projects/3/hooks", 200, [hook])
    gl_replay.add("PUT", f"{API}/projects/3/hooks/1", 200, hook)
    gl_replay.add("GET", f"{API}/projects/3/hooks/1", 200, hook)
    gl_replay.add(
        "POST", f"{API}/projects/3/hooks", 201, dict(hook, id=2, url="https://x.example/h")
    )
    result = gl.ensure_hook(3, hook["url"], "s3cret")
    assert result.id == 1 and result.url == hook["url"]
    assert "push" in result.events and "merge_request" in result.events
    methods = [m for m, *_ in gl_replay.requests]
    assert "POST" not in methods
    put = next(r for r in gl_replay.requests if r[0] == "PUT")
    assert json.loads(put[3])["token"] == "s3cret"
    assert gl.ensure_hook(3, "https://x.example/h", "s3cret").id == 2


def test_gitlab_merge_request(gl, gl_replay):
    gl_replay.add(
        "GET",
        f"{API}/projects/3/merge_requests/1",
        200,
        fixture("gitlab", "api", "merge-request.json"),
    )
    mr = gl.get_merge_request(3, 1)
    assert (mr.number, mr.state, mr.source_branch, mr.target_branch) == (
        1,
        "merged",
        "test1",
        "master",
    )
    assert mr.author == "admin"


# -- GitLab: status codes and retries ------------------------------------------------------


def test_gitlab_status_errors(gl, gl_replay):
    gl_replay.add("GET", f"{API}/projects/404", 404, {"message": "404 Project Not Found"})
    gl_replay.add("GET", f"{API}/projects/401", 401, {"message": "401 Unauthorized"})
    gl_replay.add("GET", f"{API}/projects/403", 403, {"message": "403 Forbidden"})
    with pytest.raises(errors.NotFound):
        gl.get_project(404)
    with pytest.raises(errors.Unauthorized):
        gl.get_project(401)
    with pytest.raises(errors.Forbidden):
        gl.get_project(403)


def test_gitlab_duplicate_project_is_conflict(gl, gl_replay):
    gl_replay.add("GET", f"{API}/groups/diaspora", 200, fixture("gitlab", "api", "group.json"))
    gl_replay.add(
        "POST",
        f"{API}/projects",
        400,
        {"message": {"name": ["has already been taken"], "path": ["has already been taken"]}},
    )
    with pytest.raises(errors.Conflict):
        gl.create_project("diaspora", "diaspora-project-site")


def test_gitlab_429_and_502_retried(gl, gl_replay, sleeps):
    body = fixture("gitlab", "api", "project.json")
    gl_replay.add("GET", f"{API}/projects/3", 429, {"message": "Retry later"}, {"Retry-After": "1"})
    gl_replay.add("GET", f"{API}/projects/3", 502, None)
    gl_replay.add("GET", f"{API}/projects/3", 200, body)
    assert gl.get_project(3).id == 3
    assert sleeps[0] == 1.0 and len(sleeps) == 2
    assert len(gl_replay.requests) == 3


def test_gitlab_rate_limit_beyond_cap(gl, gl_replay, sleeps):
    gl_replay.add(
        "GET", f"{API}/projects/3", 429, {"message": "Retry later"}, {"Retry-After": "3600"}
    )
    with pytest.raises(errors.RateLimited) as exc:
        gl.get_project(3)
    assert exc.value.retry_after == 3600.0
    assert sleeps == [] and len(gl_replay.requests) == 1


def test_gitlab_persistent_502_becomes_unavailable(gl, gl_replay, sleeps):
    gl_replay.add("GET", f"{API}/projects/3", 502, None)
    with pytest.raises(errors.Unavailable) as exc:
        gl.get_project(3)
    assert exc.value.status == 502
    assert len(gl_replay.requests) == 4 and sleeps == [0.5, 1.0, 2.0]


def test_gitlab_unreachable_is_unavailable(sleeps):
    forge = GitLabForge("http://127.0.0.1:9", TOKEN, sleep=sleeps, max_retries=1)
    with pytest.raises(errors.Unavailable):
        forge.get_project(1)


def test_tokens_not_in_repr_or_clone_info_repr():
    forge = GitLabForge("http://127.0.0.1:9", TOKEN)
    assert TOKEN not in repr(forge)
    gh = GitHubForge("http://127.0.0.1:9", TOKEN)
    assert TOKEN not in repr(gh)
    from federation.forges.base import CloneInfo

    assert TOKEN not in repr(CloneInfo("https://x/y.git", "oauth2", TOKEN))
