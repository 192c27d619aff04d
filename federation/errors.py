"""Typed errors of the git plumbing (federation.git, federation.repos).

Forge API errors live in federation.forges.errors. Every message and `stderr` here has already
been scrubbed of credentials by federation.git.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "GitAuthError",
    "GitError",
    "GitNotFound",
    "GitTimeout",
    "RefNotFound",
    "RepoLocked",
    "classify_git_stderr",
]


class GitError(Exception):
    """git failed. `stderr` and the message are scrubbed of credentials."""

    def __init__(
        self,
        message: str,
        *,
        args: Sequence[str] = (),
        returncode: int | None = None,
        stderr: str = "",
    ):
        super().__init__(message)
        self.cmd = list(args)
        self.returncode = returncode
        self.stderr = stderr


class GitTimeout(GitError):
    """The call ran past its timeout and was killed."""


class GitAuthError(GitError):
    """The remote refused our credentials (or asked for some we did not give)."""


class GitNotFound(GitError):
    """The remote repository (or local git dir) does not exist."""


class RefNotFound(GitError):
    """A ref, revision or object named in the call does not exist."""


class RepoLocked(GitError):
    """Another process held the repository's lock past the lock timeout."""


_AUTH_PATTERNS = re.compile(
    r"authentication failed|could not read (username|password)|terminal prompts disabled"
    r"|returned error: 40[13]\b|http 40[13]\b",
    re.IGNORECASE,
)
_NOT_FOUND_PATTERNS = re.compile(
    r"repository '[^']*' not found|repository not found|does not appear to be a git repository"
    r"|not a git repository|returned error: 404\b|http 404\b",
    re.IGNORECASE,
)
_REF_PATTERNS = re.compile(
    r"couldn't find remote ref|unknown revision|bad revision|not a valid object name"
    r"|needed a single revision|bad object|not a valid ref|ambiguous argument|invalid object name"
    r"|src refspec .* does not match any",
    re.IGNORECASE,
)


def classify_git_stderr(stderr: str) -> type[GitError]:
    if _AUTH_PATTERNS.search(stderr):
        return GitAuthError
    if _NOT_FOUND_PATTERNS.search(stderr):
        return GitNotFound
    if _REF_PATTERNS.search(stderr):
        return RefNotFound
    return GitError
