"""GitHub pull request endpoints: open (same repo or from a fork), list, edit, merge."""

from localforge import github_events, gitrepo, names
from localforge import github_json as js
from localforge import github_model as gm
from localforge.github_api import _R, body, paginate, repo_for
from localforge.github_pr import ZERO, find_pr, fire, pr_json, pull_ref, refresh_head, repo_path
from localforge.store import now_iso
from localforge.web import HttpError, Response, Router

router = Router()
_PR = _R + r"/pulls/(?P<number>\d+)"


# --- endpoints ----------------------------------------------------------------------------


def _head_repo(app, base, owner_login):
    network = base.get("source_id") or base["id"]
    kind, account = gm.find_owner(app.store, owner_login)
    if account is None:
        return None
    for repo in app.store.rows("gh_repos"):
        if (
            repo["owner_type"] == kind
            and repo["owner_id"] == account["id"]
            and (repo["id"] == network or (repo.get("source_id") or repo["id"]) == network)
        ):
            return repo
    return None


def _invalid(field):
    return gm.validation("PullRequest", field, "invalid")


def _custom(message):
    return gm.error(
        422,
        "Validation Failed",
        [{"resource": "PullRequest", "code": "custom", "message": message}],
    )


@router.route("POST", _R + r"/pulls")
def create_pull(app, req, owner, name):
    user = gm.requires_auth(req)
    repo = repo_for(app, req, owner, name)
    data = body(req)
    title, head, base = data.get("title"), data.get("head"), data.get("base")
    if not title or not head or not base:
        raise gm.validation(
            "PullRequest", "title" if not title else "head" if not head else "base", "missing_field"
        )
    head_owner, _, head_ref = head.rpartition(":")
    head_repo = _head_repo(app, repo, head_owner) if head_owner else repo
    if head_repo is None or gm.permission(app.store, head_repo, user) is None:
        raise _invalid("head")
    if not names.valid_branch(head_ref) or not names.valid_branch(base):
        raise _invalid("head" if not names.valid_branch(head_ref) else "base")
    if gitrepo.resolve(repo_path(app, repo["id"]), f"refs/heads/{base}") is None:
        raise _invalid("base")
    if gitrepo.resolve(repo_path(app, head_repo["id"]), f"refs/heads/{head_ref}") is None:
        raise _invalid("head")
    label = f"{gm.account_login(gm.owner_of(app.store, head_repo))}:{head_ref}"
    for other in app.store.find("gh_pulls", repo_id=repo["id"], state="open"):
        if (
            other["head_repo_id"] == head_repo["id"]
            and other["head_ref"] == head_ref
            and other["base_ref"] == base
        ):
            raise _custom(f"A pull request already exists for {label}.")
    repo["pr_seq"] = repo.get("pr_seq", 0) + 1
    stamp = now_iso()
    pr = {
        "id": app.store.next_id("gh_pull"),
        "number": repo["pr_seq"],
        "repo_id": repo["id"],
        "head_repo_id": head_repo["id"],
        "head_ref": head_ref,
        "base_ref": base,
        "title": title,
        "body": data.get("body"),
        "state": "open",
        "draft": bool(data.get("draft")),
        "user_id": user["id"],
        "maintainer_can_modify": bool(data.get("maintainer_can_modify", False)),
        "created_at": stamp,
        "updated_at": stamp,
    }
    refresh_head(app, pr)
    path = repo_path(app, repo["id"])
    if gitrepo.merge_base(path, f"refs/heads/{base}", pr["head_sha"]) is None:
        gitrepo.delete_ref(path, pull_ref(pr))
        repo["pr_seq"] -= 1
        raise _custom(f"The {base} branch has no history in common with {head_ref}")
    if gitrepo.count(path, [pr["head_sha"], f"^refs/heads/{base}"]) == 0:
        repo["pr_seq"] -= 1
        gitrepo.delete_ref(path, pull_ref(pr))
        raise _custom(f"No commits between {base} and {head_ref}")
    app.store.put("gh_pulls", pr)
    fire(app, pr, "opened", user)
    u = app.urls(req)
    return Response(
        201, pr_json(app, u, pr, detail=True), [("Location", pr_json(app, u, pr)["url"])]
    )


