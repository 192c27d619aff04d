"""The GitLab side of localforge, driven by python-gitlab and real git."""

import gitlab
import pytest

from tests.localforge.helpers import commit, git, head, make_repo

DEVELOPER, MAINTAINER, OWNER = 30, 40, 50


@pytest.fixture
def gl(localforge):
    client = gitlab.Gitlab(
        localforge.gitlab_url, private_token=localforge.token, retry_transient_errors=False
    )
    yield client
    client.session.close()


@pytest.fixture
def project_setup(localforge, gl, tmp_path):
    """A group/subgroup/project owned by a fresh user, with three commits pushed."""
    owner = localforge.unique("owner")
    owner_id, token = localforge.create_user(owner, email=f"{owner}@example.com")
    group = localforge.create_group(localforge.unique("grp"))
    localforge.add_member(group, owner, OWNER)
    sub = localforge.create_group("sub", parent=group["id"])
    user_gl = gitlab.Gitlab(localforge.gitlab_url, private_token=token)
    project = user_gl.projects.create(
        {"name": "Demo Project", "path": "demo", "namespace_id": sub["id"]}
    )
    work = make_repo(tmp_path / "work")
    return {
        "owner": owner,
        "owner_id": owner_id,
        "token": token,
        "gl": user_gl,
        "group": group,
        "sub": sub,
        "project": project,
        "work": work,
        "header": localforge.git_auth_header(token),
    }


def test_group_project_push_and_webhook(localforge, project_setup, webhook_receiver):
    s = project_setup
    project = s["project"]
    assert project.path_with_namespace == f"{s['group']['full_path']}/sub/demo"
    assert project.http_url_to_repo == f"{localforge.gitlab_url}/{project.path_with_namespace}.git"
    by_path = s["gl"].projects.get(project.path_with_namespace)
    assert by_path.id == project.id
    assert s["gl"].groups.get(f"{s['group']['full_path']}/sub").id == s["sub"]["id"]
    assert [g.id for g in s["gl"].groups.get(s["group"]["id"]).subgroups.list()] == [s["sub"]["id"]]

    project.hooks.create(
        {"url": webhook_receiver.url + "/gitlab", "token": "hook-secret", "push_events": True}
    )
    git("push", project.http_url_to_repo, "main", cwd=s["work"], header=s["header"])
    hook = webhook_receiver.wait_for(lambda r: r.header("X-Gitlab-Event") == "Push Hook")
    assert hook.header("X-Gitlab-Token") == "hook-secret"
    assert hook.header("X-Gitlab-Event-UUID") and hook.header("X-Gitlab-Webhook-UUID")
    body = hook.json()
    assert body["object_kind"] == "push"
    assert body["before"] == "0" * 40
    assert body["after"] == head(s["work"]) == body["checkout_sha"]
    assert body["ref"] == "refs/heads/main"
    assert body["user_username"] == s["owner"]
    assert body["total_commits_count"] == 3
    assert [c["title"] for c in body["commits"]] == ["Add file0", "Add file1", "Add file2"]
    assert body["commits"][0]["added"] == ["file0.txt"]
    assert body["project"]["path_with_namespace"] == project.path_with_namespace

    # An update: before/after and only the new commit.
    before = head(s["work"])
    after = commit(s["work"], "file0.txt", "changed\n", "Change file0")
    git("push", project.http_url_to_repo, "main", cwd=s["work"], header=s["header"])
    update = webhook_receiver.wait_for(lambda r: r.json().get("after") == after)
    assert update.json()["before"] == before
    assert update.json()["total_commits_count"] == 1
    assert update.json()["commits"][0]["modified"] == ["file0.txt"]

    # A tag push fires a Tag Push Hook when asked for.
    hook_obj = project.hooks.list()[0]
    hook_obj.tag_push_events = True
    hook_obj.save()
    git("tag", "-a", "v1.0", "-m", "Release 1.0", cwd=s["work"])
    git("push", project.http_url_to_repo, "v1.0", cwd=s["work"], header=s["header"])
    tag = webhook_receiver.wait_for(lambda r: r.header("X-Gitlab-Event") == "Tag Push Hook")
    assert tag.json()["ref"] == "refs/tags/v1.0"
    assert tag.json()["checkout_sha"] == after
    assert tag.json()["message"] == "Release 1.0"

    # Clone back anonymously is refused (private), with credentials it works.
    clone = s["work"].parent / "clone"
    denied = git("clone", project.http_url_to_repo, str(clone), check=False)
    assert denied.returncode != 0
    git("clone", "-q", project.http_url_to_repo, str(clone), header=s["header"])
    assert head(clone) == after


def test_commits_with_stats_across_pages(localforge, project_setup):
    s = project_setup
    for i in range(4):
        commit(s["work"], f"more{i}.txt", "a\nb\n", f"More {i}")
    git("push", s["project"].http_url_to_repo, "main", cwd=s["work"], header=s["header"])
    project = s["gl"].projects.get(s["project"].id)
    listed = project.commits.list(ref_name="main", with_stats=True, per_page=2, iterator=True)
    commits = list(listed)
    assert listed.total == 7 and listed.total_pages == 4
    assert len(commits) == 7
    assert commits[0].title == "More 3" and commits[-1].title == "Add file0"
    assert commits[0].stats == {"additions": 2, "deletions": 0, "total": 2}
    assert [c.id for c in project.commits.list(get_all=True, per_page=3)] == [c.id for c in commits]
    assert len(project.commits.list(query_parameters={"path": "more1.txt"}, get_all=True)) == 1
    assert project.commits.list(since="2999-01-01T00:00:00Z", get_all=True) == []
    single = project.commits.get(commits[-1].id)
    assert single.stats["additions"] == 1 and single.parent_ids == []
    compare = project.repository_compare(commits[-1].id, commits[0].id)
    assert len(compare["commits"]) == 6 and compare["commit"]["id"] == commits[0].id
    assert {d["new_path"] for d in compare["diffs"]} >= {"more0.txt", "file1.txt"}


