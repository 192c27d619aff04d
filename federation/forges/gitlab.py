"""The GitLab adapter, on python-gitlab (the only module that imports it).

Works with gitlab.com and self-hosted GitLab, also under a path prefix (`https://host/gitlab`).
Retries and rate limits go through federation.forges.http.ForgeRetry; python-gitlab's own
retrying is switched off. GitLab has no homepage field, and reports (never takes) a license:
`create_project`/`update_project` ignore those two.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import gitlab
import requests
from gitlab.exceptions import GitlabAuthenticationError, GitlabError

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
from federation.forges.errors import NotFound, Unauthorized, Unavailable
from federation.forges.http import (
    ForgeRetry,
    retrying_session,
    settings_kwargs,
    status_error,
    translating,
)

__all__ = ["GitLabForge", "get_gitlab", "merge_request_from_gitlab", "project_from_gitlab"]

MAINTAINER = 40
_EVENT_FLAGS = {
    "push": "push_events",
    "tag_push": "tag_push_events",
    "merge_request": "merge_requests_events",
    "note": "note_events",
}
_MR_STATES = {"opened": "open", "closed": "closed", "merged": "merged", "locked": "locked"}


def _translate(exc: Exception):
    if isinstance(exc, GitlabAuthenticationError):
        return Unauthorized(f"401: {exc.error_message}", status=401)
    if isinstance(exc, GitlabError):
        return status_error(exc.response_code, str(exc.error_message))
    if isinstance(exc, requests.RequestException):
        return Unavailable(f"GitLab unreachable: {type(exc).__name__}")
    return None


_translated = translating(_translate)


def project_from_gitlab(a: Mapping[str, Any]) -> ForgeProject:
    """A GitLab v4 project body as a ForgeProject."""
    license_ = a.get("license") or {}
    return ForgeProject(
        id=int(a["id"]),
        path=a["path_with_namespace"],
        name=a.get("name") or a.get("path", ""),
        description=a.get("description") or "",
        topics=tuple(a.get("topics") or a.get("tag_list") or ()),
        license=license_.get("key") if isinstance(license_, Mapping) else None,
        visibility=a.get("visibility") or "private",
        default_branch=a.get("default_branch"),
        web_url=a.get("web_url") or "",
        clone_url=a.get("http_url_to_repo") or "",
        archived=bool(a.get("archived", False)),
    )


def merge_request_from_gitlab(a: Mapping[str, Any]) -> MergeRequest:
    """A GitLab v4 merge request body as a MergeRequest."""
    return MergeRequest(
        id=int(a["id"]),
        number=int(a["iid"]),
        title=a.get("title") or "",
        state=_MR_STATES.get(a.get("state"), a.get("state") or "open"),
        source_branch=a["source_branch"],
        target_branch=a["target_branch"],
        description=a.get("description") or "",
        author=(a.get("author") or {}).get("username", ""),
        head_sha=a.get("sha"),
        merge_sha=a.get("merge_commit_sha") or a.get("squash_commit_sha"),
        web_url=a.get("web_url") or "",
    )


def _hook(a: Mapping[str, Any]) -> Hook:
    events = tuple(e for e, flag in _EVENT_FLAGS.items() if a.get(flag))
    return Hook(id=int(a["id"]), url=a["url"], events=events, active=not a.get("disabled_until"))


class GitLabForge:
    """GitLab v4 through python-gitlab. `url` is the instance root (with any path prefix)."""

    kind = "gitlab"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        ssl_verify: bool | str = True,
        git_username: str = "oauth2",
    ) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.git_username = git_username
        retry = ForgeRetry(max_retries, max_wait=max_wait, sleep=sleep)
        session = retrying_session(retry)
        self._gl = gitlab.Gitlab(
            self.url,
            private_token=token,
            timeout=timeout,
            per_page=100,
            ssl_verify=ssl_verify,
            session=session,
            retry_transient_errors=False,
            keep_base_url=True,
            user_agent="osp-federation",
        )

    def __repr__(self) -> str:
        return f"GitLabForge({self.url!r})"

    def _project(self, project: ProjectRef):
        return self._gl.projects.get(project, lazy=True)

    # -- projects --------------------------------------------------------------------------

    @_translated
    def get_project(self, project: ProjectRef) -> ForgeProject:
        return project_from_gitlab(self._gl.projects.get(project, license=True).attributes)

    @_translated
    def list_projects(
        self, *, user: str | None = None, maintained_only: bool = False
    ) -> list[ForgeProject]:
        """The token owner's projects, or `user`'s through admin impersonation (sudo)."""
        kwargs: dict[str, Any] = {"membership": True, "iterator": True}
        if maintained_only:
            kwargs["min_access_level"] = MAINTAINER
        if user is not None:
            kwargs["sudo"] = user
        return [project_from_gitlab(p.attributes) for p in self._gl.projects.list(**kwargs)]

    @_translated
    def get_user(self, username: str) -> ForgeUser:
        for u in self._gl.users.list(username=username, iterator=True):
            if u.attributes.get("username", "").lower() == username.lower():
                a = u.attributes
                return ForgeUser(int(a["id"]), a["username"], a.get("name", ""), a.get("email"))
        raise NotFound(f"404: no GitLab user {username!r}", status=404)

    @_translated
    def is_maintainer(self, project: ProjectRef, username: str) -> bool:
        try:
            user = self.get_user(username)
            member = self._project(project).members_all.get(user.id)
        except NotFound:
            return False
        except GitlabError as exc:
            if exc.response_code == 404:
                return False
            raise
        return int(member.attributes.get("access_level", 0)) >= MAINTAINER

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
        group = self._gl.groups.get(namespace)
        data = {
            "name": name,
            "path": name,
            "namespace_id": group.id,
            "description": description,
            "visibility": visibility,
            "topics": list(topics),
        }
        return project_from_gitlab(self._gl.projects.create(data).attributes)

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
        data: dict[str, Any] = {}
        if description is not None:
            data["description"] = description
        if topics is not None:
            data["topics"] = list(topics)
        if visibility is not None:
            data["visibility"] = visibility
        if data:
            self._gl.projects.update(project, data)
        return self.get_project(project)

    # -- refs ------------------------------------------------------------------------------

    @_translated
    def list_branches(self, project: ProjectRef) -> list[Ref]:
        branches = self._project(project).branches.list(iterator=True)
        return [Ref(b.name, b.commit["id"], "branch") for b in branches]

    @_translated
    def list_tags(self, project: ProjectRef) -> list[Ref]:
        tags = self._project(project).tags.list(iterator=True)
        return [Ref(t.name, t.commit["id"], "tag") for t in tags]

    @_translated
    def list_refs(self, project: ProjectRef) -> list[Ref]:
        p = self._project(project)
        refs = [Ref(b.name, b.commit["id"], "branch") for b in p.branches.list(iterator=True)]
        for t in p.tags.list(iterator=True):
            refs.append(Ref(t.name, t.attributes.get("target") or t.commit["id"], "tag"))
        return refs

    # -- hooks -----------------------------------------------------------------------------

    @_translated
    def list_hooks(self, project: ProjectRef) -> list[Hook]:
        return [_hook(h.attributes) for h in self._project(project).hooks.list(iterator=True)]

    @_translated
    def ensure_hook(
        self,
        project: ProjectRef,
        url: str,
        secret: str,
        *,
        events: Sequence[str] = ("push", "tag_push", "merge_request"),
    ) -> Hook:
        unknown = set(events) - set(_EVENT_FLAGS)
        if unknown:
            raise ValueError(f"unknown hook events: {sorted(unknown)}")
        p = self._project(project)
        data = {"url": url, "token": secret, "enable_ssl_verification": True}
        data.update({flag: event in events for event, flag in _EVENT_FLAGS.items()})
        same = [h for h in p.hooks.list(iterator=True) if h.attributes.get("url") == url]
        if not same:
            return _hook(p.hooks.create(data).attributes)
        for extra in same[1:]:
            p.hooks.delete(extra.id)
        p.hooks.update(same[0].id, data)
        return _hook(p.hooks.get(same[0].id).attributes)

    @_translated
    def delete_hook(self, project: ProjectRef, hook_id: int) -> None:
        self._project(project).hooks.delete(hook_id)

    # -- merge requests --------------------------------------------------------------------

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
        data = {
            "source_branch": source_branch,
            "target_branch": target_branch,
            "title": title,
            "description": description,
        }
        mr = self._project(project).mergerequests.create(data)
        return merge_request_from_gitlab(mr.attributes)

    @_translated
    def get_merge_request(self, project: ProjectRef, number: int) -> MergeRequest:
        return merge_request_from_gitlab(
            self._project(project).mergerequests.get(number).attributes
        )

    @_translated
    def merge_merge_request(
        self, project: ProjectRef, number: int, *, message: str | None = None
    ) -> MergeRequest:
        mr = self._project(project).mergerequests.get(number, lazy=True)
        mr.merge(merge_commit_message=message)
        return self.get_merge_request(project, number)

    @_translated
    def close_merge_request(self, project: ProjectRef, number: int) -> MergeRequest:
        self._project(project).mergerequests.update(number, {"state_event": "close"})
        return self.get_merge_request(project, number)

    @_translated
    def comment_merge_request(self, project: ProjectRef, number: int, body: str) -> Comment:
        mr = self._project(project).mergerequests.get(number, lazy=True)
        a = mr.notes.create({"body": body}).attributes
        return Comment(
            int(a["id"]), a.get("body", body), (a.get("author") or {}).get("username", "")
        )

    # -- git access ------------------------------------------------------------------------

    def clone_info(self, project: ProjectRef) -> CloneInfo:
        return CloneInfo(self.get_project(project).clone_url, self.git_username, self._token)


def get_gitlab(token: str | None = None, **kwargs: Any) -> GitLabForge:
    """The GitLab adapter configured from settings (GITLAB_URL, GITLAB_TOKEN, FORGE_*)."""
    from django.conf import settings

    return GitLabForge(
        settings.GITLAB_URL,
        token or settings.GITLAB_TOKEN,
        **{**settings_kwargs(settings), **kwargs},
    )
