"""GitHub v3 JSON shapes: URLs, dates, accounts (users, orgs) and git objects."""

import base64
import datetime
from typing import NamedTuple

from localforge import github_model as gm


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
