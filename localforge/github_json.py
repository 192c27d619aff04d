"""GitHub v3 JSON shapes: users, orgs, repositories, commits, refs, hooks."""

import base64
import datetime
from typing import NamedTuple

from localforge import github_model as gm

LICENSES = {
    "mit": ("MIT License", "MIT"),
    "apache-2.0": ("Apache License 2.0", "Apache-2.0"),
    "bsd-2-clause": ('BSD 2-Clause "Simplified" License', "BSD-2-Clause"),
    "bsd-3-clause": ('BSD 3-Clause "New" or "Revised" License', "BSD-3-Clause"),
    "gpl-2.0": ("GNU General Public License v2.0", "GPL-2.0"),
    "gpl-3.0": ("GNU General Public License v3.0", "GPL-3.0"),
    "lgpl-2.1": ("GNU Lesser General Public License v2.1", "LGPL-2.1"),
    "lgpl-3.0": ("GNU Lesser General Public License v3.0", "LGPL-3.0"),
    "agpl-3.0": ("GNU Affero General Public License v3.0", "AGPL-3.0"),
    "mpl-2.0": ("Mozilla Public License 2.0", "MPL-2.0"),
    "epl-2.0": ("Eclipse Public License 2.0", "EPL-2.0"),
    "unlicense": ("The Unlicense", "Unlicense"),
    "cc0-1.0": ("Creative Commons Zero v1.0 Universal", "CC0-1.0"),
}

# The keys a repository may carry in a webhook payload (octokit's schema).
WEBHOOK_REPO_KEYS = [
    "id",
    "node_id",
    "name",
    "full_name",
    "private",
    "owner",
    "html_url",
    "description",
    "fork",
    "url",
    "forks_url",
    "keys_url",
    "collaborators_url",
    "teams_url",
    "hooks_url",
    "issue_events_url",
    "events_url",
    "assignees_url",
    "branches_url",
    "tags_url",
    "blobs_url",
    "git_tags_url",
    "git_refs_url",
    "trees_url",
    "statuses_url",
    "languages_url",
    "stargazers_url",
    "contributors_url",
    "subscribers_url",
    "subscription_url",
    "commits_url",
    "git_commits_url",
    "comments_url",
    "issue_comment_url",
    "contents_url",
    "compare_url",
    "merges_url",
    "archive_url",
    "downloads_url",
    "issues_url",
    "pulls_url",
    "milestones_url",
    "notifications_url",
    "labels_url",
    "releases_url",
    "deployments_url",
    "created_at",
    "updated_at",
    "pushed_at",
    "git_url",
    "ssh_url",
    "clone_url",
    "svn_url",
    "homepage",
    "size",
    "stargazers_count",
    "watchers_count",
    "language",
    "has_issues",
    "has_projects",
    "has_downloads",
    "has_wiki",
    "has_pages",
    "has_discussions",
    "forks_count",
    "mirror_url",
    "archived",
    "disabled",
    "open_issues_count",
    "license",
    "forks",
    "open_issues",
    "watchers",
    "stargazers",
    "default_branch",
    "allow_squash_merge",
    "allow_merge_commit",
    "allow_rebase_merge",
    "allow_auto_merge",
    "allow_forking",
    "allow_update_branch",
    "use_squash_pr_title_as_default",
    "is_template",
    "web_commit_signoff_required",
    "topics",
    "visibility",
    "delete_branch_on_merge",
    "custom_properties",
]


class Urls(NamedTuple):
    api: str
    web: str


def gh_date(iso: str | None) -> str | None:
    """Our stored timestamps (ms, Z) the GitHub way: 2024-01-02T03:04:05Z."""
    return None if iso is None else iso[:19] + "Z"


