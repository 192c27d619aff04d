"""GitLab merge requests: create, list, get, edit/close/reopen, merge, commits, notes, hooks."""

from localforge import gitlab_events, gitrepo, names
from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge.gitlab_api import need_user, paginate
from localforge.gitlab_projects import project_for
from localforge.store import now_iso
from localforge.web import Response, Router

router = Router()
_MR = r"/projects/(?P<ref>[^/]+)/merge_requests"
_ONE = _MR + r"/(?P<iid>\d+)"
STATE_ID = {"opened": 1, "closed": 2, "merged": 3, "locked": 4}
ZERO = gitrepo.ZERO_SHA


def _repo(app, project_id):
    return app.ctx.repo_dir("gitlab", project_id)


def head_ref(mr):
    return f"refs/merge-requests/{mr['iid']}/head"


def refresh_head(app, mr) -> str | None:
    """Copy the source branch head into the target repo (refs/merge-requests/N/head)."""
    src_repo, dst_repo = _repo(app, mr["source_project_id"]), _repo(app, mr["project_id"])
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
    repo = _repo(app, mr["project_id"])
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


def _diff_refs(app, mr):
    repo = _repo(app, mr["project_id"])
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
        found = gitrepo.commit(_repo(app, mr["project_id"]), mr["sha"])
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
                    _diff_refs(app, mr)
                    fire(app, mr, "update", user, oldrev=before or old)


# --- endpoints ----------------------------------------------------------------------------


def find_mr(app, project, iid):
    mr = app.store.first("gl_mrs", project_id=project["id"], iid=int(iid))
    if mr is None:
        raise m.not_found("Merge Request")
    return mr


@router.route("POST", _MR)
def create_mr(app, req, ref):
    user = need_user(req)
    here = project_for(app, req, ref)
    data = m.params(req)
    for key in ("source_branch", "target_branch", "title"):
        if not data.get(key):
            raise m.bad_request(f"{key} is missing")
    source, target = here, here
    if data.get("target_project_id") not in (None, "", here["id"]):
        target = project_for(app, req, data["target_project_id"])
    elif data.get("source_project_id") not in (None, "", here["id"]):
        source = project_for(app, req, data["source_project_id"])
    m.require(app.store, source, user, m.DEVELOPER)
    src_branch, tgt_branch = data["source_branch"], data["target_branch"]
    if not names.valid_branch(src_branch) or not names.valid_branch(tgt_branch):
        raise m.bad_request("branch name is invalid")
    if source["id"] == target["id"] and src_branch == tgt_branch:
        raise m.error(400, ["You can't use same project/branch for source and target"])
    if gitrepo.resolve(_repo(app, source["id"]), f"refs/heads/{src_branch}") is None:
        raise m.error(400, {"source_branch": ["does not exist"]})
    if gitrepo.resolve(_repo(app, target["id"]), f"refs/heads/{tgt_branch}") is None:
        raise m.error(400, {"target_branch": ["does not exist"]})
    for other in app.store.find("gl_mrs", project_id=target["id"], state="opened"):
        if (other["source_project_id"], other["source_branch"], other["target_branch"]) == (
            source["id"],
            src_branch,
            tgt_branch,
        ):
            raise m.error(
                409,
                [
                    f"Another open merge request already exists for this source branch: !{other['iid']}"
                ],
            )
    target["mr_seq"] = target.get("mr_seq", 0) + 1
    assignees = data.get("assignee_ids") or (
        [data["assignee_id"]] if data.get("assignee_id") else []
    )
    stamp = now_iso()
    mr = {
        "id": app.store.next_id("gl_mr"),
        "iid": target["mr_seq"],
        "project_id": target["id"],
        "source_project_id": source["id"],
        "source_branch": src_branch,
        "target_branch": tgt_branch,
        "title": data["title"],
        "description": data.get("description") or "",
        "state": "opened",
        "author_id": user["id"],
        "assignee_ids": [int(a) for a in assignees if str(a).isdigit()],
        "reviewer_ids": [int(a) for a in data.get("reviewer_ids") or [] if str(a).isdigit()],
        "labels": [s for s in str(data.get("labels") or "").split(",") if s],
        "draft": str(data["title"]).lower().startswith(("draft:", "[draft]")),
        "squash": bool(m.flag(data.get("squash"))),
        "should_remove_source_branch": m.flag(data.get("remove_source_branch")),
        "force_remove_source_branch": bool(m.flag(data.get("remove_source_branch"))),
        "created_at": stamp,
        "updated_at": stamp,
    }
    refresh_head(app, mr)
    _diff_refs(app, mr)
    app.store.put("gl_mrs", mr)
    fire(app, mr, "open", user)
    return Response(201, mr_json(app, mr, user, detail=True))


