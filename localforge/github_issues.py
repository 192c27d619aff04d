"""The issue side of GitHub pull requests: GET issue, and issue comments (with webhooks)."""

from localforge import github_events
from localforge import github_json as js
from localforge import github_model as gm
from localforge.github_api import _R, body, paginate, repo_for
from localforge.github_pr import association, find_pr, pr_json
from localforge.store import now_iso
from localforge.web import Response, Router

router = Router()


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