def ts_date(ts: int) -> str:
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(iso: str | None) -> int | None:
    if iso is None:
        return None
    return int(datetime.datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


def node_id(kind: str, number: int) -> str:
    return base64.b64encode(f"0:{kind}{number}".encode()).decode()


def account(u: Urls, acc: dict) -> dict:
    """A "simple user" for users and organizations alike."""
    login = gm.account_login(acc)
    is_org = "members" in acc
    return {
        "login": login,
        "id": acc["id"],
        "node_id": node_id("Organization" if is_org else "User", acc["id"]),
        "avatar_url": f"{u.web}/avatars/u/{acc['id']}?v=4",
        "gravatar_id": "",
        "url": f"{u.api}/users/{login}",
        "html_url": f"{u.web}/{login}",
        "followers_url": f"{u.api}/users/{login}/followers",
        "following_url": f"{u.api}/users/{login}/following{{/other_user}}",
        "gists_url": f"{u.api}/users/{login}/gists{{/gist_id}}",
        "starred_url": f"{u.api}/users/{login}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u.api}/users/{login}/subscriptions",
        "organizations_url": f"{u.api}/users/{login}/orgs",
        "repos_url": f"{u.api}/users/{login}/repos",
        "events_url": f"{u.api}/users/{login}/events{{/privacy}}",
        "received_events_url": f"{u.api}/users/{login}/received_events",
        "type": "Organization" if is_org else "User",
        "site_admin": bool(acc.get("is_admin")),
    }


def user_full(u: Urls, store, user: dict, private: bool) -> dict:
    data = account(u, user)
    repos = [
        r
        for r in store.rows("gh_repos")
        if r["owner_type"] == "User" and r["owner_id"] == user["id"]
    ]
    data.update(
        {
            "name": user["name"],
            "company": None,
            "blog": "",
            "location": None,
            "email": user["email"] if private else None,
            "hireable": None,
            "bio": None,
            "twitter_username": None,
            "notification_email": user["email"] if private else None,
            "public_repos": sum(1 for r in repos if not r["private"]),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "created_at": gh_date(user["created_at"]),
            "updated_at": gh_date(user["created_at"]),
        }
    )
    if private:
        data.update(
            {
                "private_gists": 0,
                "total_private_repos": sum(1 for r in repos if r["private"]),
                "owned_private_repos": sum(1 for r in repos if r["private"]),
                "disk_usage": 0,
                "collaborators": 0,
                "two_factor_authentication": False,
                "plan": {
                    "name": "pro",
                    "space": 976562499,
                    "collaborators": 0,
                    "private_repos": 9999,
                },
            }
        )
    return data


def org_simple(u: Urls, org: dict) -> dict:
    login = org["login"]
    return {
        "login": login,
        "id": org["id"],
        "node_id": node_id("Organization", org["id"]),
        "url": f"{u.api}/orgs/{login}",
        "repos_url": f"{u.api}/orgs/{login}/repos",
        "events_url": f"{u.api}/orgs/{login}/events",
        "hooks_url": f"{u.api}/orgs/{login}/hooks",
        "issues_url": f"{u.api}/orgs/{login}/issues",
        "members_url": f"{u.api}/orgs/{login}/members{{/member}}",
        "public_members_url": f"{u.api}/orgs/{login}/public_members{{/member}}",
        "avatar_url": f"{u.web}/avatars/u/{org['id']}?v=4",
        "description": org.get("description"),
    }


def org_full(u: Urls, store, org: dict, member: bool) -> dict:
    data = org_simple(u, org)
    repos = [
        r
        for r in store.rows("gh_repos")
        if r["owner_type"] == "Organization" and r["owner_id"] == org["id"]
    ]
    data.update(
        {
            "name": org.get("name"),
            "company": None,
            "blog": "",
            "location": None,
            "email": None,
            "twitter_username": None,
            "is_verified": False,
            "has_organization_projects": True,
            "has_repository_projects": True,
            "public_repos": sum(1 for r in repos if not r["private"]),
            "public_gists": 0,
            "followers": 0,
            "following": 0,
            "html_url": f"{u.web}/{org['login']}",
            "created_at": gh_date(org["created_at"]),
            "updated_at": gh_date(org["created_at"]),
            "archived_at": None,
            "type": "Organization",
        }
    )
    if member:
        private = sum(1 for r in repos if r["private"])
        data.update(
            {
                "total_private_repos": private,
                "owned_private_repos": private,
                "private_gists": 0,
                "disk_usage": 0,
                "collaborators": 0,
                "billing_email": None,
                "default_repository_permission": org.get("default_repository_permission", "read"),
                "members_can_create_repositories": org.get("members_can_create_repositories", True),
                "two_factor_requirement_enabled": False,
                "members_allowed_repository_creation_type": "all",
                "members_can_create_public_repositories": True,
                "members_can_create_private_repositories": True,
                "members_can_create_internal_repositories": False,
                "members_can_create_pages": True,
                "members_can_create_public_pages": True,
                "members_can_create_private_pages": True,
                "members_can_fork_private_repositories": False,
                "web_commit_signoff_required": False,
                "plan": {
                    "name": "team",
                    "space": 976562499,
                    "private_repos": 999999,
                    "filled_seats": len(org["members"]),
                    "seats": 5,
                },
            }
        )
    return data


def license_json(key: str | None) -> dict | None:
    if not key or key not in LICENSES:
        return None
    name, spdx = LICENSES[key]
    return {
        "key": key,
        "name": name,
        "spdx_id": spdx,
        "url": f"https://api.github.com/licenses/{key}",
        "node_id": node_id("License", len(key)),
    }


def repository(u: Urls, store, repo: dict, viewer=None, depth: int = 0) -> dict:
    owner = gm.owner_of(store, repo)
    full = f"{gm.account_login(owner)}/{repo['name']}"
    api = f"{u.api}/repos/{full}"
    web = f"{u.web}/{full}"
    forks = sum(1 for r in store.rows("gh_repos") if r.get("parent_id") == repo["id"])
    issues = sum(1 for p in store.find("gh_pulls", repo_id=repo["id"]) if p["state"] == "open")
    data = {
        "id": repo["id"],
        "node_id": node_id("Repository", repo["id"]),
        "name": repo["name"],
        "full_name": full,
        "private": repo["private"],
        "owner": account(u, owner),
        "html_url": web,
        "description": repo.get("description"),
        "fork": bool(repo.get("fork")),
        "url": api,
    }
    for key, suffix in (
        ("forks", "/forks"),
        ("keys", "/keys{/key_id}"),
        ("collaborators", "/collaborators{/collaborator}"),
        ("teams", "/teams"),
        ("hooks", "/hooks"),
        ("issue_events", "/issues/events{/number}"),
        ("events", "/events"),
        ("assignees", "/assignees{/user}"),
        ("branches", "/branches{/branch}"),
        ("tags", "/tags"),
        ("blobs", "/git/blobs{/sha}"),
        ("git_tags", "/git/tags{/sha}"),
        ("git_refs", "/git/refs{/sha}"),
        ("trees", "/git/trees{/sha}"),
        ("statuses", "/statuses/{sha}"),
        ("languages", "/languages"),
        ("stargazers", "/stargazers"),
        ("contributors", "/contributors"),
        ("subscribers", "/subscribers"),
        ("subscription", "/subscription"),
        ("commits", "/commits{/sha}"),
        ("git_commits", "/git/commits{/sha}"),
        ("comments", "/comments{/number}"),
        ("issue_comment", "/issues/comments{/number}"),
        ("contents", "/contents/{+path}"),
        ("compare", "/compare/{base}...{head}"),
        ("merges", "/merges"),
        ("archive", "/{archive_format}{/ref}"),
        ("downloads", "/downloads"),
        ("issues", "/issues{/number}"),
        ("pulls", "/pulls{/number}"),
        ("milestones", "/milestones{/number}"),
        ("notifications", "/notifications{?since,all,participating}"),
        ("labels", "/labels{/name}"),
        ("releases", "/releases{/id}"),
        ("deployments", "/deployments"),
    ):
        data[f"{key}_url"] = api + suffix
    host = u.web.split("://", 1)[-1]
    data.update(
        {
            "created_at": gh_date(repo["created_at"]),
            "updated_at": gh_date(repo["updated_at"]),
            "pushed_at": gh_date(repo.get("pushed_at")) or gh_date(repo["created_at"]),
            "git_url": f"git://{host}/{full}.git",
            "ssh_url": f"git@{host.split(':')[0]}:{full}.git",
            "clone_url": f"{web}.git",
            "svn_url": web,
            "homepage": repo.get("homepage"),
            "size": 0,
            "stargazers_count": 0,
            "watchers_count": 0,
            "language": None,
            "has_issues": repo["has_issues"],
            "has_projects": repo["has_projects"],
            "has_downloads": True,
            "has_wiki": repo["has_wiki"],
            "has_pages": False,
            "has_discussions": repo.get("has_discussions", False),
            "forks_count": forks,
            "mirror_url": None,
            "archived": bool(repo.get("archived")),
            "disabled": False,
            "open_issues_count": issues,
            "license": license_json(repo.get("license")),
            "allow_forking": True,
            "is_template": bool(repo.get("is_template")),
            "web_commit_signoff_required": False,
            "topics": list(repo.get("topics", [])),
            "visibility": repo["visibility"],
            "forks": forks,
            "open_issues": issues,
            "watchers": 0,
            "default_branch": repo["default_branch"],
            "temp_clone_token": "" if viewer else None,
            "allow_squash_merge": repo.get("allow_squash_merge", True),
            "allow_merge_commit": repo.get("allow_merge_commit", True),
            "allow_rebase_merge": repo.get("allow_rebase_merge", True),
            "allow_auto_merge": False,
            "delete_branch_on_merge": repo.get("delete_branch_on_merge", False),
            "allow_update_branch": False,
            "use_squash_pr_title_as_default": False,
            "squash_merge_commit_message": "COMMIT_MESSAGES",
            "squash_merge_commit_title": "COMMIT_OR_PR_TITLE",
            "merge_commit_message": "PR_TITLE",
            "merge_commit_title": "MERGE_MESSAGE",
            "custom_properties": {},
            "network_count": forks,
            "subscribers_count": 0,
        }
    )
    if viewer is not None:
        level = gm.RANK[gm.permission(store, repo, viewer)]
        data["permissions"] = {
            "admin": level >= 5,
            "maintain": level >= 4,
            "push": level >= 3,
            "triage": level >= 2,
            "pull": level >= 1,
        }
    if repo["owner_type"] == "Organization":
        data["organization"] = account(u, owner)
    if repo.get("fork") and depth == 0:
        for key in ("parent", "source"):
            other = store.get("gh_repos", repo.get(f"{key}_id"))
            if other is not None:
                data[key] = repository(u, store, other, viewer, depth + 1)
    return data


def webhook_repository(u: Urls, store, repo: dict, push: bool = False) -> dict:
    full = repository(u, store, repo)
    data = {k: full[k] for k in WEBHOOK_REPO_KEYS if k in full}
    data["stargazers"] = 0
    if push:
        owner = gm.owner_of(store, repo)
        data["owner"] = {
            "name": gm.account_login(owner),
            "email": owner.get("email"),
            **data["owner"],
        }
        data["created_at"] = epoch(repo["created_at"])
        data["pushed_at"] = epoch(repo.get("pushed_at") or repo["created_at"])
        data["master_branch"] = repo["default_branch"]
    if repo["owner_type"] == "Organization":
        data["organization"] = gm.account_login(gm.owner_of(store, repo))
    return data


def git_person(name, email, ts) -> dict:
    return {"name": name, "email": email, "date": ts_date(ts)}


def commit(u: Urls, store, full: str, c: dict) -> dict:
    api = f"{u.api}/repos/{full}"

    def user_for(email):
        found = store.user_by_email(email)
        return account(u, found) if found else None

    return {
        "sha": c["sha"],
        "node_id": node_id("Commit", int(c["sha"][:7], 16)),
        "commit": {
            "author": git_person(c["author_name"], c["author_email"], c["author_ts"]),
            "committer": git_person(c["committer_name"], c["committer_email"], c["committer_ts"]),
            "message": c["message"].rstrip("\n"),
            "tree": {"sha": c["tree"], "url": f"{api}/git/trees/{c['tree']}"},
            "url": f"{api}/git/commits/{c['sha']}",
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "url": f"{api}/commits/{c['sha']}",
        "html_url": f"{u.web}/{full}/commit/{c['sha']}",
        "comments_url": f"{api}/commits/{c['sha']}/comments",
        "author": user_for(c["author_email"]),
        "committer": user_for(c["committer_email"]),
        "parents": [
            {"sha": p, "url": f"{api}/commits/{p}", "html_url": f"{u.web}/{full}/commit/{p}"}
            for p in c["parents"]
        ],
    }


_STATUS = {
    "A": "added",
    "D": "removed",
    "M": "modified",
    "R": "renamed",
    "C": "copied",
    "T": "changed",
}


def file_entry(u: Urls, full: str, sha: str, e: dict) -> dict:
    path = e["new_path"]
    blob = e["old_sha"] if e["status"] == "D" else e["new_sha"]
    data = {
        "sha": blob,
        "filename": path,
        "status": _STATUS.get(e["status"], "modified"),
        "additions": e["additions"],
        "deletions": e["deletions"],
        "changes": e["additions"] + e["deletions"],
        "blob_url": f"{u.web}/{full}/blob/{sha}/{path}",
        "raw_url": f"{u.web}/{full}/raw/{sha}/{path}",
        "contents_url": f"{u.api}/repos/{full}/contents/{path}?ref={sha}",
    }
    if not e["binary"]:
        data["patch"] = e["patch"].rstrip("\n")
    if e["status"] == "R":
        data["previous_filename"] = e["old_path"]
    return data


def git_ref(u: Urls, full: str, ref: str, sha: str, kind: str = "commit") -> dict:
    api = f"{u.api}/repos/{full}"
    return {
        "ref": ref,
        "node_id": node_id("Ref", len(ref)),
        "url": f"{api}/git/{ref}",
        "object": {"sha": sha, "type": kind, "url": f"{api}/git/{kind}s/{sha}"},
    }


def hook(u: Urls, full: str, h: dict, last=None) -> dict:
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
        "updated_at": gh_date(h["updated_at"]),
        "created_at": gh_date(h["created_at"]),
        "url": api,
        "test_url": f"{api}/test",
        "ping_url": f"{api}/pings",
        "deliveries_url": f"{api}/deliveries",
        "last_response": response,
    }