def _filter_mrs(req, rows):
    state = req.arg("state") or "all"
    if state != "all":
        rows = [r for r in rows if r["state"] == state]
    for key in ("source_branch", "target_branch"):
        if req.arg(key):
            rows = [r for r in rows if r[key] == req.arg(key)]
    descending = (req.arg("sort") or "desc") == "desc"
    order = req.arg("order_by") or "created_at"
    return sorted(rows, key=lambda r: (r.get(order) or "", r["id"]), reverse=descending)


@router.route("GET", _MR)
def list_mrs(app, req, ref):
    project = project_for(app, req, ref)
    rows = _filter_mrs(req, app.store.find("gl_mrs", project_id=project["id"]))
    return paginate(app, req, rows, lambda mr: mr_json(app, mr, req.user))


@router.route("GET", r"/merge_requests")
def list_all_mrs(app, req):
    user = need_user(req)
    rows = app.store.rows("gl_mrs")
    rows = [
        r
        for r in rows
        if m.can_read(app.store, app.store.get("gl_projects", r["project_id"]), user)
    ]
    if (req.arg("scope") or "created_by_me") == "created_by_me":
        rows = [r for r in rows if r["author_id"] == user["id"]]
    rows = _filter_mrs(req, rows)
    return paginate(app, req, rows, lambda mr: mr_json(app, mr, user))


@router.route("GET", _ONE)
def get_mr(app, req, ref, iid):
    mr = find_mr(app, project_for(app, req, ref), iid)
    return mr_json(app, mr, req.user, detail=True)


@router.route("PUT", _ONE)
def edit_mr(app, req, ref, iid):
    user = need_user(req)
    project = project_for(app, req, ref)
    mr = find_mr(app, project, iid)
    if mr["author_id"] != user["id"]:
        m.require(app.store, project, user, m.DEVELOPER)
    data = m.params(req)
    changes, action = {}, "update"
    for key in ("title", "description"):
        if key in data and data[key] != mr.get(key):
            changes[key] = {"previous": mr.get(key), "current": data[key]}
            mr[key] = data[key]
    if data.get("target_branch"):
        if (
            gitrepo.resolve(_repo(app, project["id"]), f"refs/heads/{data['target_branch']}")
            is None
        ):
            raise m.error(400, {"target_branch": ["does not exist"]})
        mr["target_branch"] = data["target_branch"]
    event = data.get("state_event")
    if event == "close" and mr["state"] == "opened":
        mr.update(state="closed", closed_at=now_iso(), closed_by_id=user["id"])
        changes["state_id"] = {"previous": 1, "current": 2}
        action = "close"
    elif event == "reopen" and mr["state"] == "closed":
        mr.update(state="opened", closed_at=None, closed_by_id=None)
        refresh_head(app, mr)
        changes["state_id"] = {"previous": 2, "current": 1}
        action = "reopen"
    if "labels" in data:
        mr["labels"] = [s for s in str(data["labels"] or "").split(",") if s]
    if "remove_source_branch" in data:
        mr["should_remove_source_branch"] = m.flag(data["remove_source_branch"])
    if "squash" in data:
        mr["squash"] = bool(m.flag(data["squash"]))
    old_updated = mr["updated_at"]
    mr["updated_at"] = now_iso()
    changes["updated_at"] = {"previous": old_updated, "current": mr["updated_at"]}
    fire(app, mr, action, user, changes)
    return mr_json(app, mr, user, detail=True)


@router.route("DELETE", _ONE)
def delete_mr(app, req, ref, iid):
    project = project_for(app, req, ref, m.OWNER)
    mr = find_mr(app, project, iid)
    app.store.delete("gl_mrs", mr["id"])
    return Response(204)


