"""GitHub repository JSON, as the API and as webhooks (octokit's schema) show it."""

from localforge import github_model as gm
from localforge.github_json import Urls, account, epoch, gh_date, node_id

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