@router.route("GET", _R + r"/pulls")
def list_pulls(app, req, owner, name):
    repo = repo_for(app, req, owner, name)
    rows = app.store.find("gh_pulls", repo_id=repo["id"])
    state = req.arg("state") or "open"
    if state != "all":
        rows = [p for p in rows if p["state"] == state]
    if req.arg("base"):
        rows = [p for p in rows if p["base_ref"] == req.arg("base")]
    if req.arg("head"):
        head_owner, _, head_ref = req.arg("head").rpartition(":")
        head_repo = _head_repo(app, repo, head_owner) if head_owner else repo
        rows = [
            p
            for p in rows
            if head_repo and p["head_repo_id"] == head_repo["id"] and p["head_ref"] == head_ref
        ]
    key = {"updated": "updated_at"}.get(req.arg("sort"), "created_at")
    rows.sort(key=lambda p: (p[key], p["id"]), reverse=(req.arg("direction") or "desc") == "desc")
    return paginate(app, req, rows, lambda p: pr_json(app, app.urls(req), p))


@router.route("GET", _PR)
def get_pull(app, req, owner, name, number):
    repo = repo_for(app, req, owner, name)
    return pr_json(app, app.urls(req), find_pr(app, repo, number), detail=True)


@router.route("PATCH", _PR)
def edit_pull(app, req, owner, name, number):
    user = gm.requires_auth(req)
    repo = repo_for(app, req, owner, name)
    pr = find_pr(app, repo, number)
    if pr["user_id"] != user["id"]:
        gm.require(app.store, req, repo, "push")
    data = body(req)
    changes = {}
    for key in ("title", "body"):
        if key in data and data[key] != pr.get(key):
            changes[key] = {"from": pr.get(key)}
            pr[key] = data[key]
    if data.get("base") and data["base"] != pr["base_ref"]:
        if gitrepo.resolve(repo_path(app, repo["id"]), f"refs/heads/{data['base']}") is None:
            raise _invalid("base")
        changes["base"] = {"ref": {"from": pr["base_ref"]}, "sha": {"from": ZERO}}
        pr["base_ref"] = data["base"]
    if "maintainer_can_modify" in data:
        pr["maintainer_can_modify"] = bool(data["maintainer_can_modify"])
    state = data.get("state")
    if state not in (None, "open", "closed"):
        raise gm.validation("PullRequest", "state")
    pr["updated_at"] = now_iso()
    if changes:
        fire(app, pr, "edited", user, {"changes": changes})
    if state == "closed" and pr["state"] == "open":
        pr.update(state="closed", closed_at=now_iso())
        fire(app, pr, "closed", user)
    elif state == "open" and pr["state"] == "closed" and not pr.get("merged_at"):
        pr.update(state="open", closed_at=None)
        refresh_head(app, pr)
        fire(app, pr, "reopened", user)
    return pr_json(app, app.urls(req), pr, detail=True)


@router.route("GET", _PR + r"/merge")
def is_merged(app, req, owner, name, number):
    pr = find_pr(app, repo_for(app, req, owner, name), number)
    if not pr.get("merged_at"):
        raise HttpError(404, b"")
    return Response(204)


