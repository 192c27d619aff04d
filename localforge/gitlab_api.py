"""The GitLab forge: request cycle, git endpoints, users, namespaces, groups and members."""

import re

from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge import names, pagination
from localforge.app import ForgeApp
from localforge.store import now_iso
from localforge.web import HttpError, Response, Router

router = Router()
_GIT_RE = re.compile(
    r"^/(?P<path>[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)+?)(?:\.git)?"
    r"/(?P<svc>info/refs|git-upload-pack|git-receive-pack)$"
)
_ACCESS_DENIED = (
    b"HTTP Basic: Access denied. If a password was provided for Git authentication, the "
    b"password was incorrect or you're required to use a token instead of a password.\n"
)


class GitLabApp(ForgeApp):
    side = "gitlab"

    def __init__(self, ctx):
        super().__init__(ctx)
        from localforge import gitlab_mr, gitlab_projects, gitlab_repo

        self.router = Router(router, gitlab_projects.router, gitlab_repo.router, gitlab_mr.router)

    def error_response(self, exc):
        if exc.status == 500 and exc.body is None:
            exc.body = {"message": "500 Internal Server Error"}
        return super().error_response(exc)

    def api(self, req) -> Response:
        if not req.raw_path.startswith("/api/v4/"):
            raise HttpError(404, {"error": "404 Not Found"})
        path = req.raw_path[len("/api/v4") :]
        auth = req.header("Authorization") or ""
        token = req.header("PRIVATE-TOKEN") or req.arg("private_token")
        if not token and auth.lower().startswith("bearer "):
            token = auth[7:].strip()
        if token:
            req.user = self.user_for_token(token)
            if req.user is None:
                raise HttpError(401, {"message": "401 Unauthorized"})
        func, params = self.router.match(req.method, path)
        if func is None:
            raise HttpError(405 if params else 404, {"error": "404 Not Found"})
        with self.store.lock:
            try:
                result = func(self, req, **params)
            finally:
                if req.method != "GET":
                    self.store.save()
        return result if isinstance(result, Response) else Response(200, result)

    # --- git smart HTTP ---------------------------------------------------------------

    def git_target(self, req):
        found = _GIT_RE.match(req.raw_path)
        if not found:
            return None
        svc = found["svc"]
        write = svc == "git-receive-pack" or req.arg("service") == "git-receive-pack"
        user, sent = self.git_user(req)
        challenge = [("WWW-Authenticate", 'Basic realm="GitLab"')]
        if sent and user is None:
            raise HttpError(401, _ACCESS_DENIED, challenge, "text/plain")
        with self.store.lock:
            path = found["path"]
            project = m.find_project(self.store, path[:-4] if path.endswith(".git") else path)
            if project is None or not m.can_read(self.store, project, user):
                if user is None:
                    raise HttpError(401, _ACCESS_DENIED, challenge, "text/plain")
                raise HttpError(
                    404,
                    b"The project you were looking for could not be found.\n",
                    content_type="text/plain",
                )
            if write and user is None:
                raise HttpError(401, _ACCESS_DENIED, challenge, "text/plain")
            level = m.access(self.store, project, user)
            if write and level < m.DEVELOPER:
                raise HttpError(
                    403,
                    b"You are not allowed to push code to this project.\n",
                    content_type="text/plain",
                )
            protected = f"refs/heads/{project['default_branch']}"
        policy = {
            "LOCALFORGE_PROTECTED_REFS": protected,
            "LOCALFORGE_DELETE_MESSAGE": "GitLab: You can only delete protected branches "
            "using the web interface.",
            "LOCALFORGE_FORCE_MESSAGE": "GitLab: You are not allowed to force push code to a "
            "protected branch on this project.",
        }
        if level < m.MAINTAINER:
            policy["LOCALFORGE_DENY_REFS"] = protected
            policy["LOCALFORGE_DENY_MESSAGE"] = (
                "GitLab: You are not allowed to push code to protected branches on this project."
            )
        project_id = project["id"]

        def on_push(updates):
            from localforge import gitlab_events

            gitlab_events.on_ref_updates(self, project_id, user, updates)

        return project_id, svc, user, policy, on_push


