"""The GitHub forge: request cycle, rate-limit headers, git endpoints, users and orgs."""

import re
import threading
import time

from localforge import github_json as js
from localforge import github_model as gm
from localforge import github_repo_json as rjs
from localforge import pagination
from localforge.app import ForgeApp
from localforge.githttp import credentials
from localforge.web import HttpError, Response, Router

router = Router()
_GIT_RE = re.compile(
    r"^/(?P<owner>[A-Za-z0-9][A-Za-z0-9_.\-]*)/(?P<repo>[A-Za-z0-9_.\-]+?)(?:\.git)?"
    r"/(?P<svc>info/refs|git-upload-pack|git-receive-pack)$"
)
_R = r"/repos/(?P<owner>[^/]+)/(?P<name>[^/]+)"
SCOPES = "admin:org, admin:repo_hook, delete_repo, repo, user, workflow"


class GitHubApp(ForgeApp):
    side = "github"

    def __init__(self, ctx):
        super().__init__(ctx)
        from localforge import github_git, github_hooks, github_issues, github_pulls, github_repos

        self.router = Router(
            router,
            github_repos.router,
            github_hooks.router,
            github_git.router,
            github_pulls.router,
            github_issues.router,
        )
        self.rate_lock = threading.Lock()
        self.rate: dict[str, list] = {}

    def urls(self, req=None) -> js.Urls:
        prefix = req.prefix if req is not None else ""
        return js.Urls(self.base + prefix, self.base)

    def error_response(self, exc):
        if exc.status == 500 and exc.body is None:
            exc.body = {"message": "Server Error", "documentation_url": gm.DOCS}
        if exc.status == 404 and exc.body is None:
            exc.body = {"message": "Not Found", "documentation_url": gm.DOCS, "status": "404"}
        return super().error_response(exc)

    def api(self, req) -> Response:
        path = req.raw_path
        if path == "/api/v3" or path.startswith("/api/v3/"):
            req.prefix, path = "/api/v3", path[len("/api/v3") :] or "/"
        header = req.header("Authorization") or ""
        candidates = credentials(header)
        if header:
            req.user = next(
                (u for u in (self.user_for_token(t) for t in candidates) if u is not None), None
            )
            if req.user is None:
                raise gm.error(401, "Bad credentials")
        func, params = self.router.match(req.method, path.rstrip("/") or "/")
        if func is None:
            raise gm.not_found()
        with self.store.lock:
            try:
                result = func(self, req, **params)
            finally:
                if req.method != "GET":
                    self.store.save()
        return result if isinstance(result, Response) else Response(200, result)

    def common_headers(self, req, response) -> list:
        key = f"user:{req.user['id']}" if req.user else f"ip:{req.handler.client_address[0]}"
        limit = 5000 if req.user else 60
        now = int(time.time())
        with self.rate_lock:
            window = self.rate.setdefault(key, [now, 0])
            if now >= window[0] + 3600:
                window[:] = [now, 0]
            if not any(h[0] == "X-RateLimit-Remaining" for h in response.headers):
                window[1] += 1
            used, reset = window[1], window[0] + 3600
        headers = [
            ("X-GitHub-Media-Type", "github.v3; format=json"),
            ("X-GitHub-Api-Version-Selected", "2022-11-28"),
            ("X-GitHub-Request-Id", req.request_id[:20].upper()),
        ]
        if not any(h[0] == "X-RateLimit-Remaining" for h in response.headers):
            headers += [
                ("X-RateLimit-Limit", str(limit)),
                ("X-RateLimit-Remaining", str(max(limit - used, 0))),
                ("X-RateLimit-Reset", str(reset)),
                ("X-RateLimit-Used", str(used)),
                ("X-RateLimit-Resource", "core"),
            ]
        if req.user is not None:
            headers += [("X-OAuth-Scopes", SCOPES), ("X-Accepted-OAuth-Scopes", "")]
        if response.content_type == "application/json":
            response.content_type = "application/json; charset=utf-8"
        return headers

    # --- git smart HTTP ---------------------------------------------------------------

    def git_target(self, req):
        found = _GIT_RE.match(req.raw_path)
        if not found or found["owner"] in ("repos", "api", "-"):
            return None
        write = found["svc"] == "git-receive-pack" or req.arg("service") == "git-receive-pack"
        user, sent = self.git_user(req)
        challenge = [("WWW-Authenticate", 'Basic realm="GitHub"')]
        if sent and user is None:
            raise HttpError(401, b"Invalid username or token.\n", challenge, "text/plain")
        with self.store.lock:
            repo = gm.find_repo(self.store, found["owner"], found["repo"])
            level = gm.permission(self.store, repo, user) if repo else None
            if level is None:
                if user is None:
                    raise HttpError(401, b"Authentication required.\n", challenge, "text/plain")
                raise HttpError(404, b"Repository not found.\n", content_type="text/plain")
            if write and user is None:
                raise HttpError(401, b"Authentication required.\n", challenge, "text/plain")
            if write and gm.RANK[level] < gm.RANK["push"]:
                text = f"Permission to {gm.full_name(self.store, repo)}.git denied to {user['username']}.\n"
                raise HttpError(403, text.encode(), content_type="text/plain")
        repo_id = repo["id"]

        def on_push(updates):
            from localforge import github_events

            github_events.on_ref_updates(self, repo_id, user, updates)

        return repo_id, found["svc"], user, {}, on_push


