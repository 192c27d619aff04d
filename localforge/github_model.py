"""GitHub's model: accounts (users and orgs), repositories, permissions, errors."""

import shutil

from localforge import gitrepo, names
from localforge.store import now_iso
from localforge.web import HttpError

DOCS = "https://docs.github.com/rest"
RANK = {None: 0, "pull": 1, "triage": 2, "push": 3, "maintain": 4, "admin": 5}
ORG_DEFAULT = {"none": None, "read": "pull", "write": "push", "admin": "admin"}


def error(status: int, message: str, errors=None) -> HttpError:
    body = {"message": message, "documentation_url": DOCS, "status": str(status)}
    if errors is not None:
        body["errors"] = errors
    return HttpError(status, body)


def not_found() -> HttpError:
    return error(404, "Not Found")


def validation(resource: str, field: str, code: str = "invalid", message=None) -> HttpError:
    item = {"resource": resource, "code": code, "field": field}
    if message:
        item["message"] = message
    return error(422, "Validation Failed", [item])


def requires_auth(req):
    if req.user is None:
        raise error(401, "Requires authentication")
    return req.user


# --- accounts -----------------------------------------------------------------------------


def find_org(store, login):
    if not isinstance(login, str):
        return None
    low = login.lower()
    return next((o for o in store.rows("gh_orgs") if o["login"].lower() == low), None)


def find_owner(store, login) -> tuple[str, dict] | tuple[None, None]:
    org = find_org(store, login)
    if org is not None:
        return "Organization", org
    user = store.user_by_name(login)
    if user is not None:
        return "User", user
    return None, None


def account_login(account: dict) -> str:
    return account.get("login") or account["username"]


def create_org(store, data: dict, exist_ok: bool) -> dict:
    login = data.get("login") or data.get("name")
    if not names.valid_login(login):
        raise HttpError(400, {"message": "org login is invalid"})
    org = find_org(store, login)
    if org is not None and not exist_ok:
        raise HttpError(409, {"message": "Organization already exists"})
    if org is None and store.user_by_name(login) is not None:
        raise HttpError(409, {"message": "Login is taken by a user"})
    if org is None:
        permission = data.get("default_repository_permission", "read")
        if permission not in ORG_DEFAULT:
            raise HttpError(400, {"message": "default_repository_permission is invalid"})
        org = store.put(
            "gh_orgs",
            {
                "id": store.next_id("user"),
                "login": login,
                "name": data.get("display_name")
                or (data.get("login") and data.get("name"))
                or login,
                "description": data.get("description"),
                "created_at": now_iso(),
                "members": {},
                "default_repository_permission": permission,
                "members_can_create_repositories": data.get(
                    "members_can_create_repositories", True
                ),
            },
        )
    for role, key in (("admin", "admins"), ("member", "members")):
        for username in data.get(key) or []:
            user = store.user_by_name(username)
            if user is None:
                raise HttpError(400, {"message": f"unknown user {username}"})
            if org["members"].get(str(user["id"])) != "admin":
                org["members"][str(user["id"])] = role
    return org


def org_summary(store, org) -> dict:
    members = []
    for uid, role in sorted(org["members"].items()):
        user = store.get("users", int(uid))
        if user:
            members.append({"username": user["username"], "role": role})
    return {"id": org["id"], "login": org["login"], "members": members}


def org_role(org, user) -> str | None:
    return org["members"].get(str(user["id"])) if user else None


# --- repositories -------------------------------------------------------------------------


def owner_of(store, repo):
    table = "gh_orgs" if repo["owner_type"] == "Organization" else "users"
    return store.get(table, repo["owner_id"])


def full_name(store, repo) -> str:
    return f"{account_login(owner_of(store, repo))}/{repo['name']}"


def find_repo(store, owner: str, name: str):
    kind, account = find_owner(store, owner)
    if account is None:
        return None
    low = name.lower()
    for repo in store.rows("gh_repos"):
        if (
            repo["owner_type"] == kind
            and repo["owner_id"] == account["id"]
            and repo["name"].lower() == low
        ):
            return repo
    return None