@router.route("PUT", _PR + r"/merge")
def merge_pull(app, req, owner, name, number):
    user = gm.requires_auth(req)
    repo = repo_for(app, req, owner, name)
    gm.require(app.store, req, repo, "push")
    pr = find_pr(app, repo, number)
    data = body(req)
    method = data.get("merge_method") or "merge"
    if method not in ("merge", "squash", "rebase"):
        raise gm.validation("PullRequest", "merge_method")
    if method == "rebase" or not repo.get(
        f"allow_{method}_{'merge' if method == 'squash' else 'commit'}", True
    ):
        raise gm.error(405, f"Merge method {method} is not allowed on this repository.")
    if pr["state"] != "open" or pr.get("draft"):
        raise gm.error(405, "Pull Request is not mergeable")
    path = repo_path(app, repo["id"])
    head = refresh_head(app, pr) or pr.get("head_sha")
    if data.get("sha") and data["sha"] != head:
        raise gm.error(409, "Head branch was modified. Review and try the merge again.")
    base_ref = f"refs/heads/{pr['base_ref']}"
    with gitrepo.repo_lock(path):
        base = gitrepo.resolve(path, base_ref)
        try:
            tree = gitrepo.merge_tree(path, base, head)
        except gitrepo.MergeConflict:
            raise gm.error(405, "Pull Request is not mergeable") from None
        head_repo = app.store.get("gh_repos", pr["head_repo_id"])
        head_owner = gm.account_login(gm.owner_of(app.store, head_repo))
        if method == "squash":
            commits = list(reversed(gitrepo.log(path, [head, f"^{base}"])))
            title = data.get("commit_title") or f"{pr['title']} (#{pr['number']})"
            message = data.get("commit_message") or "\n\n".join(
                f"* {c['message'].strip()}" for c in commits
            )
            author = app.store.get("users", pr["user_id"]) or user
            merged = gitrepo.commit_tree(
                path,
                tree,
                [base],
                f"{title}\n\n{message}".strip() + "\n",
                (author["name"], author["email"]),
            )
        else:
            title = (
                data.get("commit_title")
                or f"Merge pull request #{pr['number']} from {head_owner}/{pr['head_ref']}"
            )
            message = data.get("commit_message") or pr["title"]
            merged = gitrepo.commit_tree(
                path,
                tree,
                [base, head],
                f"{title}\n\n{message}".strip() + "\n",
                (user["name"], user["email"]),
            )
        gitrepo.update_ref(path, base_ref, merged, base)
    stamp = now_iso()
    pr.update(
        state="closed",
        merged_at=stamp,
        closed_at=stamp,
        merged_by_id=user["id"],
        merge_commit_sha=merged,
        updated_at=stamp,
    )
    github_events.on_ref_updates(app, repo["id"], user, [(base, merged, base_ref)])
    fire(app, pr, "closed", user)
    if repo.get("delete_branch_on_merge") and pr["head_repo_id"] == repo["id"]:
        branch_ref = f"refs/heads/{pr['head_ref']}"
        if pr["head_ref"] != repo["default_branch"] and gitrepo.resolve(path, branch_ref):
            gitrepo.delete_ref(path, branch_ref)
            github_events.on_ref_updates(app, repo["id"], user, [(head, ZERO, branch_ref)])
    return {"sha": merged, "merged": True, "message": "Pull Request successfully merged"}


@router.route("GET", _PR + r"/commits")
def pull_commits(app, req, owner, name, number):
    repo = repo_for(app, req, owner, name)
    pr = find_pr(app, repo, number)
    path = repo_path(app, repo["id"])
    base = gitrepo.resolve(path, f"refs/heads/{pr['base_ref']}")
    if pr.get("merged_at"):
        base = gitrepo.log(path, [pr["merge_commit_sha"]], max_count=1, no_walk=True)[0]["parents"][
            0
        ]
    commits = list(reversed(gitrepo.log(path, [pr["head_sha"], f"^{base}"], max_count=250)))
    full = gm.full_name(app.store, repo)
    return paginate(app, req, commits, lambda c: js.commit(app.urls(req), app.store, full, c))


@router.route("GET", _PR + r"/files")
def pull_files(app, req, owner, name, number):
    repo = repo_for(app, req, owner, name)
    pr = find_pr(app, repo, number)
    path = repo_path(app, repo["id"])
    base = gitrepo.resolve(path, f"refs/heads/{pr['base_ref']}")
    entries = gitrepo.diff(
        path, gitrepo.merge_base(path, base, pr["head_sha"]) or base, pr["head_sha"]
    )
    full = gm.full_name(app.store, repo)
    return paginate(
        app, req, entries, lambda e: js.file_entry(app.urls(req), full, pr["head_sha"], e)
    )
