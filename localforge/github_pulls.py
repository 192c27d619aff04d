"""GitHub pull requests (same repo or from forks), merging, and issue comments on them."""

from localforge import github_events, gitrepo, names
from localforge import github_json as js
from localforge import github_model as gm
from localforge.github_api import _R, body, paginate, repo_for
from localforge.store import now_iso
from localforge.web import HttpError, Response, Router

router = Router()
_PR = _R + r"/pulls/(?P<number>\d+)"
ZERO = gitrepo.ZERO_SHA


def _path(app, repo_id):
    return app.ctx.repo_dir("github", repo_id)


def pull_ref(pr):
    return f"refs/pull/{pr['number']}/head"


def refresh_head(app, pr) -> str | None:
    """Copy the head branch tip into the base repo as refs/pull/N/head."""
    src, dst = _path(app, pr["head_repo_id"]), _path(app, pr["repo_id"])
    branch = f"refs/heads/{pr['head_ref']}"
    sha = gitrepo.resolve(src, branch)
    if sha is None:
        return None
    if src == dst:
        gitrepo.update_ref(dst, pull_ref(pr), sha)
    else:
        gitrepo.fetch(dst, src, f"+{branch}:{pull_ref(pr)}")
    pr["head_sha"] = sha
    return sha


def association(app, repo, user) -> str:
    if repo["owner_type"] == "User":
        if repo["owner_id"] == user["id"]:
            return "OWNER"
    elif gm.org_role(gm.owner_of(app.store, repo), user):
        return "MEMBER"
    if str(user["id"]) in repo.get("collaborators", {}):
        return "COLLABORATOR"
    return "CONTRIBUTOR"


def pr_json(app, u, pr, detail=False, hook=False) -> dict:
    store = app.store
    repo = store.get("gh_repos", pr["repo_id"])
    head_repo = store.get("gh_repos", pr["head_repo_id"])
    full = gm.full_name(store, repo)
    api, web = f"{u.api}/repos/{full}", f"{u.web}/{full}"
    path = _path(app, repo["id"])
    n = pr["number"]
    author = store.get("users", pr["user_id"])
    base_sha = gitrepo.resolve(path, f"refs/heads/{pr['base_ref']}") or pr.get("base_sha") or ZERO
    head_sha = pr.get("head_sha") or ZERO
    merged_by = store.get("users", pr.get("merged_by_id"))

    def side(r, ref, sha):
        owner = gm.owner_of(store, r) if r else None
        label = f"{gm.account_login(owner)}:{ref}" if owner else ref
        render = js.webhook_repository if hook else js.repository
        return {
            "label": label,
            "ref": ref,
            "sha": sha,
            "user": js.account(u, owner) if owner else None,
            "repo": render(u, store, r) if r else None,
        }

    links = {
        "self": f"{api}/pulls/{n}",
        "html": f"{web}/pull/{n}",
        "issue": f"{api}/issues/{n}",
        "comments": f"{api}/issues/{n}/comments",
        "review_comments": f"{api}/pulls/{n}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{api}/pulls/{n}/commits",
        "statuses": f"{api}/statuses/{head_sha}",
    }
    data = {
        "url": links["self"],
        "id": pr["id"],
        "node_id": js.node_id("PullRequest", pr["id"]),
        "html_url": links["html"],
        "diff_url": f"{web}/pull/{n}.diff",
        "patch_url": f"{web}/pull/{n}.patch",
        "issue_url": links["issue"],
        "number": n,
        "state": pr["state"],
        "locked": False,
        "title": pr["title"],
        "user": js.account(u, author),
        "body": pr.get("body"),
        "created_at": js.gh_date(pr["created_at"]),
        "updated_at": js.gh_date(pr["updated_at"]),
        "closed_at": js.gh_date(pr.get("closed_at")),
        "merged_at": js.gh_date(pr.get("merged_at")),
        "merge_commit_sha": pr.get("merge_commit_sha"),
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "labels": [],
        "milestone": None,
        "draft": bool(pr.get("draft")),
        "commits_url": links["commits"],
        "review_comments_url": links["review_comments"],
        "review_comment_url": links["review_comment"],
        "comments_url": links["comments"],
        "statuses_url": links["statuses"],
        "head": side(head_repo, pr["head_ref"], head_sha),
        "base": side(repo, pr["base_ref"], base_sha),
        "_links": {k: {"href": v} for k, v in links.items()},
        "author_association": association(app, repo, author),
        "auto_merge": None,
        "active_lock_reason": None,
    }
    if detail:
        mergeable, state = None, "unknown"
        if pr["state"] == "open" and not hook and head_sha != ZERO:
            try:
                gitrepo.merge_tree(path, base_sha, head_sha)
                mergeable, state = True, "clean"
            except gitrepo.MergeConflict:
                mergeable, state = False, "dirty"
        stats = _stats(path, base_sha, head_sha) if head_sha != ZERO else (0, 0, 0, 0)
        data.update(
            {
                "merged": pr.get("merged_at") is not None,
                "mergeable": mergeable,
                "rebaseable": mergeable,
                "mergeable_state": state,
                "merged_by": js.account(u, merged_by) if merged_by else None,
                "comments": len(store.find("gh_comments", repo_id=repo["id"], number=n)),
                "review_comments": 0,
                "maintainer_can_modify": bool(pr.get("maintainer_can_modify")),
                "commits": stats[0],
                "additions": stats[1],
                "deletions": stats[2],
                "changed_files": stats[3],
            }
        )
    return data