def need_user(req):
    if req.user is None:
        raise HttpError(401, {"message": "401 Unauthorized"})
    return req.user


def need_admin(req):
    if not need_user(req).get("is_admin"):
        raise m.forbidden()


def paginate(app, req, items, render):
    return pagination.gitlab_offset(app.base, req, items, render)


# --- version and users --------------------------------------------------------------------


@router.route("GET", r"/version")
def version(app, req):
    return {"version": "17.5.0-localforge", "revision": "localforge", "kas": {"enabled": False}}


@router.route("GET", r"/user")
def current_user(app, req):
    return js.user_full(app.base, need_user(req), req.user)


@router.route("GET", r"/users")
def list_users(app, req):
    users = app.store.rows("users")
    username = req.arg("username")
    if username:
        users = [u for u in users if u["username"].lower() == username.lower()]
    search = (req.arg("search") or "").lower()
    if search:
        users = [
            u
            for u in users
            if search in u["username"].lower()
            or search in u["name"].lower()
            or (req.user and req.user.get("is_admin") and search == u["email"].lower())
        ]
    return paginate(app, req, users, lambda u: js.user_full(app.base, u, req.user))


def find_user(app, ref):
    ref = str(ref)
    user = app.store.get("users", int(ref)) if ref.isdigit() else app.store.user_by_name(ref)
    if user is None:
        raise m.not_found("User")
    return user


@router.route("GET", r"/users/(?P<uid>[^/]+)")
def get_user(app, req, uid):
    return js.user_full(app.base, find_user(app, uid), req.user)


@router.route("POST", r"/users")
def create_user(app, req):
    need_admin(req)
    data = m.params(req)
    username, email = data.get("username"), data.get("email")
    if not username or not email:
        raise m.bad_request("email, username are missing")
    if not names.valid_login(username):
        raise m.bad_request({"username": ["is invalid"]})
    if not names.valid_email(email):
        raise m.bad_request({"email": ["is invalid"]})
    if app.store.user_by_name(username):
        raise m.error(409, "Username has already been taken")
    if app.store.user_by_email(email):
        raise m.error(409, "Email has already been taken")
    user = app.store.create_user(username, email, data.get("name"), bool(m.flag(data.get("admin"))))
    return Response(201, js.user_full(app.base, user, req.user))


@router.route("POST", r"/users/(?P<uid>\d+)/personal_access_tokens")
def create_token(app, req, uid):
    need_admin(req)
    user = find_user(app, uid)
    data = m.params(req)
    entry = app.store.add_token(user["id"], name=data.get("name") or "token")
    return Response(201, token_json(entry, data.get("scopes")))


def token_json(entry: dict, scopes=None) -> dict:
    return {
        "id": entry["id"],
        "name": entry["name"],
        "revoked": False,
        "created_at": entry["created_at"],
        "description": None,
        "scopes": scopes or entry["scopes"],
        "user_id": entry["user_id"],
        "last_used_at": None,
        "active": True,
        "expires_at": None,
        "token": entry["token"],
    }


# --- namespaces ---------------------------------------------------------------------------


def readable_namespace(app, req, ns) -> bool:
    if ns["kind"] == "user":
        return req.user is not None and (
            req.user.get("is_admin") or ns["owner_id"] == req.user["id"]
        )
    return m.can_read_group(app.store, ns, req.user)


@router.route("GET", r"/namespaces")
def list_namespaces(app, req):
    need_user(req)
    rows = [n for n in app.store.rows("namespaces") if readable_namespace(app, req, n)]
    search = (req.arg("search") or "").lower()
    if search:
        rows = [n for n in rows if search in n["path"].lower() or search in n["name"].lower()]
    return paginate(app, req, rows, lambda n: js.namespace(app.store, app.base, n))


@router.route("GET", r"/namespaces/(?P<ref>[^/]+)")
def get_namespace(app, req, ref):
    ns = m.find_namespace(app.store, ref)
    if ns is None or not readable_namespace(app, req, ns):
        raise m.not_found("Namespace")
    return js.namespace(app.store, app.base, ns)


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


