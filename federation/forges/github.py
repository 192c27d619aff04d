"""The GitHub adapter, on PyGithub (the only module that imports it).

Works with github.com (`https://api.github.com`) and GitHub Enterprise (`https://host/api/v3`).
PyGithub is built with our own urllib3 Retry (federation.forges.http.ForgeRetry) instead of its
default, so it never sleeps for an hour inside a request. `license` on create is passed as
`license_template`, which makes GitHub commit a LICENSE file: leave it None when the history
to be pushed already carries one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import requests
from github import Auth, Github, GithubException
from github.GithubException import (
    BadCredentialsException,
    RateLimitExceededException,
    UnknownObjectException,
)

from federation.forges.base import (
    CloneInfo,
    Comment,
    ForgeProject,
    ForgeUser,
    Hook,
    MergeRequest,
    ProjectRef,
    Ref,
    Visibility,
)
from federation.forges.errors import NotFound, RateLimited, Unauthorized, Unavailable
from federation.forges.http import (
    ForgeRetry,
    rate_limit_wait,
    settings_kwargs,
    status_error,
    translating,
)

__all__ = ["GitHubForge", "get_github"]

MAINTAIN_ROLES = frozenset({"admin", "maintain"})
# Our event vocabulary -> GitHub's (a GitHub push event covers tags too).
_EVENTS = {
    "push": "push",
    "tag_push": "push",
    "merge_request": "pull_request",
    "note": "issue_comment",
}


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    parts = [str(data.get("message") or exc.message or "")]
    for err in data.get("errors") or ():
        if isinstance(err, dict):
            parts.append(str(err.get("message") or err.get("code") or ""))
    return "; ".join(p for p in parts if p)


def _translate(exc: Exception):
    if isinstance(exc, BadCredentialsException):
        return Unauthorized(f"401: {_message(exc)}", status=401)
    if isinstance(exc, RateLimitExceededException):
        wait = rate_limit_wait(exc.status, exc.headers or {}) or 60.0
        return RateLimited(f"{exc.status}: {_message(exc)}", retry_after=wait, status=exc.status)
    if isinstance(exc, UnknownObjectException):
        return NotFound(f"404: {_message(exc)}", status=404)
    if isinstance(exc, GithubException):
        return status_error(exc.status, _message(exc), exc.headers)
    if isinstance(exc, requests.RequestException):
        return Unavailable(f"GitHub unreachable: {type(exc).__name__}")
    return None


_translated = translating(_translate)


def _project(r) -> ForgeProject:
    visibility = getattr(r, "visibility", None) or ("private" if r.private else "public")
    return ForgeProject(
        id=r.id,
        path=r.full_name,
        name=r.name,
        description=r.description or "",
        homepage=r.homepage or "",
        topics=tuple(r.topics or ()),
        license=r.license.spdx_id if r.license else None,
        visibility=visibility,
        default_branch=r.default_branch,
        web_url=r.html_url or "",
        clone_url=r.clone_url or "",
        archived=bool(r.archived),
    )


def _pull(p) -> MergeRequest:
    merged = bool(p.merged)
    head_repo = p.head.repo
    return MergeRequest(
        id=p.id,
        number=p.number,
        title=p.title or "",
        state="merged" if merged else p.state,
        source_branch=p.head.ref,
        target_branch=p.base.ref,
        description=p.body or "",
        author=p.user.login if p.user else "",
        head_sha=p.head.sha,
        merge_sha=p.merge_commit_sha if merged else None,
        web_url=p.html_url or "",
        source_project=head_repo.full_name if head_repo else None,
    )


def _hook(h) -> Hook:
    events = tuple(sorted({e for e, gh in _EVENTS.items() if gh in (h.events or ())}))
    return Hook(id=h.id, url=(h.config or {}).get("url", ""), events=events, active=bool(h.active))


class GitHubForge:
    """GitHub REST v3 through PyGithub. `url` is the API root (api.github.com or GHE /api/v3);
    `org` is where create_project puts repositories by default."""

    kind = "github"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        org: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        seconds_between_requests: float | None = 0.25,
        seconds_between_writes: float | None = 1.0,
        git_username: str = "x-access-token",
    ) -> None:
        self.url = url.rstrip("/")
        self.org = org
        self._token = token
        self.git_username = git_username
        self._gh = Github(
            auth=Auth.Token(token),
            base_url=self.url,
            timeout=int(timeout),
            per_page=100,
            retry=ForgeRetry(max_retries, max_wait=max_wait, sleep=sleep),
            user_agent="osp-federation",
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
            lazy=True,  # objects load on first attribute access: no GET before each sub-call
        )

    def __repr__(self) -> str:
        return f"GitHubForge({self.url!r})"

    def _repo(self, project: ProjectRef):
        return self._gh.get_repo(project)

    # -- projects --------------------------------------------------------------------------

    @_translated
    def get_project(self, project: ProjectRef) -> ForgeProject:
        return _project(self._repo(project))

    @_translated
    def list_projects(
        self, *, user: str | None = None, maintained_only: bool = False
    ) -> list[ForgeProject]:
        """The token owner's repositories, or the org repositories `user` can see/maintain."""
        if user is None:
            repos = list(self._gh.get_user().get_repos())
            if maintained_only:
                repos = [
                    r
                    for r in repos
                    if r.permissions and (r.permissions.admin or r.permissions.maintain)
                ]
            return [_project(r) for r in repos]
        if not self.org:
            raise ValueError("list_projects(user=...) needs the adapter's org")
        out = []
        for r in self._gh.get_organization(self.org).get_repos():
            role = self._role(r, user)
            if role in MAINTAIN_ROLES or (not maintained_only and role not in (None, "none")):
                out.append(_project(r))
        return out

    def _role(self, repo, username: str) -> str | None:
        try:
            return repo.get_collaborator_role_name(username)
        except KeyError:  # an older server without role_name: fall back to the permission
            return repo.get_collaborator_permission(username)
        except UnknownObjectException:
            return None

    @_translated
    def get_user(self, username: str) -> ForgeUser:
        u = self._gh.get_user(username)
        return ForgeUser(u.id, u.login, u.name or "", u.email)

    @_translated
    def is_maintainer(self, project: ProjectRef, username: str) -> bool:
        try:
            return self._role(self._repo(project), username) in MAINTAIN_ROLES
        except UnknownObjectException:
            return False

    @_translated
    def create_project(
        self,
        namespace: str,
        name: str,
        *,
        description: str = "",
        homepage: str = "",
        topics: Sequence[str] = (),
        license: str | None = None,
        visibility: Visibility = "private",
    ) -> ForgeProject:
        kwargs: dict[str, Any] = {
            "description": description,
            "homepage": homepage,
            "private": visibility != "public",
            "visibility": visibility,
        }
        if license:
            kwargs["license_template"] = license.lower()
        repo = self._gh.get_organization(namespace).create_repo(name, **kwargs)
        if topics:
            repo.replace_topics(list(topics))
        return _project(self._repo(repo.full_name))

    @_translated
    def update_project(
        self,
        project: ProjectRef,
        *,
        description: str | None = None,
        homepage: str | None = None,
        topics: Sequence[str] | None = None,
        visibility: Visibility | None = None,
    ) -> ForgeProject:
        repo = self._repo(project)
        kwargs: dict[str, Any] = {}
        if description is not None:
            kwargs["description"] = description
        if homepage is not None:
            kwargs["homepage"] = homepage
        if visibility is not None:
            kwargs["visibility"] = visibility
        if kwargs:
            repo.edit(**kwargs)
        if topics is not None:
            repo.replace_topics(list(topics))
        return _project(self._repo(project))

    # -- refs ------------------------------------------------------------------------------

    @_translated
    def list_branches(self, project: ProjectRef) -> list[Ref]:
        return [Ref(b.name, b.commit.sha, "branch") for b in self._repo(project).get_branches()]

    @_translated
    def list_tags(self, project: ProjectRef) -> list[Ref]:
        return [Ref(t.name, t.commit.sha, "tag") for t in self._repo(project).get_tags()]

    @_translated
    def list_refs(self, project: ProjectRef) -> list[Ref]:
        refs = []
        for r in self._repo(project).get_git_refs():
            for prefix, kind in (("refs/heads/", "branch"), ("refs/tags/", "tag")):
                if r.ref.startswith(prefix):
                    refs.append(Ref(r.ref.removeprefix(prefix), r.object.sha, kind))
        return refs

    # -- hooks -----------------------------------------------------------------------------

    @_translated
    def list_hooks(self, project: ProjectRef) -> list[Hook]:
        return [_hook(h) for h in self._repo(project).get_hooks()]

    @_translated
    def ensure_hook(
        self,
        project: ProjectRef,
        url: str,
        secret: str,
        *,
        events: Sequence[str] = ("push", "tag_push", "merge_request"),
    ) -> Hook:
        unknown = set(events) - set(_EVENTS)
        if unknown:
            raise ValueError(f"unknown hook events: {sorted(unknown)}")
        gh_events = sorted({_EVENTS[e] for e in events})
        config = {"url": url, "content_type": "json", "secret": secret, "insecure_ssl": "0"}
        repo = self._repo(project)
        same = [h for h in repo.get_hooks() if (h.config or {}).get("url") == url]
        if not same:
            return _hook(repo.create_hook("web", config, gh_events, active=True))
        for extra in same[1:]:
            extra.delete()
        same[0].edit("web", config, events=gh_events, active=True)
        return _hook(same[0])

    @_translated
    def delete_hook(self, project: ProjectRef, hook_id: int) -> None:
        self._repo(project).get_hook(hook_id).delete()

    # -- pull requests ---------------------------------------------------------------------

    @_translated
    def open_merge_request(
        self,
        project: ProjectRef,
        *,
        source_branch: str,
        target_branch: str,
        title: str,
        description: str = "",
    ) -> MergeRequest:
        pr = self._repo(project).create_pull(
            base=target_branch, head=source_branch, title=title, body=description
        )
        return _pull(pr)

    @_translated
    def get_merge_request(self, project: ProjectRef, number: int) -> MergeRequest:
        return _pull(self._repo(project).get_pull(number))

    @_translated
    def merge_merge_request(
        self, project: ProjectRef, number: int, *, message: str | None = None
    ) -> MergeRequest:
        repo = self._repo(project)
        kwargs = {"commit_message": message} if message else {}
        repo.get_pull(number).merge(**kwargs)
        return _pull(repo.get_pull(number))

    @_translated
    def close_merge_request(self, project: ProjectRef, number: int) -> MergeRequest:
        repo = self._repo(project)
        repo.get_pull(number).edit(state="closed")
        return _pull(repo.get_pull(number))

    @_translated
    def comment_merge_request(self, project: ProjectRef, number: int, body: str) -> Comment:
        c = self._repo(project).get_pull(number).create_issue_comment(body)
        return Comment(c.id, c.body or body, c.user.login if c.user else "")

    # -- git access ------------------------------------------------------------------------

    def clone_info(self, project: ProjectRef) -> CloneInfo:
        return CloneInfo(self.get_project(project).clone_url, self.git_username, self._token)


def get_github(token: str | None = None, **kwargs: Any) -> GitHubForge:
    """The GitHub adapter configured from settings (GITHUB_API_URL, GITHUB_TOKEN, GITHUB_ORG,
    FORGE_*)."""
    from django.conf import settings

    defaults = {"org": settings.GITHUB_ORG, **settings_kwargs(settings)}
    return GitHubForge(
        settings.GITHUB_API_URL, token or settings.GITHUB_TOKEN, **{**defaults, **kwargs}
    )
