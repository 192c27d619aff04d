"""The GitLab adapter against localforge, over real sockets (python-gitlab, git smart HTTP)."""

from __future__ import annotations

import time

import pytest

from federation import git, repos
from federation.forges import errors
from federation.forges.base import Forge, Ref
from federation.forges.gitlab import GitLabForge, get_gitlab
from federation.forges.payloads import parse_gitlab_merge_request, parse_gitlab_push

from .conftest import make_commit, seed_mirror

DEVELOPER, MAINTAINER = 30, 40


@pytest.fixture
def gl(localforge, forge_settings, sleeps):
    return GitLabForge(localforge.gitlab_url, localforge.token, sleep=sleeps)


@pytest.fixture
def group(localforge):
    return localforge.create_group(localforge.unique("grp"))["full_path"]


@pytest.fixture
def project(gl, group, localforge):
    return gl.create_project(group, localforge.unique("proj"), description="d", topics=["a"])


@pytest.fixture(autouse=True)
def _clear_faults(localforge):
    yield
    localforge.clear_faults("gitlab")


def test_factory_reads_settings(forge_settings):
    forge = get_gitlab()
    assert isinstance(forge, Forge) and forge.url == forge_settings.GITLAB_URL


def test_create_and_update_metadata(gl, group, localforge):
    name = localforge.unique("meta")
    p = gl.create_project(
        group,
        name,
        description="Inner source tool",
        topics=["python", "hpc"],
        visibility="internal",
    )
    assert p.path == f"{group}/{name}" and p.namespace == group
    assert p.description == "Inner source tool"
    assert set(p.topics) == {"python", "hpc"}
    assert p.visibility == "internal"
    assert p.clone_url.startswith(localforge.gitlab_url)
    assert gl.get_project(p.id) == gl.get_project(p.path)

    q = gl.update_project(p.path, description="Now public", topics=["python"], visibility="public")
    assert (q.description, q.topics, q.visibility) == ("Now public", ("python",), "public")
    with pytest.raises(errors.Conflict):
        gl.create_project(group, name)


def test_maintainership(gl, project, group, localforge):
    maint, dev, inherited = (localforge.unique(u) for u in ("maint", "dev", "inh"))
    for u in (maint, dev, inherited):
        localforge.create_user(u)
    localforge.add_member(project.path, maint, MAINTAINER)
    localforge.add_member(project.path, dev, DEVELOPER)
    localforge.add_member(group, inherited, MAINTAINER)
    assert gl.is_maintainer(project.id, maint) is True
    assert gl.is_maintainer(project.path, inherited) is True  # via the group (members/all)
    assert gl.is_maintainer(project.id, dev) is False
    assert gl.is_maintainer(project.id, localforge.unique("nobody")) is False


def test_list_projects_with_the_users_token(gl, project, group, localforge):
    other = gl.create_project(group, localforge.unique("other"))
    username = localforge.unique("lister")
    _, token = localforge.create_user(username)
    localforge.add_member(project.path, username, MAINTAINER)
    localforge.add_member(other.path, username, DEVELOPER)
    as_user = GitLabForge(localforge.gitlab_url, token)
    assert {p.path for p in as_user.list_projects()} >= {project.path, other.path}
    assert {p.path for p in as_user.list_projects(maintained_only=True)} == {project.path}


def test_list_projects_of_another_user_uses_sudo(gl, project, localforge):
    username = localforge.unique("sudo")
    localforge.create_user(username)
    localforge.add_member(project.path, username, MAINTAINER)
    other = gl.create_project(project.namespace, localforge.unique("dev"))
    localforge.add_member(other.path, username, DEVELOPER)
    assert {p.path for p in gl.list_projects(user=username, maintained_only=True)} == {project.path}
    assert {p.path for p in gl.list_projects(user=username)} == {project.path, other.path}
    with pytest.raises(errors.NotFound):
        gl.list_projects(user=localforge.unique("ghost"))


