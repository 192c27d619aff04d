"""GitHub events: what happens after refs move, and the webhook payloads."""

import random

from localforge import github_json as js
from localforge import github_model as gm
from localforge import github_repo_json as rjs
from localforge import gitrepo
from localforge.store import now_iso

ZERO = gitrepo.ZERO_SHA
COMMIT_LIMIT = 20
ZEN = (
    "Keep it logically awesome.",
    "Design for failure.",
    "Practicality beats purity.",
    "Mind your words, they are important.",
    "Anything added dilutes everything else.",
)


def deliver(app, repo, event: str, payload: dict):
    for hook in app.store.find("gh_hooks", repo_id=repo["id"]):
        events = hook.get("events", [])
        if hook.get("active") and (event in events or "*" in events):
            app.deliverer.github(hook, event, payload, repo["id"])


def envelope(app, repo, user, push: bool = False) -> dict:
    u = app.urls()
    data = {"repository": rjs.webhook_repository(u, app.store, repo, push)}
    if repo["owner_type"] == "Organization":
        data["organization"] = js.org_simple(u, gm.owner_of(app.store, repo))
    data["sender"] = js.account(u, user)
    return data


def _person(store, name, email):
    data = {"name": name, "email": email}
    found = store.user_by_email(email)
    if found is not None:
        data["username"] = found["username"]
    return data


def hook_commit(app, full: str, c: dict) -> dict:
    return {
        "id": c["sha"],
        "tree_id": c["tree"],
        "distinct": True,
        "message": c["message"].rstrip("\n"),
        "timestamp": c["author_date"],
        "url": f"{app.base}/{full}/commit/{c['sha']}",
        "author": _person(app.store, c["author_name"], c["author_email"]),
        "committer": _person(app.store, c["committer_name"], c["committer_email"]),
        "added": c.get("added", []),
        "removed": c.get("removed", []),
        "modified": c.get("modified", []),
    }


def push_payload(app, repo, user, old, new, ref, others) -> dict:
    path = app.ctx.repo_dir("github", repo["id"])
    full = gm.full_name(app.store, repo)
    commits, head = [], None
    if new != ZERO:
        target = gitrepo.resolve(path, new)
        if ref.startswith("refs/heads/"):
            revs = [new] + ([f"^{old}"] if old != ZERO else [f"^{s}" for s in sorted(set(others))])
            commits = gitrepo.log(path, revs, max_count=COMMIT_LIMIT, name_status=True)
            commits.reverse()
        found = (
            commits[-1:]
            if commits and commits[-1]["sha"] == target
            else gitrepo.log(path, [target], max_count=1, no_walk=True, name_status=True)
        )
        head = hook_commit(app, full, found[0]) if found else None
    forced = old != ZERO and new != ZERO and not gitrepo.is_ancestor(path, old, new)
    payload = {
        "ref": ref,
        "before": old,
        "after": new,
        "created": old == ZERO,
        "deleted": new == ZERO,
        "forced": forced,
        "base_ref": None,
        "compare": f"{app.base}/{full}/compare/{old[:12]}...{new[:12]}",
        "commits": [hook_commit(app, full, c) for c in commits],
        "head_commit": head,
    }
    payload.update(envelope(app, repo, user, push=True))
    payload["pusher"] = {"name": user["username"], "email": user["email"]}
    return payload


def ref_payload(app, repo, user, ref, created: bool) -> dict:
    kind = "branch" if ref.startswith("refs/heads/") else "tag"
    short = ref.split("/", 2)[2]
    payload = {"ref": short, "ref_type": kind}
    if created:
        payload["master_branch"] = repo["default_branch"]
        payload["description"] = repo.get("description")
    payload["pusher_type"] = "user"
    payload.update(envelope(app, repo, user))
    return payload


def on_ref_updates(app, repo_id: int, user: dict, updates: list[tuple[str, str, str]]):
    """After a push or an API change moved refs: update state, fire push/create/delete."""
    from localforge import github_pr

    with app.store.lock:
        repo = app.store.get("gh_repos", repo_id)
        if repo is None:
            return
        path = app.ctx.repo_dir("github", repo_id)
        refs = gitrepo.list_refs(path)
        updated = {ref for _, _, ref in updates}
        others = [r["commit"] for r in refs if r["ref"] not in updated]
        heads = {r["ref"] for r in refs if r["ref"].startswith("refs/heads/")}
        repo["empty"] = not heads
        if heads and f"refs/heads/{repo['default_branch']}" not in heads:
            created = [ref for _, new, ref in updates if ref in heads and new != ZERO]
            if created:
                repo["default_branch"] = created[0][len("refs/heads/") :]
                gitrepo.set_head(path, repo["default_branch"])
        repo["pushed_at"] = now_iso()
        for old, new, ref in updates:
            if not ref.startswith(("refs/heads/", "refs/tags/")):
                continue
            deliver(app, repo, "push", push_payload(app, repo, user, old, new, ref, others))
            if old == ZERO:
                deliver(app, repo, "create", ref_payload(app, repo, user, ref, True))
            elif new == ZERO:
                deliver(app, repo, "delete", ref_payload(app, repo, user, ref, False))
        github_pr.on_head_push(app, repo, user, updates)
        app.store.save()


def ping(app, repo, hook, user):
    from localforge.github_hooks import hook_json

    class _Req:
        prefix = ""

    data = hook_json(app, _Req(), repo, hook)
    payload = {"zen": random.choice(ZEN), "hook_id": hook["id"], "hook": data}  # noqa: S311
    payload.update(envelope(app, repo, user))
    app.deliverer.github(hook, "ping", payload, repo["id"])


def test_push(app, repo, hook, user):
    path = app.ctx.repo_dir("github", repo["id"])
    head = gitrepo.resolve(path, f"refs/heads/{repo['default_branch']}")
    if head is None:
        return
    commit = gitrepo.commit(path, head)
    before = commit["parents"][0] if commit["parents"] else ZERO
    ref = f"refs/heads/{repo['default_branch']}"
    app.deliverer.github(
        hook, "push", push_payload(app, repo, user, before, head, ref, []), repo["id"]
    )