def _stats(path, base, head):
    merge_base = gitrepo.merge_base(path, base, head) or base
    entries = gitrepo.diff(path, merge_base, head, patch=False)
    commits = gitrepo.count(path, [head, f"^{base}"])
    return (
        commits,
        sum(e["additions"] for e in entries),
        sum(e["deletions"] for e in entries),
        len(entries),
    )


def fire(app, pr, action, user, extra=None):
    repo = app.store.get("gh_repos", pr["repo_id"])
    payload = {"action": action, "number": pr["number"]}
    payload.update(extra or {})
    payload["pull_request"] = pr_json(app, app.urls(), pr, detail=True, hook=True)
    payload.update(github_events.envelope(app, repo, user))
    github_events.deliver(app, repo, "pull_request", payload)


def on_head_push(app, repo, user, updates):
    for pr in app.store.find("gh_pulls", head_repo_id=repo["id"], state="open"):
        for _old, new, ref in updates:
            if ref == f"refs/heads/{pr['head_ref']}" and new != ZERO:
                before = pr.get("head_sha")
                if refresh_head(app, pr) and before != pr["head_sha"]:
                    pr["updated_at"] = now_iso()
                    fire(
                        app,
                        pr,
                        "synchronize",
                        user,
                        {"before": before or ZERO, "after": pr["head_sha"]},
                    )


# --- endpoints ----------------------------------------------------------------------------


def find_pr(app, repo, number):
    pr = app.store.first("gh_pulls", repo_id=repo["id"], number=int(number))
    if pr is None:
        raise gm.not_found()
    return pr


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
    if gitrepo.resolve(_path(app, repo["id"]), f"refs/heads/{base}") is None:
        raise _invalid("base")
    if gitrepo.resolve(_path(app, head_repo["id"]), f"refs/heads/{head_ref}") is None:
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
    path = _path(app, repo["id"])
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
        if gitrepo.resolve(_path(app, repo["id"]), f"refs/heads/{data['base']}") is None:
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
    path = _path(app, repo["id"])
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
    path = _path(app, repo["id"])
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
    path = _path(app, repo["id"])
    base = gitrepo.resolve(path, f"refs/heads/{pr['base_ref']}")
    entries = gitrepo.diff(
        path, gitrepo.merge_base(path, base, pr["head_sha"]) or base, pr["head_sha"]
    )
    full = gm.full_name(app.store, repo)
    return paginate(
        app, req, entries, lambda e: js.file_entry(app.urls(req), full, pr["head_sha"], e)
    )


# --- issues (the issue side of pull requests) and comments --------------------------------


def issue_json(app, u, pr) -> dict:
    data = pr_json(app, u, pr)
    repo = app.store.get("gh_repos", pr["repo_id"])
    api = f"{u.api}/repos/{gm.full_name(app.store, repo)}"
    return {
        "url": data["issue_url"],
        "repository_url": api,
        "labels_url": f"{data['issue_url']}/labels{{/name}}",
        "comments_url": data["comments_url"],
        "events_url": f"{data['issue_url']}/events",
        "html_url": data["html_url"],
        "id": pr["id"],
        "node_id": js.node_id("Issue", pr["id"]),
        "number": pr["number"],
        "title": pr["title"],
        "user": data["user"],
        "labels": [],
        "state": pr["state"],
        "locked": False,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": len(app.store.find("gh_comments", repo_id=repo["id"], number=pr["number"])),
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
        "closed_at": data["closed_at"],
        "author_association": data["author_association"],
        "active_lock_reason": None,
        "draft": data["draft"],
        "body": pr.get("body"),
        "closed_by": None,
        "state_reason": ("completed" if pr["state"] == "closed" else None),
        "pull_request": {
            "url": data["url"],
            "html_url": data["html_url"],
            "diff_url": data["diff_url"],
            "patch_url": data["patch_url"],
            "merged_at": data["merged_at"],
        },
    }


