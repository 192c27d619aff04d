"""Errors as the client libraries see them, permissions, faults, safety and restarts."""

import os

import github
import gitlab
import pytest
import requests
from github import Auth, Github

from tests.localforge.helpers import commit, git, head, make_repo

DEVELOPER, MAINTAINER = 30, 40


def gh_client(localforge, token, **kwargs):
    return Github(
        base_url=localforge.github_url,
        auth=Auth.Token(token),
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
        **kwargs,
    )


@pytest.fixture
def http():
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


def test_library_exceptions(localforge):
    gl = gitlab.Gitlab(localforge.gitlab_url, private_token=localforge.token)
    with pytest.raises(gitlab.exceptions.GitlabGetError) as missing:
        gl.projects.get("no/such/project")
    assert missing.value.response_code == 404
    assert missing.value.error_message == "404 Project Not Found"
    with pytest.raises(gitlab.exceptions.GitlabAuthenticationError) as bad:
        gitlab.Gitlab(localforge.gitlab_url, private_token="not-a-token").auth()
    assert bad.value.response_code == 401

    gh = gh_client(localforge, localforge.token)
    with pytest.raises(github.UnknownObjectException):
        gh.get_repo("nobody/nothing")
    with pytest.raises(github.BadCredentialsException):
        _ = gh_client(localforge, "not-a-token").get_user().login

    owner = localforge.unique("rl")
    _, token = localforge.create_user(owner)
    repo = gh_client(localforge, token).get_user().create_repo("limited")
    localforge.inject_fault("github", 403, 1, path_prefix=f"/repos/{owner}/")
    with pytest.raises(github.RateLimitExceededException) as limited:
        gh_client(localforge, token).get_repo(repo.full_name)
    assert limited.value.status == 403
    assert limited.value.headers["x-ratelimit-remaining"] == "0"
    assert int(limited.value.headers["retry-after"]) == 1
    assert gh_client(localforge, token).get_repo(repo.full_name).id == repo.id


def test_faults_and_retries(localforge, http):
    localforge.inject_fault("gitlab", 429, 2, path_prefix="/api/v4/version", retry_after=0)
    gl = gitlab.Gitlab(localforge.gitlab_url, private_token=localforge.token)
    assert gl.http_get("/version")["version"].startswith("17.")
    localforge.inject_fault("gitlab", 502, 1, path_prefix="/api/v4/user", retry_after=0)
    strict = gitlab.Gitlab(localforge.gitlab_url, private_token=localforge.token)
    with pytest.raises(gitlab.exceptions.GitlabHttpError) as gateway:
        strict.http_get("/user")
    assert gateway.value.response_code == 502
    localforge.inject_fault("gitlab", 503, 1, path_prefix="/api/v4/user", retry_after=0)
    patient = gitlab.Gitlab(
        localforge.gitlab_url, private_token=localforge.token, retry_transient_errors=True
    )
    assert patient.http_get("/user")["username"] == "root"

    localforge.inject_fault("github", 429, 1, path_prefix="/rate_limit", retry_after=7)
    response = http.get(f"{localforge.github_url}/rate_limit")
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    localforge.inject_fault("github", 502, 1, path_prefix="/user")
    with pytest.raises(github.GithubException) as bad_gateway:
        _ = gh_client(localforge, localforge.token).get_user().login
    assert bad_gateway.value.status == 502
    assert http.get(f"{localforge.github_url}/rate_limit").status_code == 200