def paginate(app, req, items, render, default=30):
    return pagination.github(app.base, req, items, render, default)


def repo_for(app, req, owner, name, level=None):
    repo = gm.visible_repo(app.store, req, owner, name)
    if level:
        gm.require(app.store, req, repo, level)
    return repo


def body(req) -> dict:
    return req.json(lambda msg: gm.error(400, "Problems parsing JSON"), forms=False)


# --- root, rate limit, users --------------------------------------------------------------


@router.route("GET", r"/")
def root(app, req):
    api = app.urls(req).api
    return {
        "current_user_url": f"{api}/user",
        "organization_url": f"{api}/orgs/{{org}}",
        "repository_url": f"{api}/repos/{{owner}}/{{repo}}",
        "user_url": f"{api}/users/{{user}}",
        "rate_limit_url": f"{api}/rate_limit",
    }


@router.route("GET", r"/rate_limit")
def rate_limit(app, req):
    limit = 5000 if req.user else 60
    key = f"user:{req.user['id']}" if req.user else f"ip:{req.handler.client_address[0]}"
    with app.rate_lock:
        start, used = app.rate.get(key, [int(time.time()), 0])
    core = {"limit": limit, "used": used, "remaining": max(limit - used, 0), "reset": start + 3600}
    other = {"limit": 30, "used": 0, "remaining": 30, "reset": start + 60}
    return {"resources": {"core": core, "search": other, "graphql": dict(core)}, "rate": core}


@router.route("GET", r"/user")
def current_user(app, req):
    return js.user_full(app.urls(req), app.store, gm.requires_auth(req), True)


@router.route("GET", r"/users/(?P<login>[^/]+)")
def get_user(app, req, login):
    kind, acc = gm.find_owner(app.store, login)
    if acc is None:
        raise gm.not_found()
    if kind == "Organization":
        return js.org_full(app.urls(req), app.store, acc, False)
    own = req.user is not None and req.user["id"] == acc["id"]
    return js.user_full(app.urls(req), app.store, acc, own)


@router.route("GET", r"/user/orgs")
def my_orgs(app, req):
    user = gm.requires_auth(req)
    orgs = [o for o in app.store.rows("gh_orgs") if gm.org_role(o, user)]
    return paginate(app, req, orgs, lambda o: js.org_simple(app.urls(req), o))


def repo_list(app, req, rows):
    rows = [r for r in rows if gm.permission(app.store, r, req.user) is not None]
    sort = req.arg("sort") or "full_name"
    key = {"created": "created_at", "updated": "updated_at", "pushed": "pushed_at"}.get(sort)
    if key:
        rows.sort(
            key=lambda r: r.get(key) or "", reverse=(req.arg("direction") or "desc") == "desc"
        )
    else:
        rows.sort(
            key=lambda r: gm.full_name(app.store, r).lower(), reverse=req.arg("direction") == "desc"
        )
    kind = req.arg("type") or "all"
    if kind in ("public", "private"):
        rows = [r for r in rows if r["private"] == (kind == "private")]
    elif kind == "forks":
        rows = [r for r in rows if r.get("fork")]
    elif kind == "sources":
        rows = [r for r in rows if not r.get("fork")]
    return paginate(app, req, rows, lambda r: rjs.repository(app.urls(req), app.store, r, req.user))


