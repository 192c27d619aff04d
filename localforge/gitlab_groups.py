"""GitLab groups and subgroups: create, get (by id or full path), edit, delete, list."""

from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge import names
from localforge.gitlab_api import need_user, paginate
from localforge.web import Response, Router

router = Router()


# --- groups -------------------------------------------------------------------------------


def visible_group(app, req, ref) -> dict:
    group = m.find_namespace(app.store, ref, kind="group")
    if group is None or not m.can_read_group(app.store, group, req.user):
        raise m.not_found("Group")
    return group


def group_level(app, req, group) -> int:
    if req.user is not None and req.user.get("is_admin"):
        return m.OWNER
    return m.group_level(app.store, group, req.user)


def require_group(app, req, group, level):
    need_user(req)
    if group_level(app, req, group) < level:
        raise m.forbidden()


@router.route("GET", r"/groups")
def list_groups(app, req):
    store = app.store
    rows = [g for g in store.rows("namespaces") if g["kind"] == "group"]
    rows = [g for g in rows if m.can_read_group(store, g, req.user)]
    if m.flag(req.arg("owned")):
        rows = [g for g in rows if group_level(app, req, g) >= m.OWNER and req.user]
    if req.arg("min_access_level"):
        level = m.as_int(req.arg("min_access_level"), "min_access_level")
        rows = [g for g in rows if m.group_level(store, g, req.user) >= level]
    if m.flag(req.arg("top_level_only")):
        rows = [g for g in rows if g.get("parent_id") is None]
    search = (req.arg("search") or "").lower()
    if search:
        rows = [g for g in rows if search in g["path"].lower() or search in g["name"].lower()]
    rows.sort(key=lambda g: m.full_name(store, g).lower())
    return paginate(app, req, rows, lambda g: js.group(store, app.base, g))


@router.route("POST", r"/groups")
def create_group(app, req):
    user = need_user(req)
    data = m.params(req)
    if not data.get("name") or not data.get("path"):
        raise m.bad_request("name, path are missing")
    parent = None
    if data.get("parent_id") not in (None, ""):
        parent = m.find_namespace(app.store, data["parent_id"], kind="group")
        if parent is None:
            raise m.not_found("Group")
        require_group(app, req, parent, m.MAINTAINER)
    visibility = data.get("visibility")
    if visibility is not None and visibility not in m.VISIBILITY_LEVEL:
        raise m.bad_request("visibility does not have a valid value")
    group = m.create_group(
        app.store,
        path=data["path"],
        name=data["name"],
        parent=parent,
        description=data.get("description") or "",
        visibility=visibility,
    )
    m.add_member(app.store, "group", group["id"], user["id"], m.OWNER, by=user["id"])
    return Response(201, js.group(app.store, app.base, group))


def group_with_projects(app, req, group):
    data = js.group(app.store, app.base, group)
    if m.flag(req.arg("with_projects")) is not False:
        projects = [
            p for p in m.projects_in(app.store, group) if m.can_read(app.store, p, req.user)
        ]
        data["projects"] = [
            js.project(app.ctx, app.store, app.base, p, req.user, p.get("empty", True))
            for p in projects
        ]
        data["shared_projects"] = []
    data["shared_with_groups"] = []
    data["runners_token"] = None
    data["prevent_sharing_groups_outside_hierarchy"] = False
    data["prevent_forking_outside_group"] = None
    return data


@router.route("GET", r"/groups/(?P<ref>[^/]+)")
def get_group(app, req, ref):
    return group_with_projects(app, req, visible_group(app, req, ref))


@router.route("PUT", r"/groups/(?P<ref>[^/]+)")
def edit_group(app, req, ref):
    group = visible_group(app, req, ref)
    require_group(app, req, group, m.OWNER)
    data = m.params(req)
    if "name" in data:
        if not names.valid_display_name(data["name"]):
            raise m.bad_request({"name": ["is invalid"]})
        group["name"] = data["name"]
    if "path" in data and data["path"] != group["path"]:
        if not names.valid_path(data["path"]):
            raise m.bad_request({"path": ["is invalid"]})
        clash = [
            n
            for n in app.store.rows("namespaces")
            if n.get("parent_id") == group.get("parent_id")
            and n["path"].lower() == data["path"].lower()
        ]
        if clash:
            raise m.error(409, {"path": ["has already been taken"]})
        group["path"] = data["path"]
    for key in ("description", "visibility"):
        if key in data:
            group[key] = data[key]
    return group_with_projects(app, req, group)


@router.route("DELETE", r"/groups/(?P<ref>[^/]+)")
def delete_group(app, req, ref):
    group = visible_group(app, req, ref)
    require_group(app, req, group, m.OWNER)
    for ns in [group, *m.descendants(app.store, group)]:
        for project in m.projects_in(app.store, ns):
            m.delete_project(app.ctx, app.store, project)
        for member in m.members_of(app.store, "group", ns["id"]):
            app.store.delete("gl_members", member["id"])
        app.store.delete("namespaces", ns["id"])
    return Response(202, {"message": "202 Accepted"})


@router.route("GET", r"/groups/(?P<ref>[^/]+)/(?P<kind>subgroups|descendant_groups)")
def subgroups(app, req, ref, kind):
    group = visible_group(app, req, ref)
    if kind == "subgroups":
        rows = [n for n in app.store.rows("namespaces") if n.get("parent_id") == group["id"]]
    else:
        rows = m.descendants(app.store, group)
    rows = [g for g in rows if m.can_read_group(app.store, g, req.user)]
    return paginate(app, req, rows, lambda g: js.group(app.store, app.base, g))


@router.route("GET", r"/groups/(?P<ref>[^/]+)/projects")
def group_projects(app, req, ref):
    group = visible_group(app, req, ref)
    spaces = [group]
    if m.flag(req.arg("include_subgroups")):
        spaces += m.descendants(app.store, group)
    rows = [p for ns in spaces for p in m.projects_in(app.store, ns)]
    rows = [p for p in rows if m.can_read(app.store, p, req.user)]
    search = (req.arg("search") or "").lower()
    if search:
        rows = [p for p in rows if search in p["name"].lower() or search in p["path"].lower()]
    rows.sort(key=lambda p: p["created_at"], reverse=True)
    from localforge.gitlab_projects import render_project

    return paginate(app, req, rows, lambda p: render_project(app, req, p))