def test_bad_input(localforge, http):
    admin = {"PRIVATE-TOKEN": localforge.token}
    gl_api = f"{localforge.gitlab_url}/api/v4"
    broken = http.post(
        f"{gl_api}/projects",
        data=b"{not json",
        headers={**admin, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    gh_broken = http.post(
        f"{localforge.github_url}/user/repos",
        data=b"{oops",
        headers={"Authorization": f"token {localforge.token}"},
    )
    assert gh_broken.status_code == 400 and gh_broken.json()["message"] == "Problems parsing JSON"
    missing = http.get(f"{gl_api}/projects/9999999", headers=admin)
    assert missing.status_code == 404 and missing.json() == {"message": "404 Project Not Found"}
    gh_missing = http.get(f"{localforge.github_url}/repos/nobody/nothing")
    assert gh_missing.status_code == 404 and gh_missing.json()["message"] == "Not Found"
    assert "documentation_url" in gh_missing.json() and "X-RateLimit-Limit" in gh_missing.headers

    group = localforge.create_group(localforge.unique("safe"))
    for path in ("..", "../evil", "a/b", "-x", "x.git", "x y", "%2e%2e", "/abs"):
        bad = http.post(
            f"{gl_api}/projects",
            json={"name": "ok", "path": path, "namespace_id": group["id"]},
            headers=admin,
        )
        assert bad.status_code == 400, path
    assert (
        http.post(
            f"{gl_api}/projects", json={"name": "../up", "namespace_id": group["id"]}, headers=admin
        ).status_code
        == 400
    )
    assert (
        http.post(f"{gl_api}/groups", json={"name": "x", "path": ".."}, headers=admin).status_code
        == 400
    )
    gh_auth = {"Authorization": f"token {localforge.token}"}
    for name in ("..", "../evil", "a/b", "x y", "", "evil.git"):
        bad = http.post(f"{localforge.github_url}/user/repos", json={"name": name}, headers=gh_auth)
        assert bad.status_code in (400, 422), name
    assert (
        http.post(
            f"{localforge.github_url}/user/repos", json={"name": ".."}, headers=gh_auth
        ).status_code
        == 400
    )
    traversal = http.get(
        f"{localforge.gitlab_url}/..%2F..%2Fetc/passwd.git/info/refs?service=git-upload-pack"
    )
    assert traversal.status_code in (401, 404)
    assert http.get(f"{gl_api}/projects/..%2F..%2Fetc", headers=admin).status_code == 404
    stored = set(os.listdir(localforge.data_dir / "gitlab")) | set(
        os.listdir(localforge.data_dir / "github")
    )
    assert all(name.removesuffix(".git").isdigit() for name in stored)

    ok = http.post(
        f"{gl_api}/projects", json={"name": "twice", "namespace_id": group["id"]}, headers=admin
    )
    assert ok.status_code == 201
    again = http.post(
        f"{gl_api}/projects", json={"name": "twice", "namespace_id": group["id"]}, headers=admin
    )
    assert again.status_code == 409 and again.json()["message"]["name"] == [
        "has already been taken"
    ]
    assert (
        http.post(
            f"{localforge.github_url}/user/repos", json={"name": "twice"}, headers=gh_auth
        ).status_code
        == 201
    )
    dup = http.post(f"{localforge.github_url}/user/repos", json={"name": "twice"}, headers=gh_auth)
    assert dup.status_code == 422 and dup.json()["errors"][0]["field"] == "name"


def test_permissions_and_protected_branch(localforge, tmp_path):
    group = localforge.create_group(localforge.unique("perm"))
    gl = gitlab.Gitlab(localforge.gitlab_url, private_token=localforge.token)
    project = gl.projects.create({"name": "guarded", "namespace_id": group["id"]})
    dev, maint = localforge.unique("dev"), localforge.unique("maint")
    _, dev_token = localforge.create_user(dev)
    _, maint_token = localforge.create_user(maint)
    localforge.add_member(project.attributes, dev, DEVELOPER)
    localforge.add_member(group, maint, MAINTAINER)
    work = make_repo(tmp_path / "work")
    url = project.http_url_to_repo
    git("push", url, "main", cwd=work, header=localforge.git_auth_header(maint_token))

    as_dev = gitlab.Gitlab(localforge.gitlab_url, private_token=dev_token)
    dev_project = as_dev.projects.get(project.id)
    dev_project.description = "not allowed"
    with pytest.raises(gitlab.exceptions.GitlabUpdateError) as denied:
        dev_project.save()
    assert denied.value.response_code == 403
    with pytest.raises(gitlab.exceptions.GitlabCreateError) as no_hooks:
        dev_project.hooks.create({"url": "http://127.0.0.1:9/"})
    assert no_hooks.value.response_code == 403

    commit(work, "dev.txt", "dev\n", "Developer change")
    rejected = git(
        "push", url, "main", cwd=work, header=localforge.git_auth_header(dev_token), check=False
    )
    assert rejected.returncode != 0
    assert "not allowed to push code to protected branches" in rejected.stderr
    git("push", url, "main:dev-branch", cwd=work, header=localforge.git_auth_header(dev_token))
    git("push", url, "main", cwd=work, header=localforge.git_auth_header(maint_token))
    git("reset", "-q", "--hard", "HEAD~1", cwd=work)
    forced = git(
        "push",
        "-f",
        url,
        "main",
        cwd=work,
        header=localforge.git_auth_header(maint_token),
        check=False,
    )
    assert forced.returncode != 0 and "force push" in forced.stderr
    outsider = localforge.unique("out")
    _, out_token = localforge.create_user(outsider)
    nothing = git(
        "ls-remote", url, cwd=work, header=localforge.git_auth_header(out_token), check=False
    )
    assert nothing.returncode != 0
    anonymous = git("ls-remote", url, cwd=work, check=False)
    assert anonymous.returncode != 0 and "terminal prompts disabled" in anonymous.stderr

    org = localforge.unique("porg")
    admin, member = localforge.unique("oa"), localforge.unique("om")
    _, admin_token = localforge.create_user(admin)
    _, member_token = localforge.create_user(member)
    localforge.create_org(org, admins=[admin], members=[member])
    repo = gh_client(localforge, admin_token).get_organization(org).create_repo("locked")
    as_member = gh_client(localforge, member_token).get_repo(repo.full_name)
    with pytest.raises(github.GithubException) as forbidden:
        as_member.edit(description="nope")
    assert forbidden.value.status == 403
    push = git(
        "push",
        repo.clone_url,
        "main",
        cwd=work,
        header=localforge.git_auth_header(member_token),
        check=False,
    )
    assert push.returncode != 0 and "403" in push.stderr
    git("push", repo.clone_url, "main", cwd=work, header=localforge.git_auth_header(admin_token))


def test_state_survives_restart(localforge, tmp_path):
    name = localforge.unique("keep")
    _, token = localforge.create_user(name)
    localforge.create_org(f"{name}-org", admins=[name])
    gl = gitlab.Gitlab(localforge.gitlab_url, private_token=token)
    project = gl.projects.create({"name": "kept"})
    work = make_repo(tmp_path / "work", commits=2)
    git(
        "push", project.http_url_to_repo, "main", cwd=work, header=localforge.git_auth_header(token)
    )
    repo = gh_client(localforge, token).get_organization(f"{name}-org").create_repo("kept")
    repo.replace_topics(["durable"])
    urls = (localforge.gitlab_url, localforge.github_url)

    localforge.restart()

    assert (localforge.gitlab_url, localforge.github_url) == urls
    again = gitlab.Gitlab(localforge.gitlab_url, private_token=token)
    assert again.projects.get(f"{name}/kept").id == project.id
    assert again.projects.get(project.id).commits.list(get_all=True)[0].id == head(work)
    assert gh_client(localforge, token).get_repo(repo.full_name).topics == ["durable"]
    clone = tmp_path / "clone"
    git(
        "clone",
        "-q",
        project.http_url_to_repo,
        str(clone),
        header=localforge.git_auth_header(token),
    )
    assert head(clone) == head(work)