def permission(store, repo, user) -> str | None:
    best = None if repo["private"] else "pull"
    if user is None:
        return best
    if user.get("is_admin"):
        return "admin"
    if repo["owner_type"] == "User" and repo["owner_id"] == user["id"]:
        return "admin"
    if repo["owner_type"] == "Organization":
        org = store.get("gh_orgs", repo["owner_id"])
        role = org_role(org, user)
        if role == "admin":
            return "admin"
        if role == "member":
            best = _max(best, ORG_DEFAULT.get(org.get("default_repository_permission", "read")))
    return _max(best, repo.get("collaborators", {}).get(str(user["id"])))


def _max(a, b):
    return a if RANK.get(a, 0) >= RANK.get(b, 0) else b


def visible_repo(store, req, owner, name):
    repo = find_repo(store, owner, name)
    if repo is None or permission(store, repo, req.user) is None:
        raise not_found()
    return repo


def require(store, req, repo, level: str):
    if RANK[permission(store, repo, req.user)] >= RANK[level]:
        return
    requires_auth(req)
    if level == "admin":
        raise error(403, "Must have admin rights to Repository.")
    raise error(403, "Resource not accessible by personal access token")


def can_create_in(store, user, kind, account) -> bool:
    if user.get("is_admin"):
        return True
    if kind == "User":
        return account["id"] == user["id"]
    role = org_role(account, user)
    return role == "admin" or (
        role == "member" and account.get("members_can_create_repositories", True)
    )


def create_repo(ctx, store, *, kind, account, data: dict, fork_of=None) -> dict:
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise validation("Repository", "name", "missing_field")
    if not names.valid_gh_repo(name):
        raise HttpError(400, {"message": "Invalid repository name", "documentation_url": DOCS})
    if find_repo(store, account_login(account), name) is not None:
        raise error(
            422,
            "Repository creation failed.",
            [
                {
                    "resource": "Repository",
                    "code": "custom",
                    "field": "name",
                    "message": "name already exists on this account",
                }
            ],
        )
    visibility = data.get("visibility") or ("private" if data.get("private") else "public")
    if visibility not in ("public", "private", "internal"):
        raise validation("Repository", "visibility")
    branch = data.get("default_branch") or "main"
    stamp = now_iso()
    repo = {
        "id": store.next_id("gh_repo"),
        "name": name,
        "owner_type": kind,
        "owner_id": account["id"],
        "description": data.get("description"),
        "homepage": data.get("homepage"),
        "private": visibility != "public",
        "visibility": visibility,
        "default_branch": branch,
        "topics": [],
        "has_issues": data.get("has_issues", True) is not False,
        "has_projects": data.get("has_projects", True) is not False,
        "has_wiki": data.get("has_wiki", True) is not False,
        "has_discussions": bool(data.get("has_discussions", False)),
        "is_template": bool(data.get("is_template", False)),
        "archived": False,
        "allow_squash_merge": data.get("allow_squash_merge", True) is not False,
        "allow_merge_commit": data.get("allow_merge_commit", True) is not False,
        "allow_rebase_merge": data.get("allow_rebase_merge", True) is not False,
        "delete_branch_on_merge": bool(data.get("delete_branch_on_merge", False)),
        "license": data.get("license_template"),
        "created_at": stamp,
        "updated_at": stamp,
        "pushed_at": None,
        "fork": fork_of is not None,
        "parent_id": fork_of["id"] if fork_of else None,
        "source_id": (fork_of.get("source_id") or fork_of["id"]) if fork_of else None,
        "collaborators": {},
        "pr_seq": 0,
        "empty": True,
    }
    path = ctx.repo_dir("github", repo["id"])
    if fork_of is not None:
        gitrepo.clone_bare(ctx.repo_dir("github", fork_of["id"]), path)
        repo["default_branch"] = fork_of["default_branch"]
        gitrepo.set_head(path, repo["default_branch"])
        repo["empty"] = fork_of.get("empty", True)
        repo["pushed_at"] = fork_of.get("pushed_at")
        repo["license"] = fork_of.get("license")
    else:
        gitrepo.init(path, branch)
    return store.put("gh_repos", repo)


def delete_repo(ctx, store, repo):
    for table in ("gh_hooks", "gh_pulls", "gh_comments"):
        for row in store.find(table, repo_id=repo["id"]):
            store.delete(table, row["id"])
    store.delete("gh_repos", repo["id"])
    shutil.rmtree(ctx.repo_dir("github", repo["id"]), ignore_errors=True)
