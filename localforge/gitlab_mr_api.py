"""GitLab merge request endpoints: create, list, get, edit/close/reopen, merge, notes."""

from localforge import gitlab_events, gitrepo, names
from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge.gitlab_api import need_user, paginate
from localforge.gitlab_mr import (
    ZERO,
    can_merge,
    find_mr,
    fire,
    mr_json,
    refresh_head,
    repo_of,
    update_diff_refs,
)
from localforge.gitlab_projects import project_for
from localforge.store import now_iso
from localforge.web import Response, Router

router = Router()
_MR = r"/projects/(?P<ref>[^/]+)/merge_requests"
_ONE = _MR + r"/(?P<iid>\d+)"


# --- endpoints ----------------------------------------------------------------------------


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
    if gitrepo.resolve(repo_of(app, source["id"]), f"refs/heads/{src_branch}") is None:
        raise m.error(400, {"source_branch": ["does not exist"]})
    if gitrepo.resolve(repo_of(app, target["id"]), f"refs/heads/{tgt_branch}") is None:
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
    update_diff_refs(app, mr)
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
            gitrepo.resolve(repo_of(app, project["id"]), f"refs/heads/{data['target_branch']}")
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
    repo = repo_of(app, project["id"])
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
    repo = repo_of(app, project["id"])
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
        entries = gitrepo.diff(repo_of(app, project["id"]), refs["base_sha"], refs["head_sha"])
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