def comment_json(app, u, repo, comment) -> dict:
    full = gm.full_name(app.store, repo)
    api = f"{u.api}/repos/{full}"
    author = app.store.get("users", comment["user_id"])
    return {
        "url": f"{api}/issues/comments/{comment['id']}",
        "html_url": f"{u.web}/{full}/pull/{comment['number']}#issuecomment-{comment['id']}",
        "issue_url": f"{api}/issues/{comment['number']}",
        "id": comment["id"],
        "node_id": js.node_id("IssueComment", comment["id"]),
        "user": js.account(u, author),
        "created_at": js.gh_date(comment["created_at"]),
        "updated_at": js.gh_date(comment["updated_at"]),
        "author_association": association(app, repo, author),
        "body": comment["body"],
        "performed_via_github_app": None,
    }


@router.route("GET", _R + r"/issues/(?P<number>\d+)")
def get_issue(app, req, owner, name, number):
    return issue_json(app, app.urls(req), find_pr(app, repo_for(app, req, owner, name), number))


@router.route("GET", _R + r"/issues/(?P<number>\d+)/comments")
def list_comments(app, req, owner, name, number):
    repo = repo_for(app, req, owner, name)
    find_pr(app, repo, number)
    rows = app.store.find("gh_comments", repo_id=repo["id"], number=int(number))
    return paginate(app, req, rows, lambda c: comment_json(app, app.urls(req), repo, c))


@router.route("POST", _R + r"/issues/(?P<number>\d+)/comments")
def create_comment(app, req, owner, name, number):
    user = gm.requires_auth(req)
    repo = repo_for(app, req, owner, name)
    pr = find_pr(app, repo, number)
    text = body(req).get("body")
    if not isinstance(text, str) or not text:
        raise gm.validation("IssueComment", "body", "missing_field")
    stamp = now_iso()
    comment = {
        "id": app.store.next_id("gh_comment"),
        "repo_id": repo["id"],
        "number": pr["number"],
        "user_id": user["id"],
        "body": text,
        "created_at": stamp,
        "updated_at": stamp,
    }
    app.store.put("gh_comments", comment)
    hook_u = app.urls()
    payload = {
        "action": "created",
        "issue": issue_json(app, hook_u, pr),
        "comment": comment_json(app, hook_u, repo, comment),
    }
    payload.update(github_events.envelope(app, repo, user))
    github_events.deliver(app, repo, "issue_comment", payload)
    return Response(201, comment_json(app, app.urls(req), repo, comment))


def _comment_for(app, repo, comment_id):
    comment = app.store.get("gh_comments", int(comment_id))
    if comment is None or comment["repo_id"] != repo["id"]:
        raise gm.not_found()
    return comment


@router.route("GET", _R + r"/issues/comments/(?P<comment_id>\d+)")
def get_comment(app, req, owner, name, comment_id):
    repo = repo_for(app, req, owner, name)
    return comment_json(app, app.urls(req), repo, _comment_for(app, repo, comment_id))


@router.route("PATCH", _R + r"/issues/comments/(?P<comment_id>\d+)")
@router.route("DELETE", _R + r"/issues/comments/(?P<comment_id>\d+)")
def edit_comment(app, req, owner, name, comment_id):
    user = gm.requires_auth(req)
    repo = repo_for(app, req, owner, name)
    comment = _comment_for(app, repo, comment_id)
    if comment["user_id"] != user["id"]:
        gm.require(app.store, req, repo, "push")
    if req.method == "DELETE":
        app.store.delete("gh_comments", comment["id"])
        return Response(204)
    text = body(req).get("body")
    if not isinstance(text, str) or not text:
        raise gm.validation("IssueComment", "body", "missing_field")
    comment.update(body=text, updated_at=now_iso())
    return comment_json(app, app.urls(req), repo, comment)
