"""Pure parsers from webhook bodies to small frozen values.

They read only what the service uses, check its type and shape (full shas, valid ref names),
and raise PayloadError for anything else, never KeyError/TypeError. No I/O, no settings.
Signature checks and delivery deduplication belong to the webhook views, not here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from federation.forges.errors import PayloadError
from federation.gitrefs import InvalidRef, validate_ref

__all__ = [
    "ZERO_SHA",
    "MergeRequestEvent",
    "PayloadError",
    "PushCommit",
    "PushEvent",
    "parse_github_pull_request",
    "parse_github_push",
    "parse_gitlab_merge_request",
    "parse_gitlab_push",
]

ZERO_SHA = "0" * 40
_SHA = re.compile(r"\A[0-9a-f]{40}(?:[0-9a-f]{24})?\Z")
_MISSING = object()


@dataclass(frozen=True)
class PushCommit:
    id: str
    message: str
    timestamp: str
    author_name: str
    author_email: str
    url: str = ""
    added: tuple[str, ...] = ()
    modified: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class PushEvent:
    forge: str  # "gitlab" | "github"
    ref: str  # full ref: refs/heads/x or refs/tags/x
    before: str
    after: str
    project_id: int | None
    project_path: str
    commits: tuple[PushCommit, ...]
    total_commits: int
    pusher: str  # username (GitLab) / login or name (GitHub)
    clone_url: str = ""
    default_branch: str | None = None

    @property
    def created(self) -> bool:
        return self.before == ZERO_SHA

    @property
    def deleted(self) -> bool:
        return self.after == ZERO_SHA

    @property
    def is_tag(self) -> bool:
        return self.ref.startswith("refs/tags/")

    @property
    def short_ref(self) -> str:
        return self.ref.removeprefix("refs/heads/").removeprefix("refs/tags/")


@dataclass(frozen=True)
class MergeRequestEvent:
    forge: str
    action: str  # GitLab: open/update/merge/close/reopen...; GitHub: opened/closed/synchronize...
    id: int
    number: int
    title: str
    description: str
    state: str  # "open" | "closed" | "merged" | "locked"
    source_branch: str
    target_branch: str
    head_sha: str | None
    merge_sha: str | None
    project_id: int | None
    project_path: str  # target project
    source_project_path: str | None  # None when the fork was deleted
    author: str
    url: str = ""

    @property
    def merged(self) -> bool:
        return self.state == "merged"

    @property
    def from_fork(self) -> bool:
        return self.source_project_path not in (None, self.project_path)


# -- helpers -------------------------------------------------------------------------------


def _load(body: bytes | str | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(body, Mapping):
        data = body
    elif isinstance(body, (bytes, bytearray, str)):
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:  # deep nesting too
            raise PayloadError(f"payload is not JSON: {str(exc)[:200]}") from None
    else:
        raise PayloadError(f"payload of type {type(body).__name__}")
    if not isinstance(data, Mapping):
        raise PayloadError("payload is not a JSON object")
    return data


def _get(data: Any, path: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
    """`data["a"]["b"]` for path "a.b", checked against `kind` (None passes if default is None)."""
    node = data
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            if default is not _MISSING:
                return default
            raise PayloadError(f"missing {path}")
        node = node[key]
    if node is None and default is None:
        return None
    if kind is int and isinstance(node, bool) or not isinstance(node, kind):
        if default is not _MISSING and node is None:
            return default
        raise PayloadError(f"{path} has type {type(node).__name__}")
    if isinstance(node, str) and not _storable(node):
        raise PayloadError(f"{path} holds NUL or unpaired surrogates")
    return node


def _storable(text: str) -> bool:
    """What the database can keep (PostgreSQL text and jsonb: UTF-8 without NUL)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _sha(data: Any, path: str, *, optional: bool = False) -> str | None:
    value = _get(data, path, str, None if optional else _MISSING)
    if value is None:
        return None
    if not _SHA.match(value):
        raise PayloadError(f"{path} is not a full sha")
    return value


def _ref(value: str, what: str) -> str:
    try:
        return validate_ref(value)
    except InvalidRef as exc:
        raise PayloadError(f"{what} is not a valid ref name: {exc}") from None


