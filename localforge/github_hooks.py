"""GitHub repository webhooks: CRUD, pings, test pushes and the deliveries log."""

from localforge import github_json as js
from localforge import github_model as gm
from localforge.github_api import _R, body, paginate, repo_for
from localforge.store import now_iso
from localforge.web import Response, Router

router = Router()


def hook_json_data(u: js.Urls, full: str, h: dict, last=None) -> dict:
    api = f"{u.api}/repos/{full}/hooks/{h['id']}"
    config = {k: v for k, v in h["config"].items() if k != "secret"}
    if h["config"].get("secret"):
        config["secret"] = "********"  # noqa: S105 - the mask GitHub shows, not a secret
    response = {"code": None, "status": "unused", "message": None}
    if last is not None:
        response = {
            "code": last["status_code"],
            "status": "active" if last["status"] == "OK" else "failed",
            "message": "OK" if last["status"] == "OK" else (last["error"] or "Failed"),
        }
    return {
        "type": "Repository",
        "id": h["id"],
        "name": "web",
        "active": h["active"],
        "events": list(h["events"]),
        "config": config,
        "updated_at": js.gh_date(h["updated_at"]),
        "created_at": js.gh_date(h["created_at"]),
        "url": api,
        "test_url": f"{api}/test",
        "ping_url": f"{api}/pings",
        "deliveries_url": f"{api}/deliveries",
        "last_response": response,
    }


# --- hooks --------------------------------------------------------------------------------


def _hook_for(app, repo, hook_id):
    hook = app.store.get("gh_hooks", hook_id) if str(hook_id).isdigit() else None
    if hook is None or hook["repo_id"] != repo["id"]:
        raise gm.not_found()
    return hook


def hook_json(app, req, repo, hook):
    full = gm.full_name(app.store, repo)
    return hook_json_data(app.urls(req), full, hook, app.deliverer.last_for(hook["id"]))


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
    return paginate(app, req, rows, lambda h: hook_json(app, req, repo, h))


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
    return Response(201, hook_json(app, req, repo, hook), [("Location", location)])


@router.route("GET", _R + r"/hooks/(?P<hook_id>[^/]+)")
def get_hook(app, req, owner, name, hook_id):
    repo = repo_for(app, req, owner, name, "admin")
    return hook_json(app, req, repo, _hook_for(app, repo, hook_id))


@router.route("PATCH", _R + r"/hooks/(?P<hook_id>[^/]+)")
def edit_hook(app, req, owner, name, hook_id):
    repo = repo_for(app, req, owner, name, "admin")
    hook = _hook_for(app, repo, hook_id)
    _hook_config(body(req), hook)
    hook["updated_at"] = now_iso()
    return hook_json(app, req, repo, hook)


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
