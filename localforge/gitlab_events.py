"""GitLab events: what happens after refs move (push, tag push) and the hook payloads."""

import fnmatch

from localforge import gitlab_model as m
from localforge import gitrepo
from localforge.store import now_iso

ZERO = gitrepo.ZERO_SHA
COMMIT_LIMIT = 20
_READMES = ("README.md", "README", "README.rst", "README.txt", "readme.md")


def hook_project(app, project: dict) -> dict:
    store = app.store
    ns = store.get("namespaces", project["namespace_id"])
    path = m.project_path(store, project)
    web = f"{app.base}/{path}"
    host = app.base.split("://", 1)[-1].split(":")[0]
    return {
        "id": project["id"],
        "name": project["name"],
        "description": project.get("description") or "",
        "web_url": web,
        "avatar_url": None,
        "git_ssh_url": f"git@{host}:{path}.git",
        "git_http_url": f"{web}.git",
        "namespace": ns["name"],
        "visibility_level": m.VISIBILITY_LEVEL[project["visibility"]],
        "path_with_namespace": path,
        "default_branch": project["default_branch"],
        "ci_config_path": None,
        "homepage": web,
        "url": f"{web}.git",
        "ssh_url": f"git@{host}:{path}.git",
        "http_url": f"{web}.git",
    }


def hook_repository(project_data: dict) -> dict:
    return {
        "name": project_data["name"],
        "url": project_data["url"],
        "description": project_data["description"],
        "homepage": project_data["homepage"],
        "git_http_url": project_data["git_http_url"],
        "git_ssh_url": project_data["git_ssh_url"],
        "visibility_level": project_data["visibility_level"],
    }


def hook_commit(web: str, c: dict) -> dict:
    return {
        "id": c["sha"],
        "message": c["message"],
        "title": c["message"].split("\n", 1)[0],
        "timestamp": c["author_date"],
        "url": f"{web}/-/commit/{c['sha']}",
        "author": {"name": c["author_name"], "email": c["author_email"]},
        "added": c.get("added", []),
        "modified": c.get("modified", []),
        "removed": c.get("removed", []),
    }


def push_commits(repo: str, old: str, new: str, others: list[str]) -> tuple[list, int]:
    """The (at most 20, oldest first) new commits of a ref update, and how many in all."""
    if new == ZERO:
        return [], 0
    revs = [new] + ([f"^{old}"] if old != ZERO else [f"^{s}" for s in sorted(set(others))])
    total = gitrepo.count(repo, revs)
    commits = gitrepo.log(repo, revs, max_count=COMMIT_LIMIT, name_status=True)
    commits.reverse()
    return commits, total


def push_payload(app, project, user, old, new, ref, commits, total, kind="push", message=None):
    data = hook_project(app, project)
    web = data["web_url"]
    checkout = None
    if new != ZERO:
        checkout = (
            commits[-1]["sha"]
            if commits
            else gitrepo.resolve(app.ctx.repo_dir("gitlab", project["id"]), new)
        )
    return {
        "object_kind": kind,
        "event_name": kind,
        "before": old,
        "after": new,
        "ref": ref,
        "ref_protected": ref == f"refs/heads/{project['default_branch']}",
        "checkout_sha": checkout,
        "message": message,
        "user_id": user["id"],
        "user_name": user["name"],
        "user_username": user["username"],
        "user_email": user["email"],
        "user_avatar": None,
        "project_id": project["id"],
        "project": data,
        "commits": [hook_commit(web, c) for c in commits],
        "total_commits_count": total,
        "push_options": {},
        "repository": hook_repository(data),
    }


def deliver(app, project, flag: str, event: str, payload: dict, branch: str | None = None):
    for hook in app.store.find("gl_hooks", project_id=project["id"]):
        if not hook.get(flag):
            continue
        pattern = hook.get("push_events_branch_filter") or ""
        if (
            flag == "push_events"
            and branch
            and pattern
            and not fnmatch.fnmatchcase(branch, pattern)
        ):
            continue
        app.deliverer.gitlab(hook, event, payload, app.base)


def on_ref_updates(app, project_id: int, user: dict, updates: list[tuple[str, str, str]]):
    """Called after a push (or an API change) moved refs: update state, fire hooks."""
    from localforge import gitlab_mr

    with app.store.lock:
        project = app.store.get("gl_projects", project_id)
        if project is None:
            return
        repo = app.ctx.repo_dir("gitlab", project_id)
        refs = gitrepo.list_refs(repo)
        updated = {ref for _, _, ref in updates}
        others = [r["commit"] for r in refs if r["ref"] not in updated]
        heads = {r["ref"]: r["sha"] for r in refs if r["ref"].startswith("refs/heads/")}
        project["empty"] = not heads
        default_ref = f"refs/heads/{project['default_branch']}"
        if heads and default_ref not in heads:
            created = [ref for _, new, ref in updates if ref in heads and new != ZERO]
            if created:
                project["default_branch"] = created[0][len("refs/heads/") :]
                default_ref = created[0]
                gitrepo.set_head(repo, project["default_branch"])
        if default_ref in updated and default_ref in heads:
            files = gitrepo.ls_tree_names(repo, heads[default_ref])
            project["readme"] = next((f for f in _READMES if f in files), None)
        project["last_activity_at"] = now_iso()
        for old, new, ref in updates:
            if ref.startswith("refs/heads/"):
                commits, total = push_commits(repo, old, new, others)
                payload = push_payload(app, project, user, old, new, ref, commits, total)
                deliver(
                    app, project, "push_events", "Push Hook", payload, ref[len("refs/heads/") :]
                )
            elif ref.startswith("refs/tags/"):
                commits, total, message = [], 0, None
                if new != ZERO:
                    target = gitrepo.resolve(repo, new)
                    commits = gitrepo.log(
                        repo, [target], max_count=1, no_walk=True, name_status=True
                    )
                    total = len(commits)
                    message = (gitrepo.tag_message(repo, new) or "").rstrip("\n") or None
                payload = push_payload(
                    app, project, user, old, new, ref, commits, total, "tag_push", message
                )
                deliver(app, project, "tag_push_events", "Tag Push Hook", payload)
        gitlab_mr.on_source_push(app, project, user, updates)
        app.store.save()


def test_push(app, project, hook, user) -> bool:
    repo = app.ctx.repo_dir("gitlab", project["id"])
    head = gitrepo.resolve(repo, f"refs/heads/{project['default_branch']}")
    if head is None:
        return False
    commits = gitrepo.log(repo, [head], max_count=3, name_status=True)
    commits.reverse()
    before = commits[0]["parents"][0] if commits[0]["parents"] else ZERO
    ref = f"refs/heads/{project['default_branch']}"
    payload = push_payload(app, project, user, before, head, ref, commits, len(commits))
    app.deliverer.gitlab(hook, "Push Hook", payload, app.base)
    return True
