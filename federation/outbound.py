"""Git traffic with the two forges for the federation services: the only place that pushes to
GitHub (every update through the guard), plus fetches and ref listings.

Git failures that will likely pass (the forge answered 5xx or 429, the connection dropped, a
timeout, a busy lock) become TransientGitError so the Celery task retries them; a rejected
update (not a fast-forward) becomes PushRejected; anything else stays a GitError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from federation import git, guard, repos
from federation.errors import GitError, GitTimeout, RepoLocked

_TRANSIENT = re.compile(
    r"returned error: (5\d\d|429)|http (5\d\d|429)|rpc failed|connection (refused|reset|timed out)"
    r"|could not resolve host|failed to connect|operation timed out|remote end hung up"
    r"|unexpected disconnect|early eof|empty reply|rate limit",
    re.IGNORECASE,
)


class TransientGitError(GitError):
    """A git call failed for a reason that should pass (retry later)."""


class PushRejected(GitError):
    """The forge refused a ref update (e.g. not a fast-forward)."""


@dataclass(frozen=True)
class RefUpdate:
    ref: str  # full ref on GitHub
    internal_sha: str
    public_sha: str


def github_credentials() -> git.GitCredentials:
    return git.GitCredentials(
        getattr(settings, "GITHUB_GIT_USERNAME", "x-access-token"), settings.GITHUB_TOKEN
    )


def gitlab_credentials() -> git.GitCredentials:
    return git.GitCredentials(
        getattr(settings, "GITLAB_GIT_USERNAME", "oauth2"), settings.GITLAB_TOKEN
    )


def classify(exc: GitError) -> GitError:
    if isinstance(exc, (GitTimeout, RepoLocked, TransientGitError)):
        return exc
    text = f"{exc} {exc.stderr}"
    if _TRANSIENT.search(text):
        err = TransientGitError(
            str(exc), args=exc.cmd, returncode=exc.returncode, stderr=exc.stderr
        )
        err.__cause__ = exc
        return err
    return exc


def push_public(
    *,
    project,
    mirror,
    updates: list[RefUpdate],
    force: bool = False,
    tag_pattern="",
    before_send=None,
):
    """Push `updates` to the project's GitHub repository, each one checked by the guard first
    (GuardRefused: nothing is pushed). `before_send` is called between the guard and git (work
    that may overlap the transfer). Returns repos.PushedRef per ref."""
    if not updates:
        return []
    for u in updates:
        guard.check(
            project=project,
            mirror=mirror,
            ref=u.ref,
            internal_sha=u.internal_sha,
            public_sha=u.public_sha,
            tag_pattern=tag_pattern,
        )
    specs = [f"{u.public_sha}:{u.ref}" for u in updates]
    if before_send is not None:
        before_send()
    try:
        return repos.push(project.key, public_url(mirror), github_credentials(), specs, force=force)
    except GitError as exc:
        pushed = getattr(exc, "pushed", None) or []
        if any(p.flag == "!" for p in pushed):
            err = PushRejected(str(exc), args=exc.cmd, returncode=exc.returncode, stderr=exc.stderr)
            err.pushed = pushed
            raise err from exc
        raise classify(exc) from exc


def public_url(mirror) -> str:
    if mirror.clone_url:
        return mirror.clone_url
    base = settings.GITHUB_API_URL.rstrip("/")
    if base.endswith("/api/v3"):
        base = base[: -len("/api/v3")]
    elif base.startswith("https://api.github.com"):
        base = "https://github.com"
    return f"{base}/{mirror.github_path}.git"


def internal_url(project) -> str:
    return project.clone_url


def ls_public(mirror) -> dict[str, str]:
    try:
        return repos.ls_remote(public_url(mirror), github_credentials())
    except GitError as exc:
        raise classify(exc) from exc


def fetch_public(project, mirror, refspecs: list[str]) -> None:
    """Fetch from GitHub into the project's mirror, under refs/osp/github/ (never refs/heads)."""
    for spec in refspecs:
        dst = spec.rpartition(":")[2]
        if not dst.startswith("refs/osp/"):
            raise ValueError("public refs are fetched under refs/osp/ only")
        git.validate_refspec(spec)
    url = git.validate_remote_url(public_url(mirror))
    try:
        git.run(
            ["fetch", "--no-tags", "--quiet", "--end-of-options", url, *refspecs],
            repo=repos.mirror_path(project.key),
            credentials=github_credentials(),
        )
    except GitError as exc:
        raise classify(exc) from exc


def ensure_public_history(project, mirror, repo) -> bool:
    """Make sure our public copies are in this worker's cache (another worker may have made
    them): fetch GitHub's branch when the last copy we pushed is missing here. True if fetched."""
    if not mirror.public_sha or has_commit(repo, mirror.public_sha):
        return False
    fetch_public(
        project, mirror, [f"+refs/heads/{mirror.branch}:refs/osp/github/heads/{mirror.branch}"]
    )
    return True


def push_internal(project, specs: list[str], *, force: bool = False):
    """Push from the mirror to the project's GitLab repository (imports come back this way)."""
    try:
        return repos.push(
            project.key, internal_url(project), gitlab_credentials(), specs, force=force
        )
    except GitError as exc:
        raise classify(exc) from exc


def is_ancestor(repo, ancestor: str, descendant: str) -> bool:
    if ancestor == descendant:
        return True
    res = git.run(
        ["merge-base", "--is-ancestor", git.validate_sha(ancestor), git.validate_sha(descendant)],
        repo=repo,
        check=False,
    )
    if res.returncode not in (0, 1):
        res.check()
    return res.returncode == 0


def has_commit(repo, sha: str) -> bool:
    res = git.run(["cat-file", "-e", f"{git.validate_sha(sha)}^{{commit}}"], repo=repo, check=False)
    return res.returncode == 0