def _paths(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    items = _get(data, key, list, [])
    if not all(isinstance(p, str) for p in items):
        raise PayloadError(f"commit {key} must be a list of paths")
    if not all(_storable(p) for p in items):
        raise PayloadError(f"commit {key} holds NUL or unpaired surrogates")
    return tuple(items)


def _commits(data: Mapping[str, Any]) -> tuple[PushCommit, ...]:
    raw = _get(data, "commits", list, [])
    commits = []
    for c in raw:
        if not isinstance(c, Mapping):
            raise PayloadError("commit is not an object")
        commits.append(
            PushCommit(
                id=_sha(c, "id"),
                message=_get(c, "message", str, ""),
                timestamp=_get(c, "timestamp", str, ""),
                author_name=_get(c, "author.name", str, ""),
                author_email=_get(c, "author.email", str, ""),
                url=_get(c, "url", str, ""),
                added=_paths(c, "added"),
                modified=_paths(c, "modified"),
                removed=_paths(c, "removed"),
            )
        )
    return tuple(commits)


def _full_ref(ref: str) -> str:
    if not ref.startswith("refs/"):
        raise PayloadError("ref must be a full ref name (refs/...)")
    return _ref(ref, "ref")


# -- GitLab --------------------------------------------------------------------------------


def parse_gitlab_push(body: bytes | str | Mapping[str, Any]) -> PushEvent:
    """A GitLab "Push Hook" or "Tag Push Hook" body."""
    data = _load(body)
    kind = _get(data, "object_kind", str)
    if kind not in ("push", "tag_push"):
        raise PayloadError(f"not a push event: {kind}")
    commits = _commits(data)
    return PushEvent(
        forge="gitlab",
        ref=_full_ref(_get(data, "ref", str)),
        before=_sha(data, "before"),
        after=_sha(data, "after"),
        project_id=_get(data, "project_id", int, None) or _get(data, "project.id", int, None),
        project_path=_get(data, "project.path_with_namespace", str),
        commits=commits,
        total_commits=_get(data, "total_commits_count", int, len(commits)),
        pusher=_get(data, "user_username", str, "") or _get(data, "user_name", str, ""),
        clone_url=_get(data, "project.git_http_url", str, ""),
        default_branch=_get(data, "project.default_branch", str, None),
    )


_GITLAB_MR_STATES = {"opened": "open", "closed": "closed", "merged": "merged", "locked": "locked"}


def parse_gitlab_merge_request(body: bytes | str | Mapping[str, Any]) -> MergeRequestEvent:
    """A GitLab "Merge Request Hook" body."""
    data = _load(body)
    if _get(data, "object_kind", str) != "merge_request":
        raise PayloadError("not a merge request event")
    attrs = _get(data, "object_attributes", Mapping)
    state = _GITLAB_MR_STATES.get(_get(attrs, "state", str))
    if state is None:
        raise PayloadError(f"unknown merge request state {attrs.get('state')!r}")
    return MergeRequestEvent(
        forge="gitlab",
        action=_get(attrs, "action", str, ""),
        id=_get(attrs, "id", int),
        number=_get(attrs, "iid", int),
        title=_get(attrs, "title", str, ""),
        description=_get(attrs, "description", str, "") or "",
        state=state,
        source_branch=_ref(_get(attrs, "source_branch", str), "source_branch"),
        target_branch=_ref(_get(attrs, "target_branch", str), "target_branch"),
        head_sha=_sha(attrs, "last_commit.id", optional=True),
        merge_sha=_sha(attrs, "merge_commit_sha", optional=True),
        project_id=_get(data, "project.id", int, None),
        project_path=_get(data, "project.path_with_namespace", str),
        source_project_path=_get(attrs, "source.path_with_namespace", str, None),
        author=_get(data, "user.username", str, ""),
        url=_get(attrs, "url", str, ""),
    )


# -- GitHub --------------------------------------------------------------------------------


def parse_github_push(body: bytes | str | Mapping[str, Any]) -> PushEvent:
    """A GitHub `push` event body (X-GitHub-Event: push)."""
    data = _load(body)
    commits = _commits(data)
    return PushEvent(
        forge="github",
        ref=_full_ref(_get(data, "ref", str)),
        before=_sha(data, "before"),
        after=_sha(data, "after"),
        project_id=_get(data, "repository.id", int, None),
        project_path=_get(data, "repository.full_name", str),
        commits=commits,
        total_commits=len(commits),
        pusher=_get(data, "sender.login", str, "") or _get(data, "pusher.name", str, ""),
        clone_url=_get(data, "repository.clone_url", str, ""),
        default_branch=_get(data, "repository.default_branch", str, None),
    )


def parse_github_pull_request(body: bytes | str | Mapping[str, Any]) -> MergeRequestEvent:
    """A GitHub `pull_request` event body (X-GitHub-Event: pull_request)."""
    data = _load(body)
    pr = _get(data, "pull_request", Mapping)
    state = _get(pr, "state", str)
    if state not in ("open", "closed"):
        raise PayloadError(f"unknown pull request state {state!r}")
    if state == "closed" and _get(pr, "merged", bool, False):
        state = "merged"
    return MergeRequestEvent(
        forge="github",
        action=_get(data, "action", str),
        id=_get(pr, "id", int),
        number=_get(pr, "number", int),
        title=_get(pr, "title", str, ""),
        description=_get(pr, "body", str, "") or "",
        state=state,
        source_branch=_ref(_get(pr, "head.ref", str), "head.ref"),
        target_branch=_ref(_get(pr, "base.ref", str), "base.ref"),
        head_sha=_sha(pr, "head.sha"),
        merge_sha=_sha(pr, "merge_commit_sha", optional=True) if state == "merged" else None,
        project_id=_get(data, "repository.id", int, None),
        project_path=_get(data, "repository.full_name", str),
        source_project_path=_get(pr, "head.repo.full_name", str, None),
        author=_get(pr, "user.login", str, ""),
        url=_get(pr, "html_url", str, ""),
    )