def test_push_refs_and_mirror(gl, project, forge_settings):
    clone = gl.clone_info(project.id)
    assert clone.token not in clone.url and "@" not in clone.url
    path, head = seed_mirror("local/gl-push", 3, tags=["v1.0"])
    pushed = repos.push(
        "local/gl-push",
        clone.url,
        clone,
        ["refs/heads/main:refs/heads/main", "refs/tags/v1.0:refs/tags/v1.0"],
    )
    assert {(p.ref, p.flag) for p in pushed} == {("refs/heads/main", "*"), ("refs/tags/v1.0", "*")}
    assert gl.list_branches(project.id) == [Ref("main", head, "branch")]
    assert gl.list_tags(project.id) == [Ref("v1.0", head, "tag")]
    assert {r.full_name: r.sha for r in gl.list_refs(project.id)} == repos.list_refs(path)
    assert repos.ls_remote(clone.url, clone) == repos.list_refs(path)

    first = repos.ensure_mirror("gitlab/mirror", clone.url, clone)
    assert first.created and first.new == repos.list_refs(path) and first.old == {}
    assert {c.ref for c in first.changes} == {"refs/heads/main", "refs/tags/v1.0"}
    again = repos.ensure_mirror("gitlab/mirror", clone.url, clone)
    assert not again.created and again.changes == []

    new_head = make_commit(path, {"g.txt": b"more\n"}, parent=head)
    repos.push("local/gl-push", clone.url, clone, ["refs/heads/main:refs/heads/main"])
    update = repos.ensure_mirror("gitlab/mirror", clone.url, clone)
    assert [(c.ref, c.old, c.new) for c in update.changes] == [("refs/heads/main", head, new_head)]
    log = list(git.stream(["log", "--format=%H", "refs/heads/main"], repo=update.path))
    assert len(log) == 4


def test_git_errors_are_typed(gl, project, localforge, forge_settings):
    clone = gl.clone_info(project.id)
    bad = git.GitCredentials("oauth2", "wrong-token")
    with pytest.raises(git.GitAuthError) as exc:
        repos.ls_remote(clone.url, bad)
    assert "wrong-token" not in str(exc.value) + exc.value.stderr
    missing = clone.url.replace(project.path, f"{project.namespace}/does-not-exist")
    with pytest.raises((git.GitNotFound, git.GitAuthError)):
        repos.ensure_mirror("gitlab/missing", missing, clone)
    seed_mirror("local/gl-empty", 1)
    with pytest.raises(git.RefNotFound):
        repos.push("local/gl-empty", clone.url, clone, ["refs/heads/nope:refs/heads/main"])


def test_hook_installed_once_and_delivers(gl, project, localforge, webhook_receiver):
    url = f"{webhook_receiver.url}/hooks/gitlab/"
    first = gl.ensure_hook(project.id, url, "secret-1")
    second = gl.ensure_hook(project.id, url, "secret-2", events=("push", "merge_request"))
    assert first.id == second.id
    hooks = gl.list_hooks(project.id)
    assert len(hooks) == 1 and hooks[0].url == url
    assert set(hooks[0].events) == {"push", "merge_request"}

    clone = gl.clone_info(project.id)
    _, head = seed_mirror("local/gl-hook", 2)
    repos.push("local/gl-hook", clone.url, clone, ["refs/heads/main:refs/heads/main"])
    delivery = webhook_receiver.wait_for(lambda r: r.header("X-Gitlab-Event") == "Push Hook")
    assert delivery.header("X-Gitlab-Token") == "secret-2"
    event = parse_gitlab_push(delivery.body)
    assert (event.after, event.ref, event.project_path) == (head, "refs/heads/main", project.path)
    assert event.created and len(event.commits) == 2

    gl.delete_hook(project.id, first.id)
    assert gl.list_hooks(project.id) == []


