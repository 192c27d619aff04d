"""What a GitLab merge request is: its head ref in the target repo, its JSON, its hook."""

from localforge import gitlab_events, gitrepo
from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge.store import now_iso

STATE_ID = {"opened": 1, "closed": 2, "merged": 3, "locked": 4}
ZERO = gitrepo.ZERO_SHA


def repo_of(app, project_id):
    return app.ctx.repo_dir("gitlab", project_id)


def head_ref(mr):
    return f"refs/merge-requests/{mr['iid']}/head"


def refresh_head(app, mr) -> str | None:
    """Copy the source branch head into the target repo (refs/merge-requests/N/head)."""
    src_repo, dst_repo = repo_of(app, mr["source_project_id"]), repo_of(app, mr["project_id"])
    branch = f"refs/heads/{mr['source_branch']}"
    sha = gitrepo.resolve(src_repo, branch)
    if sha is None:
        return None
    if src_repo == dst_repo:
        gitrepo.update_ref(dst_repo, head_ref(mr), sha)
    else:
        gitrepo.fetch(dst_repo, src_repo, f"+{branch}:{head_ref(mr)}")
    mr["sha"] = sha
    return sha


def merge_status(app, mr) -> tuple[bool, str]:
    """(has_conflicts, merge_status) for an open merge request."""
    if mr["state"] != "opened":
        return False, "can_be_merged" if mr["state"] == "merged" else "unchecked"
    repo = repo_of(app, mr["project_id"])
    target = gitrepo.resolve(repo, f"refs/heads/{mr['target_branch']}")
    head = gitrepo.resolve(repo, head_ref(mr))
    if target is None or head is None:
        return False, "cannot_be_merged"
    try:
        gitrepo.merge_tree(repo, target, head)
    except gitrepo.MergeConflict:
        return True, "cannot_be_merged"
    return False, "can_be_merged"


def mr_json(app, mr, viewer=None, detail=False) -> dict:
    store, base = app.store, app.base
    project = store.get("gl_projects", mr["project_id"])
    path = m.project_path(store, project)

    def user(uid):
        found = store.get("users", uid)
        return js.user_basic(base, found) if found else None

    conflicts, status = merge_status(app, mr)
    detailed = {"opened": "mergeable" if not conflicts else "conflict"}.get(mr["state"], "not_open")
    data = {
        "id": mr["id"],
        "iid": mr["iid"],
        "project_id": mr["project_id"],
        "title": mr["title"],
        "description": mr.get("description") or "",
        "state": mr["state"],
        "created_at": mr["created_at"],
        "updated_at": mr["updated_at"],
        "merged_by": user(mr.get("merged_by_id")),
        "merge_user": user(mr.get("merged_by_id")),
        "merged_at": mr.get("merged_at"),
        "merge_after": None,
        "closed_by": user(mr.get("closed_by_id")),
        "closed_at": mr.get("closed_at"),
        "target_branch": mr["target_branch"],
        "source_branch": mr["source_branch"],
        "user_notes_count": len(store.find("gl_notes", mr_id=mr["id"])),
        "upvotes": 0,
        "downvotes": 0,
        "author": user(mr["author_id"]),
        "assignees": [user(u) for u in mr.get("assignee_ids", []) if user(u)],
        "assignee": user(mr["assignee_ids"][0]) if mr.get("assignee_ids") else None,
        "reviewers": [user(u) for u in mr.get("reviewer_ids", []) if user(u)],
        "source_project_id": mr["source_project_id"],
        "target_project_id": mr["project_id"],
        "labels": list(mr.get("labels", [])),
        "draft": bool(mr.get("draft")),
        "imported": False,
        "imported_from": "none",
        "work_in_progress": bool(mr.get("draft")),
        "milestone": None,
        "merge_when_pipeline_succeeds": False,
        "merge_status": status,
        "detailed_merge_status": detailed,
        "sha": mr.get("sha"),
        "merge_commit_sha": mr.get("merge_commit_sha"),
        "squash_commit_sha": mr.get("squash_commit_sha"),
        "discussion_locked": None,
        "should_remove_source_branch": mr.get("should_remove_source_branch"),
        "force_remove_source_branch": bool(mr.get("force_remove_source_branch")),
        "prepared_at": mr["created_at"],
        "reference": f"!{mr['iid']}",
        "references": {
            "short": f"!{mr['iid']}",
            "relative": f"!{mr['iid']}",
            "full": f"{path}!{mr['iid']}",
        },
        "web_url": f"{base}/{path}/-/merge_requests/{mr['iid']}",
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "squash": bool(mr.get("squash")),
        "squash_on_merge": bool(mr.get("squash")),
        "task_completion_status": {"count": 0, "completed_count": 0},
        "has_conflicts": conflicts,
        "blocking_discussions_resolved": True,
        "approvals_before_merge": None,
    }
    if detail:
        data.update(
            {
                "subscribed": False,
                "changes_count": str(mr.get("changes_count") or 0),
                "latest_build_started_at": None,
                "latest_build_finished_at": None,
                "first_deployed_to_production_at": None,
                "pipeline": None,
                "head_pipeline": None,
                "diff_refs": mr.get("diff_refs"),
                "merge_error": None,
                "first_contribution": False,
                "user": {"can_merge": can_merge(app, mr, viewer)},
            }
        )
    return data