def test_branches_tags_members_and_keyset(localforge, project_setup, gl):
    s = project_setup
    git("push", s["project"].http_url_to_repo, "main", cwd=s["work"], header=s["header"])
    project = s["gl"].projects.get(s["project"].id)
    branch = project.branches.create({"branch": "feature/x", "ref": "main"})
    assert branch.name == "feature/x" and not branch.protected
    assert project.branches.get("feature/x").commit["id"] == head(s["work"])
    assert project.branches.get("main").protected is True
    assert {b.name for b in project.branches.list(get_all=True)} == {"main", "feature/x"}
    tag = project.tags.create({"tag_name": "v0.1", "ref": "main", "message": "first"})
    assert tag.name == "v0.1" and tag.message == "first"
    assert [t.name for t in project.tags.list(get_all=True)] == ["v0.1"]

    dev = localforge.unique("dev")
    dev_id, _ = localforge.create_user(dev)
    localforge.add_member(s["group"], dev, DEVELOPER)
    everyone = {m.username: m.access_level for m in project.members_all.list(get_all=True)}
    assert everyone[dev] == DEVELOPER and everyone[s["owner"]] == OWNER
    assert project.members.list(get_all=True) == []
    assert project.members_all.get(dev_id).access_level == DEVELOPER
    project.members.create({"user_id": dev_id, "access_level": MAINTAINER})
    assert project.members_all.get(dev_id).access_level == MAINTAINER
    assert project.members.get(dev_id).access_level == MAINTAINER

    mine = s["gl"].projects.list(membership=True, min_access_level=MAINTAINER, get_all=True)
    assert project.id in [p.id for p in mine]
    as_dev = gl.projects.list(membership=True, min_access_level=MAINTAINER, sudo=dev, get_all=True)
    assert [p.id for p in as_dev] == [project.id]
    with pytest.raises(gitlab.exceptions.GitlabListError) as not_admin:
        s["gl"].projects.list(sudo=dev, get_all=True)
    assert not_admin.value.response_code == 403
    assert project.id in [p.id for p in s["gl"].projects.list(search="Demo", get_all=True)]
    ids = [
        p.id
        for p in gl.projects.list(
            pagination="keyset", order_by="id", sort="asc", per_page=1, iterator=True
        )
    ]
    assert ids == sorted(ids) and project.id in ids
    project.description = "new words"
    project.topics = ["science", "tools"]
    project.save()
    again = gl.projects.get(project.id)
    assert again.description == "new words" and again.topics == ["science", "tools"]


def test_merge_request_open_merge_close(localforge, project_setup, webhook_receiver):
    s = project_setup
    url = s["project"].http_url_to_repo
    git("push", url, "main", cwd=s["work"], header=s["header"])
    project = s["gl"].projects.get(s["project"].id)
    project.hooks.create(
        {"url": webhook_receiver.url, "merge_requests_events": True, "push_events": True}
    )
    git("checkout", "-q", "-b", "feature", cwd=s["work"])
    feature = commit(s["work"], "feature.txt", "new\n", "Add feature")
    git("push", url, "feature", cwd=s["work"], header=s["header"])

    mr = project.mergerequests.create(
        {
            "source_branch": "feature",
            "target_branch": "main",
            "title": "Add a feature",
            "description": "Why",
        }
    )
    assert mr.state == "opened" and mr.iid == 1 and mr.sha == feature
    opened = webhook_receiver.wait_for(lambda r: r.header("X-Gitlab-Event") == "Merge Request Hook")
    assert opened.json()["object_attributes"]["action"] == "open"
    assert [m.iid for m in project.mergerequests.list(state="opened", get_all=True)] == [1]

    merged = mr.merge()
    assert merged["state"] == "merged"
    main = project.branches.get("main").commit
    assert main["id"] == merged["merge_commit_sha"] and main["parent_ids"][1] == feature
    webhook_receiver.wait_for(
        lambda r: r.json().get("object_attributes", {}).get("action") == "merge"
    )
    push = webhook_receiver.wait_for(
        lambda r: r.header("X-Gitlab-Event") == "Push Hook" and r.json()["after"] == main["id"]
    )
    assert push.json()["user_username"] == s["owner"]
    assert project.mergerequests.get(1).state == "merged"

    git("checkout", "-q", "-b", "other", "main", cwd=s["work"])
    commit(s["work"], "other.txt", "x\n", "Other change")
    git("push", url, "other", cwd=s["work"], header=s["header"])
    second = project.mergerequests.create(
        {"source_branch": "other", "target_branch": "main", "title": "Other"}
    )
    second.state_event = "close"
    second.save()
    assert project.mergerequests.get(second.iid).state == "closed"
    closed = webhook_receiver.wait_for(
        lambda r: r.json().get("object_attributes", {}).get("action") == "close"
    )
    assert closed.json()["object_attributes"]["state"] == "closed"
    assert {m.iid for m in project.mergerequests.list(state="all", get_all=True)} == {1, 2}
