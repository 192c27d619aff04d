"""What a GitHub pull request is: its head ref in the base repo, its JSON, its events."""

from localforge import github_events, gitrepo
from localforge import github_json as js
from localforge import github_model as gm
from localforge import github_repo_json as rjs
from localforge.store import now_iso

ZERO = gitrepo.ZERO_SHA


def repo_path(app, repo_id):
    return app.ctx.repo_dir("github", repo_id)


def pull_ref(pr):
    return f"refs/pull/{pr['number']}/head"


def refresh_head(app, pr) -> str | None:
    """Copy the head branch tip into the base repo as refs/pull/N/head."""
    src, dst = repo_path(app, pr["head_repo_id"]), repo_path(app, pr["repo_id"])
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
    path = repo_path(app, repo["id"])
    n = pr["number"]
    author = store.get("users", pr["user_id"])
    base_sha = gitrepo.resolve(path, f"refs/heads/{pr['base_ref']}") or pr.get("base_sha") or ZERO
    head_sha = pr.get("head_sha") or ZERO
    merged_by = store.get("users", pr.get("merged_by_id"))

    def side(r, ref, sha):
        owner = gm.owner_of(store, r) if r else None
        label = f"{gm.account_login(owner)}:{ref}" if owner else ref
        render = rjs.webhook_repository if hook else rjs.repository
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


def find_pr(app, repo, number):
    pr = app.store.first("gh_pulls", repo_id=repo["id"], number=int(number))
    if pr is None:
        raise gm.not_found()
    return pr
