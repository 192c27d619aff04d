"""Admin endpoints under /-/localforge/ (both ports), and seeding.

All but ``health`` need the admin token (PRIVATE-TOKEN, or Authorization: Bearer/token).
Users are shared by the two forges: one account, one token, both sides.
"""

import hmac

from localforge import names
from localforge.web import HttpError, Response, Router

router = Router()
_FAULT_STATUSES = (403, 429, 500, 502, 503, 504)


def dispatch(app, req) -> Response:
    path = req.raw_path[len("/-/localforge") :] or "/"
    func, params = router.match(req.method, path)
    if func is None:
        raise HttpError(404, {"message": "Not Found"})
    if func is not health:
        auth = req.header("Authorization") or ""
        token = req.header("PRIVATE-TOKEN") or auth.partition(" ")[2].strip()
        if not token or not hmac.compare_digest(token.encode(), app.ctx.admin_token.encode()):
            raise HttpError(401, {"message": "401 Unauthorized"})
    data = req.json(lambda msg: HttpError(400, {"message": msg})) if req.method != "GET" else {}
    with app.store.lock:
        try:
            result = func(app, req, data, **params)
        finally:
            if req.method != "GET":
                app.store.save()
    return result if isinstance(result, Response) else Response(200, result)


def _bad(message) -> HttpError:
    return HttpError(400, {"message": message})


@router.route("GET", r"/health")
def health(app, req, data):
    return {"ok": True, "side": app.side}


@router.route("GET", r"/users")
def list_users(app, req, data):
    return [_user(u) for u in app.store.rows("users")]


def _user(user, token=None) -> dict:
    out = {k: user[k] for k in ("id", "username", "name", "email", "is_admin")}
    if token:
        out["token"] = token
    return out


def create_user(store, entry: dict) -> tuple[dict, str | None, bool]:
    """(user, new token or None, created) — existing users are returned unchanged."""
    username = entry.get("username")
    if not names.valid_login(username):
        raise _bad("username is invalid")
    if entry.get("email") is not None and not names.valid_email(entry["email"]):
        raise _bad("email is invalid")
    user = store.user_by_name(username)
    created = user is None
    if created:
        user = store.create_user(
            username, entry.get("email"), entry.get("name"), entry.get("admin")
        )
    token = None
    wanted = entry.get("token")
    if wanted is not None and not isinstance(wanted, str):
        raise _bad("token must be a string")
    if wanted is None and created:
        token = store.add_token(user["id"])["token"]
    elif wanted and store.user_for_token(wanted) is None:
        token = store.add_token(user["id"], wanted)["token"]
    return user, token, created


@router.route("POST", r"/users")
def add_user(app, req, data):
    if app.store.user_by_name(data.get("username") or "") is not None:
        raise HttpError(409, {"message": "Username has already been taken"})
    user, token, _ = create_user(app.store, data)
    return Response(201, _user(user, token))


@router.route("POST", r"/users/(?P<username>[^/]+)/tokens")
def add_token(app, req, data, username):
    user = app.store.user_by_name(username)
    if user is None:
        raise HttpError(404, {"message": "User Not Found"})
    wanted = data.get("token")
    if wanted is not None and (not isinstance(wanted, str) or app.store.user_for_token(wanted)):
        raise _bad("token is invalid or taken")
    entry = app.store.add_token(user["id"], wanted, data.get("name") or "localforge")
    return Response(
        201, {"user_id": user["id"], "username": user["username"], "token": entry["token"]}
    )


@router.route("POST", r"/orgs")
def add_org(app, req, data):
    from localforge import github_model

    org = github_model.create_org(app.store, data, exist_ok=False)
    return Response(201, github_model.org_summary(app.store, org))


@router.route("POST", r"/orgs/(?P<login>[^/]+)/members")
def add_org_member(app, req, data, login):
    from localforge import github_model

    org = github_model.find_org(app.store, login)
    if org is None:
        raise HttpError(404, {"message": "Not Found"})
    user = app.store.user_by_name(data.get("username") or "")
    if user is None:
        raise HttpError(404, {"message": "User Not Found"})
    role = data.get("role") or "member"
    if role not in ("admin", "member"):
        raise _bad("role must be admin or member")
    org["members"][str(user["id"])] = role
    return Response(201, github_model.org_summary(app.store, org))


@router.route("POST", r"/seed")
def seed(app, req, data):
    return Response(201, apply_seed(app.ctx, data))


def apply_seed(ctx, data: dict) -> dict:
    """Create users (with tokens), GitLab groups and GitHub orgs; existing ones are kept."""
    from localforge import github_model
    from localforge import gitlab_model as glm

    store = ctx.store
    report = {"users": [], "groups": [], "orgs": []}
    with store.lock:
        for entry in data.get("users", []):
            user, _, created = create_user(store, entry)
            report["users"].append(
                {"username": user["username"], "id": user["id"], "created": created}
            )
        for entry in data.get("groups", []):
            path = entry.get("full_path") or entry.get("path")
            parent_path, _, leaf = str(path).strip("/").rpartition("/")
            parent = entry.get("parent") or parent_path or None
            parent_ns = glm.find_namespace(store, parent, kind="group") if parent else None
            if parent and parent_ns is None:
                raise _bad(f"parent group {parent} does not exist")
            full = f"{parent}/{leaf}" if parent else leaf
            group = glm.find_namespace(store, full, kind="group")
            if group is None:
                group = glm.create_group(
                    store,
                    path=leaf,
                    name=entry.get("name") or leaf,
                    parent=parent_ns,
                    description=entry.get("description") or "",
                    visibility=entry.get("visibility"),
                )
            for username, level in (entry.get("members") or {}).items():
                user = store.user_by_name(username)
                if user is None:
                    raise _bad(f"unknown user {username}")
                if not glm.direct_level(store, "group", group["id"], user["id"]):
                    glm.add_member(store, "group", group["id"], user["id"], int(level))
            report["groups"].append({"full_path": full, "id": group["id"]})
        for entry in data.get("orgs", []):
            org = github_model.create_org(store, entry, exist_ok=True)
            report["orgs"].append({"login": org["login"], "id": org["id"]})
        store.save()
    return report


@router.route("GET", r"/faults")
def list_faults(app, req, data):
    return app.ctx.faults[app.side].list()


@router.route("POST", r"/faults")
def add_fault(app, req, data):
    status = data.get("status")
    if status not in _FAULT_STATUSES:
        raise _bad(f"status must be one of {_FAULT_STATUSES}")
    count = data.get("count", 1)
    retry_after = data.get("retry_after", 1)
    if not isinstance(count, int) or count < 1 or not isinstance(retry_after, int):
        raise _bad("count and retry_after must be integers")
    prefix = data.get("path_prefix")
    if prefix is not None and not isinstance(prefix, str):
        raise _bad("path_prefix must be a string")
    fault = app.ctx.faults[app.side].add(status, count, prefix, retry_after, data.get("message"))
    return Response(201, fault)


@router.route("DELETE", r"/faults")
def clear_faults(app, req, data):
    app.ctx.faults[app.side].clear()
    return Response(204)


@router.route("GET", r"/deliveries")
def list_deliveries(app, req, data):
    return app.deliverer.list(
        event=req.arg("event"), hook_id=req.arg("hook_id"), status=req.arg("status")
    )


@router.route("DELETE", r"/deliveries")
def clear_deliveries(app, req, data):
    app.deliverer.clear()
    return Response(204)
