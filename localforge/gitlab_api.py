"""The GitLab forge: request cycle, git endpoints, version, users and namespaces."""

import re

from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge import names, pagination
from localforge.app import ForgeApp
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
        from localforge import (
            gitlab_groups,
            gitlab_members,
            gitlab_mr_api,
            gitlab_projects,
            gitlab_repo,
        )

        self.router = Router(
            router,
            gitlab_groups.router,
            gitlab_members.router,
            gitlab_projects.router,
            gitlab_repo.router,
            gitlab_mr_api.router,
        )

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
        sudo = req.header("Sudo") or req.arg("sudo")
        if sudo:
            req.user = self.impersonate(req.user, sudo)
        func, params = self.router.match(req.method, path)
        if func is None:
            if params:
                raise HttpError(405, {"error": "405 Method Not Allowed"})
            raise HttpError(404, {"error": "404 Not Found"})
        with self.store.lock:
            try:
                result = func(self, req, **params)
            finally:
                if req.method != "GET":
                    self.store.save()
        return result if isinstance(result, Response) else Response(200, result)

    def impersonate(self, user, ref: str):
        """GitLab's sudo: an administrator acts as another user (id or username)."""
        if user is None:
            raise HttpError(401, {"message": "401 Unauthorized"})
        if not user.get("is_admin"):
            raise HttpError(403, {"message": "403 Forbidden - Must be admin to use sudo"})
        with self.store.lock:
            ref = str(ref).strip()
            target = (
                self.store.get("users", int(ref)) if ref.isdigit() else self.store.user_by_name(ref)
            )
        if target is None:
            raise HttpError(404, {"message": f"404 User with ID or username '{ref}' Not Found"})
        return target

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
