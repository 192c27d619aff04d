"""GitLab projects: create, list, get, edit, delete, fork, members and hooks."""

from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge import names, pagination
from localforge.gitlab_api import need_user, paginate
from localforge.gitlab_members import member_add, member_edit, member_get, members_list
from localforge.store import now_iso
from localforge.web import Response, Router

router = Router()
_P = r"/projects/(?P<ref>[^/]+)"
_ORDER_KEYS = {"id", "name", "path", "created_at", "updated_at", "last_activity_at"}


def render_project(app, req, p):
    if m.flag(req.arg("simple")):
        return js.project_simple(app.store, app.base, p)
    return js.project(app.ctx, app.store, app.base, p, req.user, p.get("empty", True))


def project_for(app, req, ref, level=None):
    project = m.visible_project(app.store, ref, req.user)
    if level is not None:
        m.require(app.store, project, req.user, level)
    return project


@router.route("GET", r"/projects")
def list_projects(app, req):
    store, user = app.store, req.user
    rows = [p for p in store.rows("gl_projects") if m.can_read(store, p, user)]
    if m.flag(req.arg("membership")):
        rows = [p for p in rows if m.member_level(store, p, user) > 0]
    if m.flag(req.arg("owned")):
        rows = [p for p in rows if user and m.member_level(store, p, user) >= m.OWNER]
    if req.arg("min_access_level"):
        level = m.as_int(req.arg("min_access_level"), "min_access_level")
        rows = [p for p in rows if m.member_level(store, p, user) >= level]
    if req.arg("visibility"):
        rows = [p for p in rows if p["visibility"] == req.arg("visibility")]
    if req.arg("archived") is not None and req.arg("archived") != "":
        rows = [p for p in rows if bool(p.get("archived")) == m.flag(req.arg("archived"))]
    topic = req.arg("topic")
    if topic:
        wanted = {t.strip() for t in topic.split(",")}
        rows = [p for p in rows if wanted <= set(p.get("topics", []))]
    search = (req.arg("search") or "").lower()
    if search:
        with_ns = m.flag(req.arg("search_namespaces"))
        rows = [
            p
            for p in rows
            if search in p["name"].lower()
            or search in p["path"].lower()
            or (with_ns and search in m.project_path(store, p).lower())
        ]
    if req.arg("pagination") == "keyset":
        return pagination.gitlab_keyset(app.base, req, rows, lambda p: render_project(app, req, p))
    order = req.arg("order_by") or "created_at"
    if order not in _ORDER_KEYS:
        raise m.bad_request("order_by does not have a valid value")
    descending = (req.arg("sort") or "desc").lower() == "desc"
    rows.sort(key=lambda p: (p.get(order) or "", p["id"]), reverse=descending)
    return paginate(app, req, rows, lambda p: render_project(app, req, p))


@router.route("POST", r"/projects")
def create_project(app, req):
    user = need_user(req)
    data = m.params(req)
    ns_ref = data.get("namespace_id") or data.get("namespace_path") or data.get("namespace")
    if ns_ref in (None, ""):
        ns = app.store.get("namespaces", user["namespace_id"])
    else:
        ns = m.find_namespace(app.store, ns_ref)
        if ns is None:
            raise m.not_found("Namespace")
    check_namespace_write(app, req, ns)
    project = m.create_project(app.ctx, app.store, ns=ns, creator=user, fields=data)
    if ns["kind"] == "user":
        m.add_member(app.store, "project", project["id"], ns["owner_id"], m.OWNER, by=user["id"])
    project["empty"] = not project.get("readme")
    return Response(201, render_project(app, req, project))


def check_namespace_write(app, req, ns):
    user = req.user
    if user.get("is_admin"):
        return
    if ns["kind"] == "user":
        if ns["owner_id"] != user["id"]:
            raise m.forbidden()
    elif m.group_level(app.store, ns, user) < m.MAINTAINER:
        raise m.forbidden()


@router.route("GET", _P)
def get_project(app, req, ref):
    return render_project(app, req, project_for(app, req, ref))


