"""The GitHub forge: request cycle, rate-limit headers, git endpoints, users, orgs, repos."""

import re
import threading
import time

from localforge import github_json as js
from localforge import github_model as gm
from localforge import gitrepo, names, pagination
from localforge.app import ForgeApp
from localforge.githttp import credentials
from localforge.store import now_iso
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
        from localforge import github_git, github_pulls

        self.router = Router(router, github_git.router, github_pulls.router)
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


def _repo_list(app, req, rows):
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
    return paginate(app, req, rows, lambda r: js.repository(app.urls(req), app.store, r, req.user))


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
    return _repo_list(app, req, rows)


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
    return _repo_list(app, req, rows)


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


# --- repositories -------------------------------------------------------------------------


def _initial_commit(app, repo, user, data):
    files = {}
    if data.get("auto_init"):
        text = f"# {repo['name']}\n" + (
            f"\n{repo['description']}\n" if repo.get("description") else ""
        )
        files["README.md"] = text.encode()
    key = data.get("license_template")
    if key:
        if key not in js.LICENSES:
            raise gm.validation("Repository", "license_template")
        name = js.LICENSES[key][0]
        year = now_iso()[:4]
        holder = user["name"]
        files["LICENSE"] = f"{name}\n\nCopyright (c) {year} {holder}\n".encode()
    if not files:
        return
    path = app.ctx.repo_dir("github", repo["id"])
    sha = gitrepo.commit_files(path, files, "Initial commit", (user["name"], user["email"]))
    gitrepo.update_ref(path, f"refs/heads/{repo['default_branch']}", sha, gitrepo.ZERO_SHA)
    repo["empty"] = False
    repo["pushed_at"] = now_iso()


def _create(app, req, kind, account):
    user = gm.requires_auth(req)
    if not gm.can_create_in(app.store, user, kind, account):
        raise gm.error(
            403, "You need admin access to the organization before adding a repository to it."
        )
    data = body(req)
    repo = gm.create_repo(app.ctx, app.store, kind=kind, account=account, data=data)
    _initial_commit(app, repo, user, data)
    u = app.urls(req)
    location = f"{u.api}/repos/{gm.full_name(app.store, repo)}"
    return Response(201, js.repository(u, app.store, repo, user), [("Location", location)])


@router.route("POST", r"/orgs/(?P<login>[^/]+)/repos")
def create_org_repo(app, req, login):
    return _create(app, req, "Organization", org_for(app, login))


@router.route("POST", r"/user/repos")
def create_user_repo(app, req):
    return _create(app, req, "User", gm.requires_auth(req))


def repo_for(app, req, owner, name, level=None):
    repo = gm.visible_repo(app.store, req, owner, name)
    if level:
        gm.require(app.store, req, repo, level)
    return repo


@router.route("GET", _R)
def get_repo(app, req, owner, name):
    return js.repository(app.urls(req), app.store, repo_for(app, req, owner, name), req.user)


@router.route("GET", r"/repositories/(?P<repo_id>\d+)")
def get_repo_by_id(app, req, repo_id):
    repo = app.store.get("gh_repos", int(repo_id))
    if repo is None or gm.permission(app.store, repo, req.user) is None:
        raise gm.not_found()
    return js.repository(app.urls(req), app.store, repo, req.user)


@router.route("PATCH", _R)
def edit_repo(app, req, owner, name):
    repo = repo_for(app, req, owner, name, "admin")
    data = body(req)
    new_name = data.get("name")
    if new_name and new_name != repo["name"]:
        if not names.valid_gh_repo(new_name):
            raise HttpError(
                400, {"message": "Invalid repository name", "documentation_url": gm.DOCS}
            )
        if gm.find_repo(app.store, owner, new_name) is not None:
            raise gm.validation(
                "Repository", "name", "custom", "name already exists on this account"
            )
        repo["name"] = new_name
    for key in (
        "description",
        "homepage",
        "has_issues",
        "has_projects",
        "has_wiki",
        "has_discussions",
        "is_template",
        "archived",
        "allow_squash_merge",
        "allow_merge_commit",
        "allow_rebase_merge",
        "delete_branch_on_merge",
    ):
        if key in data:
            repo[key] = data[key]
    visibility = data.get("visibility") or (
        ("private" if data["private"] else "public") if "private" in data else None
    )
    if visibility:
        if visibility not in ("public", "private", "internal"):
            raise gm.validation("Repository", "visibility")
        repo["visibility"], repo["private"] = visibility, visibility != "public"
    branch = data.get("default_branch")
    if branch and branch != repo["default_branch"]:
        path = app.ctx.repo_dir("github", repo["id"])
        if not names.valid_branch(branch) or gitrepo.resolve(path, f"refs/heads/{branch}") is None:
            raise gm.validation("Repository", "default_branch", "invalid")
        gitrepo.set_head(path, branch)
        repo["default_branch"] = branch
    repo["updated_at"] = now_iso()
    return js.repository(app.urls(req), app.store, repo, req.user)