def can_merge(app, mr, user) -> bool:
    project = app.store.get("gl_projects", mr["project_id"])
    protected = mr["target_branch"] == project["default_branch"]
    return m.access(app.store, project, user) >= (m.MAINTAINER if protected else m.DEVELOPER)


def update_diff_refs(app, mr):
    repo = repo_of(app, mr["project_id"])
    target = gitrepo.resolve(repo, f"refs/heads/{mr['target_branch']}")
    head = gitrepo.resolve(repo, head_ref(mr))
    if target and head:
        base = gitrepo.merge_base(repo, target, head) or target
        mr["diff_refs"] = {"base_sha": base, "head_sha": head, "start_sha": target}
        mr["changes_count"] = len(gitrepo.diff(repo, base, head, patch=False))


# --- hooks --------------------------------------------------------------------------------


def fire(app, mr, action, user, changes=None, oldrev=None):
    store = app.store
    target = store.get("gl_projects", mr["project_id"])
    source = store.get("gl_projects", mr["source_project_id"]) or target
    data = mr_json(app, mr)
    target_data = gitlab_events.hook_project(app, target)
    last = None
    if mr.get("sha"):
        found = gitrepo.commit(repo_of(app, mr["project_id"]), mr["sha"])
        if found:
            last = gitlab_events.hook_commit(target_data["web_url"], found)
            last.pop("added"), last.pop("modified"), last.pop("removed")
    attributes = {
        "id": mr["id"],
        "iid": mr["iid"],
        "target_branch": mr["target_branch"],
        "source_branch": mr["source_branch"],
        "source_project_id": mr["source_project_id"],
        "author_id": mr["author_id"],
        "assignee_ids": list(mr.get("assignee_ids", [])),
        "assignee_id": (mr.get("assignee_ids") or [None])[0],
        "reviewer_ids": list(mr.get("reviewer_ids", [])),
        "title": mr["title"],
        "created_at": mr["created_at"],
        "updated_at": mr["updated_at"],
        "last_edited_at": None,
        "last_edited_by_id": None,
        "milestone_id": None,
        "state_id": STATE_ID[mr["state"]],
        "state": mr["state"],
        "blocking_discussions_resolved": True,
        "work_in_progress": data["draft"],
        "draft": data["draft"],
        "first_contribution": False,
        "merge_status": data["merge_status"],
        "target_project_id": mr["project_id"],
        "description": data["description"],
        "prepared_at": mr["created_at"],
        "total_time_spent": 0,
        "time_change": 0,
        "time_estimate": 0,
        "human_total_time_spent": None,
        "human_time_change": None,
        "human_time_estimate": None,
        "head_pipeline_id": None,
        "merge_commit_sha": mr.get("merge_commit_sha"),
        "merge_error": None,
        "merge_params": {
            "force_remove_source_branch": str(bool(mr.get("should_remove_source_branch"))).lower()
        },
        "merge_when_pipeline_succeeds": False,
        "merge_user_id": mr.get("merged_by_id"),
        "updated_by_id": user["id"],
        "url": data["web_url"],
        "source": gitlab_events.hook_project(app, source),
        "target": target_data,
        "last_commit": last,
        "labels": [],
        "action": action,
        "detailed_merge_status": data["detailed_merge_status"],
    }
    if oldrev:
        attributes["oldrev"] = oldrev
    payload = {
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "user": {**js.user_basic(app.base, user), "email": user["email"]},
        "project": target_data,
        "object_attributes": attributes,
        "labels": [],
        "changes": changes or {},
        "repository": {k: target_data[k] for k in ("name", "url", "description", "homepage")},
        "assignees": [a for a in data["assignees"]],
        "reviewers": [r for r in data["reviewers"]],
    }
    gitlab_events.deliver(app, target, "merge_requests_events", "Merge Request Hook", payload)


def on_source_push(app, project, user, updates):
    for mr in app.store.find("gl_mrs", source_project_id=project["id"], state="opened"):
        for old, new, ref in updates:
            if ref == f"refs/heads/{mr['source_branch']}" and new != ZERO:
                before = mr.get("sha")
                if refresh_head(app, mr) and before != mr["sha"]:
                    mr["updated_at"] = now_iso()
                    update_diff_refs(app, mr)
                    fire(app, mr, "update", user, oldrev=before or old)


def find_mr(app, project, iid):
    mr = app.store.first("gl_mrs", project_id=project["id"], iid=int(iid))
    if mr is None:
        raise m.not_found("Merge Request")
    return mr