@router.route("PUT", _P)
def edit_project(app, req, ref):
    project = project_for(app, req, ref, m.MAINTAINER)
    data = m.params(req)
    siblings = [
        p
        for p in m.projects_in(app.store, app.store.get("namespaces", project["namespace_id"]))
        if p["id"] != project["id"]
    ]
    if "name" in data:
        if not names.valid_display_name(data["name"]):
            raise m.bad_request({"name": ["is invalid"]})
        if any(p["name"].lower() == data["name"].lower() for p in siblings):
            raise m.error(409, {"name": ["has already been taken"]})
        project["name"] = data["name"]
    if "path" in data:
        if not names.valid_path(data["path"]):
            raise m.bad_request({"path": ["is invalid"]})
        if any(p["path"].lower() == data["path"].lower() for p in siblings):
            raise m.error(409, {"path": ["has already been taken"]})
        project["path"] = data["path"]
    if "visibility" in data:
        if data["visibility"] not in m.VISIBILITY_LEVEL:
            raise m.bad_request("visibility does not have a valid value")
        project["visibility"] = data["visibility"]
    if "description" in data:
        project["description"] = data["description"] or ""
    for key in ("topics", "tag_list"):
        if key in data:
            value = data[key]
            if isinstance(value, str):
                value = [t.strip() for t in value.split(",") if t.strip()]
            project["topics"] = [str(t) for t in value or []]
    if "archived" in data:
        project["archived"] = bool(m.flag(data["archived"]))
    if data.get("default_branch"):
        branch = data["default_branch"]
        repo = m.repo(app.ctx, project)
        from localforge import gitrepo

        if not names.valid_branch(branch) or gitrepo.resolve(repo, f"refs/heads/{branch}") is None:
            raise m.bad_request(
                {"base": [f"Could not change HEAD: branch '{branch}' does not exist"]}
            )
        gitrepo.set_head(repo, branch)
        project["default_branch"] = branch
    project["updated_at"] = now_iso()
    return render_project(app, req, project)


@router.route("POST", _P + r"/(?P<action>archive|unarchive)")
def archive(app, req, ref, action):
    project = project_for(app, req, ref, m.MAINTAINER)
    project["archived"] = action == "archive"
    return Response(201, render_project(app, req, project))


@router.route("DELETE", _P)
def delete_project(app, req, ref):
    project = project_for(app, req, ref, m.OWNER)
    m.delete_project(app.ctx, app.store, project)
    return Response(202, {"message": "202 Accepted"})


@router.route("POST", _P + r"/fork")
def fork_project(app, req, ref):
    user = need_user(req)
    source = project_for(app, req, ref)
    data = m.params(req)
    ns_ref = data.get("namespace_id") or data.get("namespace_path") or data.get("namespace")
    ns = (
        app.store.get("namespaces", user["namespace_id"])
        if not ns_ref
        else m.find_namespace(app.store, ns_ref)
    )
    if ns is None:
        raise m.not_found("Namespace")
    check_namespace_write(app, req, ns)
    fields = {
        "name": data.get("name") or source["name"],
        "path": data.get("path") or source["path"],
        "description": data.get("description", source.get("description")),
        "visibility": data.get("visibility") or source["visibility"],
        "default_branch": source["default_branch"],
        "topics": list(source.get("topics", [])),
        "_fork_of": source["id"],
    }
    project = m.create_project(app.ctx, app.store, ns=ns, creator=user, fields=fields)
    project["forked_from_id"] = source["id"]
    project["empty"] = source.get("empty", True)
    project["readme"] = source.get("readme")
    if ns["kind"] == "user":
        m.add_member(app.store, "project", project["id"], ns["owner_id"], m.OWNER, by=user["id"])
    return Response(201, render_project(app, req, project))


@router.route("GET", _P + r"/forks")
def list_forks(app, req, ref):
    project = project_for(app, req, ref)
    rows = [p for p in app.store.rows("gl_projects") if p.get("forked_from_id") == project["id"]]
    rows = [p for p in rows if m.can_read(app.store, p, req.user)]
    return paginate(app, req, rows, lambda p: render_project(app, req, p))


@router.route("GET", _P + r"/users")
def project_users(app, req, ref):
    project = project_for(app, req, ref)
    best = m.inherited_members(app.store, "project", project)
    users = [app.store.get("users", uid) for uid in sorted(best)]
    return paginate(app, req, [u for u in users if u], lambda u: js.user_basic(app.base, u))