@router.route("DELETE", _R)
def delete_repo(app, req, owner, name):
    repo = repo_for(app, req, owner, name, "admin")
    gm.delete_repo(app.ctx, app.store, repo)
    return Response(204)


@router.route("GET", _R + r"/topics")
def get_topics(app, req, owner, name):
    return {"names": list(repo_for(app, req, owner, name)["topics"])}


@router.route("PUT", _R + r"/topics")
def put_topics(app, req, owner, name):
    repo = repo_for(app, req, owner, name, "admin")
    topics = body(req).get("names")
    if not isinstance(topics, list):
        raise gm.validation("Repository", "names", "missing_field")
    topics = [t.lower() if isinstance(t, str) else t for t in topics]
    bad = [t for t in topics if not names.valid_topic(t)]
    if bad or len(topics) > 20:
        raise gm.error(
            422, "Invalid topics", [{"resource": "Repository", "code": "invalid", "field": "names"}]
        )
    repo["topics"] = list(dict.fromkeys(topics))
    repo["updated_at"] = now_iso()
    return {"names": list(repo["topics"])}


@router.route("POST", _R + r"/forks")
def fork(app, req, owner, name):
    user = gm.requires_auth(req)
    source = repo_for(app, req, owner, name)
    data = body(req)
    kind, account = "User", user
    if data.get("organization"):
        account = org_for(app, data["organization"])
        kind = "Organization"
    if not gm.can_create_in(app.store, user, kind, account):
        raise gm.error(
            403, "You need admin access to the organization before adding a repository to it."
        )
    fields = {
        "name": data.get("name") or source["name"],
        "description": source.get("description"),
        "homepage": source.get("homepage"),
        "visibility": source["visibility"],
    }
    existing = gm.find_repo(app.store, gm.account_login(account), fields["name"])
    if existing is not None and existing.get("parent_id") == source["id"]:
        return Response(202, js.repository(app.urls(req), app.store, existing, user))
    repo = gm.create_repo(
        app.ctx, app.store, kind=kind, account=account, data=fields, fork_of=source
    )
    repo["topics"] = list(source.get("topics", []))
    return Response(202, js.repository(app.urls(req), app.store, repo, user))


@router.route("GET", _R + r"/forks")
def list_forks(app, req, owner, name):
    source = repo_for(app, req, owner, name)
    rows = [r for r in app.store.rows("gh_repos") if r.get("parent_id") == source["id"]]
    return _repo_list(app, req, rows)


# --- collaborators ------------------------------------------------------------------------


@router.route("GET", _R + r"/collaborators")
def collaborators(app, req, owner, name):
    repo = repo_for(app, req, owner, name, "push")
    users = [
        u
        for u in app.store.rows("users")
        if gm.RANK[gm.permission(app.store, repo, u)] >= 3
        and not (u.get("is_admin") and str(u["id"]) not in repo.get("collaborators", {}))
    ]
    if not repo["private"]:
        users = [u for u in users if gm.permission(app.store, {**repo, "private": True}, u)]
    return paginate(app, req, users, lambda u: _collaborator(app, req, repo, u))


def _collaborator(app, req, repo, user):
    data = js.account(app.urls(req), user)
    level = gm.RANK[gm.permission(app.store, repo, user)]
    data["permissions"] = {
        "admin": level >= 5,
        "maintain": level >= 4,
        "push": level >= 3,
        "triage": level >= 2,
        "pull": level >= 1,
    }
    data["role_name"] = gm.permission(app.store, repo, user) or "none"
    return data


@router.route("GET", _R + r"/collaborators/(?P<username>[^/]+)(?P<perm>/permission)?")
def collaborator(app, req, owner, name, username, perm=None):
    repo = repo_for(app, req, owner, name)
    user = app.store.user_by_name(username)
    if user is None:
        raise gm.not_found()
    level = gm.permission(app.store, {**repo, "private": True}, user)
    if perm:
        legacy = {"pull": "read", "triage": "read", "push": "write", "maintain": "write"}.get(
            level, level
        )
        return {
            "permission": legacy or "none",
            "role_name": level or "none",
            "user": _collaborator(app, req, repo, user),
        }
    if level is None:
        raise HttpError(404, b"")
    return Response(204)


@router.route("PUT", _R + r"/collaborators/(?P<username>[^/]+)")
def add_collaborator(app, req, owner, name, username):
    repo = repo_for(app, req, owner, name, "admin")
    user = app.store.user_by_name(username)
    if user is None:
        raise gm.not_found()
    level = body(req).get("permission") or "push"
    level = {"read": "pull", "write": "push"}.get(level, level)
    if level not in gm.RANK or level is None:
        raise gm.validation("Repository", "permission")
    repo.setdefault("collaborators", {})[str(user["id"])] = level
    return Response(204)


@router.route("DELETE", _R + r"/collaborators/(?P<username>[^/]+)")
def remove_collaborator(app, req, owner, name, username):
    repo = repo_for(app, req, owner, name, "admin")
    user = app.store.user_by_name(username)
    if user is not None:
        repo.get("collaborators", {}).pop(str(user["id"]), None)
    return Response(204)