# --- members (groups and projects) --------------------------------------------------------


def members_list(app, req, source, row, inherited):
    store = app.store
    if inherited:
        best = m.inherited_members(store, source, row)
        rows = sorted(best.values(), key=lambda r: r["user_id"])
    else:
        rows = m.members_of(store, source, row["id"])
    query = (req.arg("query") or "").lower()
    out = []
    for member in rows:
        user = store.get("users", member["user_id"])
        if user and (
            not query or query in user["username"].lower() or query in user["name"].lower()
        ):
            out.append((user, member))
    user_ids = req.query.get("user_ids[]") or req.query.get("user_ids") or []
    if user_ids:
        wanted = {int(x) for v in user_ids for x in str(v).split(",") if x.strip().isdigit()}
        out = [(u, mm) for u, mm in out if u["id"] in wanted]
    return paginate(app, req, out, lambda pair: js.member(app.base, *pair))


def member_get(app, req, source, row, uid, inherited):
    if not str(uid).isdigit():
        raise m.not_found("Member")
    if inherited:
        member = m.inherited_members(app.store, source, row).get(int(uid))
    else:
        member = next(
            (x for x in m.members_of(app.store, source, row["id"]) if x["user_id"] == int(uid)),
            None,
        )
    user = app.store.get("users", int(uid))
    if member is None or user is None:
        raise m.not_found("Member")
    return js.member(app.base, user, member)


def member_add(app, req, source, row, own_level):
    need_user(req)
    if own_level < m.MAINTAINER:
        raise m.forbidden()
    data = m.params(req)
    level = m.as_int(data.get("access_level"), "access_level")
    if level > own_level:
        raise m.forbidden()
    ref = data.get("user_id") or data.get("username")
    if ref is None:
        raise m.bad_request("user_id is missing")
    results = []
    for one in str(ref).split(","):
        user = find_user(app, one.strip())
        member = m.add_member(app.store, source, row["id"], user["id"], level, by=req.user["id"])
        member["expires_at"] = data.get("expires_at")
        results.append(js.member(app.base, user, member))
    return Response(201, results[0])


def member_edit(app, req, source, row, uid, own_level):
    need_user(req)
    if own_level < m.MAINTAINER:
        raise m.forbidden()
    member = next(
        (x for x in m.members_of(app.store, source, row["id"]) if str(x["user_id"]) == uid), None
    )
    if member is None:
        raise m.not_found("Member")
    if req.method == "DELETE":
        app.store.delete("gl_members", member["id"])
        return Response(204)
    data = m.params(req)
    level = m.as_int(data.get("access_level"), "access_level")
    if level not in m.LEVELS or level > own_level:
        raise m.bad_request("access_level does not have a valid value")
    member["access_level"] = level
    member["expires_at"] = data.get("expires_at", member.get("expires_at"))
    member["updated_at"] = now_iso()
    return js.member(app.base, app.store.get("users", member["user_id"]), member)


_ALL = r"(?P<all>/all)?"


@router.route("GET", r"/groups/(?P<ref>[^/]+)/members" + _ALL)
def group_members(app, req, ref, all=None):  # noqa: A002
    return members_list(app, req, "group", visible_group(app, req, ref), bool(all))


@router.route("GET", r"/groups/(?P<ref>[^/]+)/members" + _ALL + r"/(?P<uid>[^/]+)")
def group_member(app, req, ref, uid, all=None):  # noqa: A002
    return member_get(app, req, "group", visible_group(app, req, ref), uid, bool(all))


@router.route("POST", r"/groups/(?P<ref>[^/]+)/members")
def group_member_add(app, req, ref):
    group = visible_group(app, req, ref)
    return member_add(app, req, "group", group, group_level(app, req, group))


@router.route("PUT", r"/groups/(?P<ref>[^/]+)/members/(?P<uid>\d+)")
@router.route("DELETE", r"/groups/(?P<ref>[^/]+)/members/(?P<uid>\d+)")
def group_member_edit(app, req, ref, uid):
    group = visible_group(app, req, ref)
    return member_edit(app, req, "group", group, uid, group_level(app, req, group))