# --- members ------------------------------------------------------------------------------


@router.route("GET", _P + r"/members(?P<all>/all)?")
def project_members(app, req, ref, all=None):  # noqa: A002
    return members_list(app, req, "project", project_for(app, req, ref), bool(all))


@router.route("GET", _P + r"/members(?P<all>/all)?/(?P<uid>[^/]+)")
def project_member(app, req, ref, uid, all=None):  # noqa: A002
    return member_get(app, req, "project", project_for(app, req, ref), uid, bool(all))


@router.route("POST", _P + r"/members")
def project_member_add(app, req, ref):
    project = project_for(app, req, ref)
    return member_add(app, req, "project", project, m.access(app.store, project, req.user))


@router.route("PUT", _P + r"/members/(?P<uid>\d+)")
@router.route("DELETE", _P + r"/members/(?P<uid>\d+)")
def project_member_edit(app, req, ref, uid):
    project = project_for(app, req, ref)
    return member_edit(app, req, "project", project, uid, m.access(app.store, project, req.user))


# --- hooks --------------------------------------------------------------------------------

_HOOK_FLAGS = (
    "push_events",
    "tag_push_events",
    "merge_requests_events",
    "issues_events",
    "confidential_issues_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "releases_events",
    "enable_ssl_verification",
)


def _hook_fields(data: dict, hook: dict):
    url = data.get("url", hook.get("url"))
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise m.bad_request({"url": ["is blocked: Only allowed schemes are http, https"]})
    hook["url"] = url
    for key in _HOOK_FLAGS:
        if key in data:
            hook[key] = bool(m.flag(data[key]))
        else:
            hook.setdefault(key, key in ("push_events", "enable_ssl_verification"))
    for key in ("token", "push_events_branch_filter", "name", "description"):
        if key in data:
            hook[key] = data[key]


def hook_for(app, project, hook_id):
    hook = app.store.get("gl_hooks", hook_id) if str(hook_id).isdigit() else None
    if hook is None or hook["project_id"] != project["id"]:
        raise m.not_found("Hook")
    return hook


@router.route("GET", _P + r"/hooks")
def list_hooks(app, req, ref):
    project = project_for(app, req, ref, m.MAINTAINER)
    rows = app.store.find("gl_hooks", project_id=project["id"])
    return paginate(app, req, rows, js.hook)


@router.route("POST", _P + r"/hooks")
def create_hook(app, req, ref):
    project = project_for(app, req, ref, m.MAINTAINER)
    hook = m.new_hook(project["id"], {"id": app.store.next_id("gl_hook")})
    _hook_fields(m.params(req), hook)
    app.store.put("gl_hooks", hook)
    return Response(201, js.hook(hook))


@router.route("GET", _P + r"/hooks/(?P<hook_id>[^/]+)")
def get_hook(app, req, ref, hook_id):
    project = project_for(app, req, ref, m.MAINTAINER)
    return js.hook(hook_for(app, project, hook_id))


@router.route("PUT", _P + r"/hooks/(?P<hook_id>[^/]+)")
def edit_hook(app, req, ref, hook_id):
    project = project_for(app, req, ref, m.MAINTAINER)
    hook = hook_for(app, project, hook_id)
    _hook_fields(m.params(req), hook)
    return js.hook(hook)


@router.route("DELETE", _P + r"/hooks/(?P<hook_id>[^/]+)")
def delete_hook(app, req, ref, hook_id):
    project = project_for(app, req, ref, m.MAINTAINER)
    app.store.delete("gl_hooks", hook_for(app, project, hook_id)["id"])
    return Response(204)


@router.route("POST", _P + r"/hooks/(?P<hook_id>[^/]+)/test/(?P<trigger>[a-z_]+)")
def test_hook(app, req, ref, hook_id, trigger):
    from localforge import gitlab_events

    project = project_for(app, req, ref, m.MAINTAINER)
    hook = hook_for(app, project, hook_id)
    if trigger != "push_events":
        raise m.bad_request("trigger does not have a valid value")
    if not gitlab_events.test_push(app, project, hook, req.user):
        raise m.bad_request("Ensure the project has at least one commit.")
    return Response(201, {"message": "201 Created"})