# --- hooks --------------------------------------------------------------------------------


def _hook_for(app, repo, hook_id):
    hook = app.store.get("gh_hooks", hook_id) if str(hook_id).isdigit() else None
    if hook is None or hook["repo_id"] != repo["id"]:
        raise gm.not_found()
    return hook


def _hook_json(app, req, repo, hook):
    full = gm.full_name(app.store, repo)
    return js.hook(app.urls(req), full, hook, app.deliverer.last_for(hook["id"]))


def _hook_config(data, hook):
    config = dict(hook.get("config", {}))
    config.update(
        {
            k: v
            for k, v in (data.get("config") or {}).items()
            if k in ("url", "content_type", "secret", "insecure_ssl")
        }
    )
    url = config.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise gm.validation("Hook", "url", "custom", "url is not a valid URL")
    config.setdefault("content_type", "form")
    config.setdefault("insecure_ssl", "0")
    config["insecure_ssl"] = str(config["insecure_ssl"])
    if config["content_type"] not in ("json", "form"):
        raise gm.validation("Hook", "content_type")
    hook["config"] = config
    events = data.get("events", hook.get("events", ["push"]))
    events = list(events) + [e for e in data.get("add_events", []) if e not in events]
    hook["events"] = [e for e in events if e not in data.get("remove_events", [])]
    if "active" in data:
        hook["active"] = bool(data["active"])


@router.route("GET", _R + r"/hooks")
def list_hooks(app, req, owner, name):
    repo = repo_for(app, req, owner, name, "admin")
    rows = app.store.find("gh_hooks", repo_id=repo["id"])
    return paginate(app, req, rows, lambda h: _hook_json(app, req, repo, h))


@router.route("POST", _R + r"/hooks")
def create_hook(app, req, owner, name):
    from localforge import github_events

    repo = repo_for(app, req, owner, name, "admin")
    data = body(req)
    if data.get("name", "web") != "web":
        raise gm.validation("Hook", "name")
    stamp = now_iso()
    hook = {
        "id": app.store.next_id("gh_hook"),
        "repo_id": repo["id"],
        "active": True,
        "created_at": stamp,
        "updated_at": stamp,
    }
    _hook_config(data, hook)
    app.store.put("gh_hooks", hook)
    github_events.ping(app, repo, hook, req.user)
    u = app.urls(req)
    location = f"{u.api}/repos/{gm.full_name(app.store, repo)}/hooks/{hook['id']}"
    return Response(201, _hook_json(app, req, repo, hook), [("Location", location)])


@router.route("GET", _R + r"/hooks/(?P<hook_id>[^/]+)")
def get_hook(app, req, owner, name, hook_id):
    repo = repo_for(app, req, owner, name, "admin")
    return _hook_json(app, req, repo, _hook_for(app, repo, hook_id))


@router.route("PATCH", _R + r"/hooks/(?P<hook_id>[^/]+)")
def edit_hook(app, req, owner, name, hook_id):
    repo = repo_for(app, req, owner, name, "admin")
    hook = _hook_for(app, repo, hook_id)
    _hook_config(body(req), hook)
    hook["updated_at"] = now_iso()
    return _hook_json(app, req, repo, hook)


@router.route("DELETE", _R + r"/hooks/(?P<hook_id>[^/]+)")
def delete_hook(app, req, owner, name, hook_id):
    repo = repo_for(app, req, owner, name, "admin")
    app.store.delete("gh_hooks", _hook_for(app, repo, hook_id)["id"])
    return Response(204)


@router.route("POST", _R + r"/hooks/(?P<hook_id>[^/]+)/(?P<kind>pings|tests)")
def ping_hook(app, req, owner, name, hook_id, kind):
    from localforge import github_events

    repo = repo_for(app, req, owner, name, "admin")
    hook = _hook_for(app, repo, hook_id)
    if kind == "pings":
        github_events.ping(app, repo, hook, req.user)
    else:
        github_events.test_push(app, repo, hook, req.user)
    return Response(204)


@router.route("GET", _R + r"/hooks/(?P<hook_id>[^/]+)/deliveries")
def hook_deliveries(app, req, owner, name, hook_id):
    repo = repo_for(app, req, owner, name, "admin")
    hook = _hook_for(app, repo, hook_id)
    rows = list(reversed(app.deliverer.list(hook_id=hook["id"])))
    return paginate(
        app,
        req,
        rows,
        lambda d: {
            "id": d["id"],
            "guid": d["guid"],
            "delivered_at": js.gh_date(d["delivered_at"] or d["created_at"]),
            "redelivery": False,
            "duration": d["duration"] or 0.0,
            "status": d["status"],
            "status_code": d["status_code"] or 0,
            "event": d["event"],
            "action": d["action"],
            "installation_id": None,
            "repository_id": repo["id"],
        },
    )
