"""What the service needs from a forge, as a typed Protocol, and the small frozen values it returns.

`gitlab.py` (python-gitlab) and `github.py` (PyGithub) implement it; nothing else imports those
libraries. A project is addressed by its numeric id or its full path (`group/sub/name` on
GitLab, `org/name` on GitHub). Merge requests and pull requests are both `MergeRequest`, by
their per-project number (GitLab iid, GitHub number).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "CloneInfo",
    "Comment",
    "Forge",
    "ForgeProject",
    "ForgeUser",
    "Hook",
    "MergeRequest",
    "ProjectRef",
    "Ref",
    "Visibility",
]

Visibility = Literal["public", "internal", "private"]
ProjectRef = int | str
MRState = Literal["open", "closed", "merged", "locked"]


@dataclass(frozen=True)
class ForgeUser:
    id: int
    username: str
    name: str = ""
    email: str | None = None


@dataclass(frozen=True)
class ForgeProject:
    id: int
    path: str  # full path: "group/sub/name" or "org/name"
    name: str
    description: str = ""
    homepage: str = ""
    topics: tuple[str, ...] = ()
    license: str | None = None  # SPDX id when the forge reports one
    visibility: Visibility = "private"
    default_branch: str | None = None
    web_url: str = ""
    clone_url: str = ""  # http(s) git URL, no credentials
    archived: bool = False

    @property
    def namespace(self) -> str:
        return self.path.rpartition("/")[0]


@dataclass(frozen=True)
class Ref:
    name: str  # short name: "main", "v1.0"
    sha: str
    kind: Literal["branch", "tag"]

    @property
    def full_name(self) -> str:
        return ("refs/heads/" if self.kind == "branch" else "refs/tags/") + self.name


@dataclass(frozen=True)
class Hook:
    id: int
    url: str
    events: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True)
class MergeRequest:
    id: int
    number: int  # GitLab iid / GitHub number
    title: str
    state: MRState
    source_branch: str
    target_branch: str
    description: str = ""
    author: str = ""
    head_sha: str | None = None
    merge_sha: str | None = None
    web_url: str = ""
    source_project: str | None = None  # full path of the fork, when it is one


@dataclass(frozen=True)
class Comment:
    id: int
    body: str
    author: str = ""


@dataclass(frozen=True)
class CloneInfo:
    """Where to fetch/push and with what; the token never goes into the URL."""

    url: str
    username: str
    token: str = field(repr=False)


@runtime_checkable
class Forge(Protocol):
    kind: str  # "gitlab" | "github"

    # projects
    def get_project(self, project: ProjectRef) -> ForgeProject: ...

    def list_projects(
        self, *, user: str | None = None, maintained_only: bool = False
    ) -> list[ForgeProject]:
        """Projects `user` can see (maintains, with maintained_only); the token owner's
        when user is None."""
        ...

    def is_maintainer(self, project: ProjectRef, username: str) -> bool:
        """GitLab: access level >= 40 (members/all, inherited included);
        GitHub: admin or maintain role."""
        ...

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
    ) -> ForgeProject: ...

    def update_project(
        self,
        project: ProjectRef,
        *,
        description: str | None = None,
        homepage: str | None = None,
        topics: Sequence[str] | None = None,
        visibility: Visibility | None = None,
    ) -> ForgeProject: ...

    # refs
    def list_branches(self, project: ProjectRef) -> list[Ref]: ...

    def list_tags(self, project: ProjectRef) -> list[Ref]: ...

    def list_refs(self, project: ProjectRef) -> list[Ref]:
        """Branches and tags as git sees them: an annotated tag's sha is the tag object's
        (as in `git ls-remote` and the bare mirror), a branch's is its commit."""
        ...

    # hooks
    def ensure_hook(
        self,
        project: ProjectRef,
        url: str,
        secret: str,
        *,
        events: Sequence[str] = ("push", "tag_push", "merge_request"),
    ) -> Hook:
        """Install a webhook; the same URL again updates the existing hook (never a second).
        Events: "push", "tag_push", "merge_request", "note" (GitHub: push, pull_request,
        issue_comment; a GitHub push hook also carries tags)."""
        ...

    def list_hooks(self, project: ProjectRef) -> list[Hook]: ...

    def delete_hook(self, project: ProjectRef, hook_id: int) -> None: ...

    # merge / pull requests
    def open_merge_request(
        self,
        project: ProjectRef,
        *,
        source_branch: str,
        target_branch: str,
        title: str,
        description: str = "",
    ) -> MergeRequest: ...

    def get_merge_request(self, project: ProjectRef, number: int) -> MergeRequest: ...

    def merge_merge_request(
        self, project: ProjectRef, number: int, *, message: str | None = None
    ) -> MergeRequest: ...

    def close_merge_request(self, project: ProjectRef, number: int) -> MergeRequest: ...

    def comment_merge_request(self, project: ProjectRef, number: int, body: str) -> Comment: ...

    # git access
    def clone_info(self, project: ProjectRef) -> CloneInfo: ...

    def get_user(self, username: str) -> ForgeUser: ...
