"""Validation of every name that comes from a client: paths, logins, refs, shas.

Nothing that fails these checks may reach the filesystem or a git command line.
Repositories are stored by numeric id, so names never become file paths; the checks
are there so that odd input is refused early and clearly (HTTP 400).
"""

import re

# GitLab: "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-',
# end in '.git' or end in '.atom'". We are a little stricter: no '..' anywhere.
_PATH_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$")
# GitLab display names: letters, digits, emoji, '_', '.', '+', dashes or spaces.
_DISPLAY_RE = re.compile(r"^[\w][\w .+\-()']{0,254}$")
# GitHub repository names.
_GH_REPO_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,100}$")
# Logins (users, orgs) on both sides.
_LOGIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9_.\-]{0,38})$")
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_TOPIC_RE = re.compile(r"^[a-z0-9][a-z0-9\-]{0,49}$")
_EMAIL_RE = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")

ZERO_SHA = "0" * 40

# Top-level names that would collide with API or web routes.
RESERVED_LOGINS = frozenset(
    {
        "-",
        "api",
        "app",
        "apps",
        "admin",
        "dashboard",
        "explore",
        "gists",
        "groups",
        "help",
        "issues",
        "meta",
        "notifications",
        "orgs",
        "organizations",
        "projects",
        "rate_limit",
        "repos",
        "repositories",
        "search",
        "user",
        "users",
        "uploads",
    }
)


def valid_path(value) -> bool:
    """A GitLab group/project path segment."""
    return (
        isinstance(value, str)
        and bool(_PATH_RE.match(value))
        and ".." not in value
        and not value.endswith((".git", ".atom", "."))
    )


def valid_display_name(value) -> bool:
    return isinstance(value, str) and bool(_DISPLAY_RE.match(value)) and ".." not in value


def valid_gh_repo(value) -> bool:
    return (
        isinstance(value, str)
        and bool(_GH_REPO_RE.match(value))
        and ".." not in value
        and value not in (".", "-")
        and not value.lower().endswith(".git")
    )


def valid_login(value) -> bool:
    return (
        isinstance(value, str)
        and bool(_LOGIN_RE.match(value))
        and ".." not in value
        and not value.endswith(".")
        and value.lower() not in RESERVED_LOGINS
    )


def valid_sha(value) -> bool:
    return isinstance(value, str) and bool(_SHA_RE.match(value))


def valid_topic(value) -> bool:
    return isinstance(value, str) and bool(_TOPIC_RE.match(value))


def valid_email(value) -> bool:
    return isinstance(value, str) and len(value) < 255 and bool(_EMAIL_RE.match(value))


def valid_branch(value) -> bool:
    """A branch or tag short name, following git check-ref-format rules."""
    if not isinstance(value, str) or not value or len(value) > 255:
        return False
    if value.startswith(("-", "/", ".")) or value.endswith(("/", ".", ".lock")):
        return False
    if ".." in value or "//" in value or "@{" in value or value == "@" or "/." in value:
        return False
    return not any(c in value for c in " ~^:?*[\\\x7f") and all(ord(c) >= 32 for c in value)


def valid_rev(value) -> bool:
    """Something a client may name a commit by: a sha, a branch, a tag or refs/..."""
    if valid_sha(value):
        return True
    if isinstance(value, str) and re.match(r"^[0-9a-f]{4,40}$", value):
        return True
    return valid_branch(value)


def slugify(name: str) -> str:
    """GitLab derives a path from a name: lowercase, dashes for anything else."""
    slug = re.sub(r"[^a-z0-9_.\-]+", "-", name.strip().lower())
    slug = re.sub(r"\.{2,}", ".", slug).strip("-.")
    return slug


def parse_date(value) -> int | None:
    """An ISO 8601 date or time (as both forges accept) as a Unix timestamp; None if empty.

    Raises ValueError for anything else. Naive times are taken as UTC.
    """
    import datetime

    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not a date")
    text = value.strip().replace(" ", "T", 1) if "T" not in value else value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return int(moment.timestamp())