def test_merge_request_open_comment_merge_close(gl, project, localforge, webhook_receiver):
    clone = gl.clone_info(project.id)
    path, head = seed_mirror("local/gl-mr", 2)
    feature = make_commit(path, {"feature.txt": b"x\n"}, parent=head, ref="refs/heads/feature")
    make_commit(path, {"other.txt": b"y\n"}, parent=head, ref="refs/heads/other")
    repos.push(
        "local/gl-mr",
        clone.url,
        clone,
        [f"refs/heads/{b}:refs/heads/{b}" for b in ("main", "feature", "other")],
    )
    gl.ensure_hook(project.id, webhook_receiver.url + "/mr", "s", events=("merge_request",))

    mr = gl.open_merge_request(
        project.id, source_branch="feature", target_branch="main", title="Add feature"
    )
    assert (mr.state, mr.source_branch, mr.target_branch, mr.head_sha) == (
        "open",
        "feature",
        "main",
        feature,
    )
    note = gl.comment_merge_request(project.id, mr.number, "Imported from GitHub #1")
    assert note.body == "Imported from GitHub #1"
    merged = gl.merge_merge_request(project.id, mr.number)
    assert merged.state == "merged" and merged.merge_sha
    assert gl.list_branches(project.id)[0].sha != head

    event = parse_gitlab_merge_request(
        webhook_receiver.wait_for(lambda r: r.header("X-Gitlab-Event") == "Merge Request Hook").body
    )
    assert event.number == mr.number and event.project_path == project.path

    other = gl.open_merge_request(
        project.id, source_branch="other", target_branch="main", title="Other", description="no"
    )
    closed = gl.close_merge_request(project.id, other.number)
    assert closed.state == "closed"
    assert gl.get_merge_request(project.id, other.number).state == "closed"
    with pytest.raises(errors.NotFound):
        gl.get_merge_request(project.id, 999)


def test_errors(gl, project, localforge):
    with pytest.raises(errors.NotFound):
        gl.get_project("no-such-group/no-such-project")
    with pytest.raises(errors.Unauthorized):
        GitLabForge(localforge.gitlab_url, "not-a-token").get_project(project.id)
    username = localforge.unique("dev")
    _, token = localforge.create_user(username)
    localforge.add_member(project.path, username, DEVELOPER)
    as_dev = GitLabForge(localforge.gitlab_url, token)
    assert as_dev.get_project(project.id).id == project.id
    with pytest.raises(errors.Forbidden):
        as_dev.update_project(project.id, description="mine now")
    with pytest.raises(errors.Forbidden):
        as_dev.ensure_hook(project.id, "http://127.0.0.1:9/h", "s")


def test_rate_limit_retried_and_retry_after_honoured(gl, project, localforge, sleeps):
    localforge.inject_fault("gitlab", 429, 1, path_prefix="/api/v4/projects", retry_after=1)
    localforge.inject_fault("gitlab", 403, 1, path_prefix="/api/v4/projects", retry_after=1)
    started = time.monotonic()
    assert gl.get_project(project.id).id == project.id
    assert time.monotonic() - started >= 2.0
    assert sleeps[:2] == [1.0, 1.0]


def test_persistent_rate_limit_raises_rate_limited(localforge, project, sleeps):
    gl = GitLabForge(localforge.gitlab_url, localforge.token, sleep=sleeps, max_wait=30)
    localforge.inject_fault("gitlab", 429, 1, path_prefix="/api/v4/projects", retry_after=3600)
    with pytest.raises(errors.RateLimited) as exc:
        gl.get_project(project.id)
    assert exc.value.retry_after == 3600 and sleeps == []

    waits = []
    quick = GitLabForge(localforge.gitlab_url, localforge.token, sleep=waits.append, max_retries=2)
    localforge.inject_fault("gitlab", 429, 5, path_prefix="/api/v4/projects", retry_after=0)
    with pytest.raises(errors.RateLimited) as exc:
        quick.get_project(project.id)
    assert exc.value.retry_after >= 1 and len(waits) == 2
    localforge.clear_faults("gitlab")
    assert quick.get_project(project.id).id == project.id  # rate limited is not access lost


def test_502_is_retried(project, localforge):
    slept = []
    gl = GitLabForge(localforge.gitlab_url, localforge.token, sleep=slept.append)
    localforge.inject_fault("gitlab", 502, 2, path_prefix="/api/v4/projects", retry_after=0)
    assert gl.list_branches(project.id) == []
    assert slept == [0.5, 1.0]
    waits = []
    once = GitLabForge(localforge.gitlab_url, localforge.token, sleep=waits.append, max_retries=1)
    localforge.inject_fault("gitlab", 503, 10, path_prefix="/api/v4/projects", retry_after=0)
    with pytest.raises(errors.Unavailable) as exc:
        once.get_project(project.id)
    assert exc.value.status == 503 and waits == [0.5]


def test_survives_a_forge_restart(gl, project, localforge):
    assert gl.get_project(project.id).id == project.id  # leaves a pooled connection behind
    localforge.restart()
    assert gl.get_project(project.id).id == project.id
