"""An outside contributor's pull request on the public mirror, brought back as a GitLab merge
request by the federation (`federation.comeback.pull_request_import`).

The outsider acts as a person would on GitHub: a localforge account, a fork of the mirror, a
branch pushed to the fork over git, and a pull request opened through the GitHub API.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import requests
from django.conf import settings

from federation import git
from federation.comeback import pull_request_import
from federation.git import GitCredentials
from federation.models import Mirror, PullRequestLink

OUTSIDER = ("olga-outside", "Olga Outside", "olga@example.net")
TITLE = "Add a FAQ for first-time users"
BRANCH = "add-faq"
FAQ = (
    "# FAQ\n\n**Does it run on a CPU?** Yes, slowly: pass `--device cpu`.\n\n"
    "**Which image sizes work?** Anything; images are resized to 640 pixels.\n"
)


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def _api(session, method: str, path: str, token: str, **body):
    response = session.request(
        method,
        f"{settings.GITHUB_API_URL}{path}",
        headers={"Authorization": f"token {token}"},
        json=body or None,
        timeout=30,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def outsider_token(session) -> str:
    """A fresh personal token of the outside contributor (created on localforge if needed)."""
    login, name, email = OUTSIDER
    admin = {"PRIVATE-TOKEN": settings.GITHUB_TOKEN}
    base = f"{settings.GITHUB_API_URL}/-/localforge/users"
    created = session.post(
        base, json={"username": login, "name": name, "email": email}, headers=admin, timeout=30
    )
    if created.status_code not in (201, 409):
        created.raise_for_status()
    response = session.post(f"{base}/{login}/tokens", json={"name": "demo"}, headers=admin,
                            timeout=30)  # fmt: skip
    response.raise_for_status()
    return response.json()["token"]


def _open_pr_number(session, mirror: Mirror) -> int | None:
    pulls = _api(session, "GET", f"/repos/{mirror.github_path}/pulls?state=open",
                 settings.GITHUB_TOKEN)  # fmt: skip
    for pr in pulls:
        if pr["title"] == TITLE:
            return pr["number"]
    return None


def _push_branch(fork_url: str, token: str, base_sha: str) -> None:
    """One commit on top of the public main, pushed to the fork's branch."""
    login, name, email = OUTSIDER
    creds = GitCredentials(login, token)
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "fork.git"
        git.run(["init", "--bare", "-q", "-b", "main", str(repo)])
        git.run(["fetch", "--quiet", "--end-of-options", fork_url, "+refs/heads/main:refs/heads/main"],
                repo=repo, credentials=creds)  # fmt: skip
        message = b"Add a FAQ for first-time users\n"
        data = FAQ.encode()
        stream = (
            f"commit refs/heads/{BRANCH}\n"
            f"author {name} <{email}> 1767225600 +0000\n"
            f"committer {name} <{email}> 1767225600 +0000\n".encode()
            + f"data {len(message)}\n".encode() + message
            + f"from {base_sha}\n".encode()
            + f"M 100644 inline docs/faq.md\ndata {len(data)}\n".encode() + data + b"\n\n"
        )  # fmt: skip
        git.run(["fast-import", "--quiet"], repo=repo, input=stream)
        git.run(["push", "--quiet", "--end-of-options", fork_url,
                 f"refs/heads/{BRANCH}:refs/heads/{BRANCH}"], repo=repo, credentials=creds)  # fmt: skip


def open_pull_request(mirror: Mirror) -> PullRequestLink:
    """Open (once) the outsider's pull request on the mirror and import it into GitLab."""
    link = PullRequestLink.objects.filter(project=mirror.project, title=TITLE).first()
    if link is not None:
        return link
    session = _session()
    number = _open_pr_number(session, mirror)
    if number is None:
        token = outsider_token(session)
        fork = _api(session, "POST", f"/repos/{mirror.github_path}/forks", token)
        main = _api(session, "GET", f"/repos/{mirror.github_path}/branches/{mirror.branch}",
                    token)  # fmt: skip
        _push_branch(fork["clone_url"], token, main["commit"]["sha"])
        pr = _api(session, "POST", f"/repos/{mirror.github_path}/pulls", token, title=TITLE,
                  head=f"{OUTSIDER[0]}:{BRANCH}", base=mirror.branch,
                  body="I tried the detector at a workshop; these answers would have helped.")  # fmt: skip
        number = pr["number"]
    return pull_request_import(project=mirror.project, number=number)
