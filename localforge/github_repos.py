"""GitHub repositories: create (org or user), get, edit, delete, topics, forks, collaborators."""

from localforge import github_json as js
from localforge import github_model as gm
from localforge import github_repo_json as rjs
from localforge import gitrepo, names
from localforge.github_api import _R, body, org_for, paginate, repo_for, repo_list
from localforge.store import now_iso
from localforge.web import HttpError, Response, Router

router = Router()


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
        if key not in rjs.LICENSES:
            raise gm.validation("Repository", "license_template")
        name = rjs.LICENSES[key][0]
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
    return Response(201, rjs.repository(u, app.store, repo, user), [("Location", location)])


@router.route("POST", r"/orgs/(?P<login>[^/]+)/repos")
def create_org_repo(app, req, login):
    return _create(app, req, "Organization", org_for(app, login))


@router.route("POST", r"/user/repos")
def create_user_repo(app, req):
    return _create(app, req, "User", gm.requires_auth(req))


@router.route("GET", _R)
def get_repo(app, req, owner, name):
    return rjs.repository(app.urls(req), app.store, repo_for(app, req, owner, name), req.user)


@router.route("GET", r"/repositories/(?P<repo_id>\d+)")
def get_repo_by_id(app, req, repo_id):
    repo = app.store.get("gh_repos", int(repo_id))
    if repo is None or gm.permission(app.store, repo, req.user) is None:
        raise gm.not_found()
    return rjs.repository(app.urls(req), app.store, repo, req.user)


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
    return rjs.repository(app.urls(req), app.store, repo, req.user)


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
        return Response(202, rjs.repository(app.urls(req), app.store, existing, user))
    repo = gm.create_repo(
        app.ctx, app.store, kind=kind, account=account, data=fields, fork_of=source
    )
    repo["topics"] = list(source.get("topics", []))
    return Response(202, rjs.repository(app.urls(req), app.store, repo, user))


@router.route("GET", _R + r"/forks")
def list_forks(app, req, owner, name):
    source = repo_for(app, req, owner, name)
    rows = [r for r in app.store.rows("gh_repos") if r.get("parent_id") == source["id"]]
    return repo_list(app, req, rows)


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