@router.route("PUT", _ONE + r"/merge")
def merge_mr(app, req, ref, iid):
    user = need_user(req)
    project = project_for(app, req, ref)
    mr = find_mr(app, project, iid)
    if mr["state"] != "opened" or mr.get("draft"):
        raise m.error(405, "405 Method Not Allowed")
    if not can_merge(app, mr, user):
        raise m.error(401, "401 Unauthorized")
    data = m.params(req)
    repo = _repo(app, project["id"])
    head = refresh_head(app, mr)
    if head is None:
        raise m.error(406, "Branch cannot be merged")
    if data.get("sha") and data["sha"] != head:
        raise m.error(409, f"SHA does not match HEAD of source branch: {head}")
    squash = bool(m.flag(data.get("squash"))) if "squash" in data else bool(mr.get("squash"))
    target_ref = f"refs/heads/{mr['target_branch']}"
    identity = (user["name"], user["email"])
    with gitrepo.repo_lock(repo):
        target = gitrepo.resolve(repo, target_ref)
        try:
            tree = gitrepo.merge_tree(repo, target, head)
        except gitrepo.MergeConflict:
            raise m.error(406, "Branch cannot be merged") from None
        second = head
        if squash:
            base = gitrepo.merge_base(repo, target, head) or target
            author = app.store.get("users", mr["author_id"]) or user
            message = data.get("squash_commit_message") or mr["title"]
            head_tree = gitrepo.ref_sha(repo, f"{head}^{{tree}}")
            second = gitrepo.commit_tree(
                repo, head_tree, [base], message, (author["name"], author["email"])
            )
            mr["squash_commit_sha"] = second
        path = m.project_path(app.store, project)
        message = data.get("merge_commit_message") or (
            f"Merge branch '{mr['source_branch']}' into '{mr['target_branch']}'\n\n"
            f"{mr['title']}\n\nSee merge request {path}!{mr['iid']}"
        )
        merged = gitrepo.commit_tree(repo, tree, [target, second], message, identity)
        gitrepo.update_ref(repo, target_ref, merged, target)
    stamp = now_iso()
    mr.update(
        state="merged",
        merged_at=stamp,
        merged_by_id=user["id"],
        merge_commit_sha=merged,
        updated_at=stamp,
    )
    gitlab_events.on_ref_updates(app, project["id"], user, [(target, merged, target_ref)])
    fire(app, mr, "merge", user, {"state_id": {"previous": 1, "current": 3}})
    remove = data.get("should_remove_source_branch", mr.get("should_remove_source_branch"))
    if m.flag(remove) and mr["source_project_id"] == project["id"]:
        branch_ref = f"refs/heads/{mr['source_branch']}"
        if mr["source_branch"] != project["default_branch"]:
            gitrepo.delete_ref(repo, branch_ref)
            gitlab_events.on_ref_updates(app, project["id"], user, [(head, ZERO, branch_ref)])
    return mr_json(app, mr, user, detail=True)


@router.route("GET", _ONE + r"/commits")
def mr_commits(app, req, ref, iid):
    project = project_for(app, req, ref)
    mr = find_mr(app, project, iid)
    repo = _repo(app, project["id"])
    refs = mr.get("diff_refs") or {}
    if not refs:
        return paginate(app, req, [], lambda c: c)
    commits = gitrepo.log(repo, [refs["head_sha"], f"^{refs['base_sha']}"])
    path = m.project_path(app.store, project)
    return paginate(app, req, commits, lambda c: js.commit(app.base, path, c))


@router.route("GET", _ONE + r"/(?P<kind>changes|diffs)")
def mr_changes(app, req, ref, iid, kind):
    project = project_for(app, req, ref)
    mr = find_mr(app, project, iid)
    refs = mr.get("diff_refs") or {}
    entries = []
    if refs:
        entries = gitrepo.diff(_repo(app, project["id"]), refs["base_sha"], refs["head_sha"])
    if kind == "diffs":
        return paginate(app, req, entries, js.diff)
    data = mr_json(app, mr, req.user, detail=True)
    data["changes"] = [js.diff(e) for e in entries]
    data["overflow"] = False
    return data


# --- notes --------------------------------------------------------------------------------


def note_json(app, note):
    author = app.store.get("users", note["author_id"])
    return {
        "id": note["id"],
        "type": None,
        "body": note["body"],
        "attachment": None,
        "author": js.user_basic(app.base, author) if author else None,
        "created_at": note["created_at"],
        "updated_at": note["created_at"],
        "system": False,
        "noteable_id": note["mr_id"],
        "noteable_type": "MergeRequest",
        "project_id": note["project_id"],
        "noteable_iid": note["iid"],
        "resolvable": False,
        "confidential": False,
        "internal": False,
        "imported": False,
        "imported_from": "none",
    }


@router.route("GET", _ONE + r"/notes")
def list_notes(app, req, ref, iid):
    mr = find_mr(app, project_for(app, req, ref), iid)
    rows = app.store.find("gl_notes", mr_id=mr["id"])
    return paginate(app, req, rows, lambda n: note_json(app, n))


@router.route("POST", _ONE + r"/notes")
def create_note(app, req, ref, iid):
    user = need_user(req)
    project = project_for(app, req, ref)
    mr = find_mr(app, project, iid)
    body = m.params(req).get("body")
    if not body:
        raise m.bad_request("body is missing")
    note = {
        "id": app.store.next_id("gl_note"),
        "mr_id": mr["id"],
        "iid": mr["iid"],
        "project_id": project["id"],
        "author_id": user["id"],
        "body": body,
        "created_at": now_iso(),
    }
    app.store.put("gl_notes", note)
    return Response(201, note_json(app, note))