@router.route("GET", r"/user/repos")
def my_repos(app, req):
    user = gm.requires_auth(req)
    affiliation = set(
        (req.arg("affiliation") or "owner,collaborator,organization_member").split(",")
    )
    rows = []
    for repo in app.store.rows("gh_repos"):
        owner = repo["owner_type"] == "User" and repo["owner_id"] == user["id"]
        collab = str(user["id"]) in repo.get("collaborators", {})
        member = repo["owner_type"] == "Organization" and gm.org_role(
            app.store.get("gh_orgs", repo["owner_id"]), user
        )
        if (
            (owner and "owner" in affiliation)
            or (collab and "collaborator" in affiliation)
            or (member and "organization_member" in affiliation)
        ):
            rows.append(repo)
    visibility = req.arg("visibility") or "all"
    if visibility != "all":
        rows = [r for r in rows if r["visibility"] == visibility]
    return repo_list(app, req, rows)


@router.route("GET", r"/(?:users|orgs)/(?P<login>[^/]+)/repos")
def account_repos(app, req, login):
    kind, acc = gm.find_owner(app.store, login)
    if acc is None:
        raise gm.not_found()
    rows = [
        r
        for r in app.store.rows("gh_repos")
        if r["owner_type"] == kind and r["owner_id"] == acc["id"]
    ]
    return repo_list(app, req, rows)


# --- organizations ------------------------------------------------------------------------


def org_for(app, login):
    org = gm.find_org(app.store, login)
    if org is None:
        raise gm.not_found()
    return org


@router.route("GET", r"/orgs/(?P<login>[^/]+)")
def get_org(app, req, login):
    org = org_for(app, login)
    member = req.user is not None and (gm.org_role(org, req.user) or req.user.get("is_admin"))
    return js.org_full(app.urls(req), app.store, org, bool(member))


@router.route("GET", r"/orgs/(?P<login>[^/]+)/members")
def org_members(app, req, login):
    org = org_for(app, login)
    role = req.arg("role") or "all"
    users = []
    for uid, member_role in sorted(org["members"].items(), key=lambda kv: int(kv[0])):
        user = app.store.get("users", int(uid))
        if user and role in ("all", member_role):
            users.append(user)
    return paginate(app, req, users, lambda u: js.account(app.urls(req), u))


@router.route("GET", r"/orgs/(?P<login>[^/]+)/members/(?P<username>[^/]+)")
def org_has_member(app, req, login, username):
    org = org_for(app, login)
    user = app.store.user_by_name(username)
    if user is None or not gm.org_role(org, user):
        raise HttpError(404, b"", content_type="application/json")
    return Response(204)


def _membership(app, req, org, user):
    role = gm.org_role(org, user)
    u = app.urls(req)
    return {
        "url": f"{u.api}/orgs/{org['login']}/memberships/{user['username']}",
        "state": "active",
        "role": role,
        "organization_url": f"{u.api}/orgs/{org['login']}",
        "organization": js.org_simple(u, org),
        "user": js.account(u, user),
    }


@router.route("GET", r"/orgs/(?P<login>[^/]+)/memberships/(?P<username>[^/]+)")
def get_membership(app, req, login, username):
    org = org_for(app, login)
    user = app.store.user_by_name(username)
    if user is None or not gm.org_role(org, user):
        raise gm.not_found()
    return _membership(app, req, org, user)


@router.route("PUT", r"/orgs/(?P<login>[^/]+)/memberships/(?P<username>[^/]+)")
def set_membership(app, req, login, username):
    org = org_for(app, login)
    me = gm.requires_auth(req)
    if gm.org_role(org, me) != "admin" and not me.get("is_admin"):
        raise gm.error(403, "You must be an admin to add or update an organization membership.")
    user = app.store.user_by_name(username)
    if user is None:
        raise gm.not_found()
    role = body(req).get("role") or "member"
    if role not in ("admin", "member"):
        raise gm.validation("Membership", "role")
    org["members"][str(user["id"])] = role
    return _membership(app, req, org, user)


@router.route("DELETE", r"/orgs/(?P<login>[^/]+)/(?:members|memberships)/(?P<username>[^/]+)")
def remove_member(app, req, login, username):
    org = org_for(app, login)
    me = gm.requires_auth(req)
    if gm.org_role(org, me) != "admin" and not me.get("is_admin"):
        raise gm.error(403, "You must be an admin to remove an organization member.")
    user = app.store.user_by_name(username)
    if user is not None:
        org["members"].pop(str(user["id"]), None)
    return Response(204)
