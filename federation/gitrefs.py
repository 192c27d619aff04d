"""Validation of what the service hands to git: ref names, object ids and remote URLs.

Everything here is pure Python and runs before a git process is started, so a value coming from
a webhook, a forge or a user can never become an option (`--upload-pack=...`), a transport
(`ext::`, `file://`) or a host we do not trust.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = [
    "DisallowedURL",
    "InvalidRef",
    "InvalidSha",
    "allowed_git_hosts",
    "allowed_git_origins",
    "git_host_for_api",
    "validate_ref",
    "validate_refspec",
    "validate_remote_url",
    "validate_sha",
]


class InvalidRef(ValueError):
    """A ref name git would refuse (or that could be read as an option)."""


class InvalidSha(ValueError):
    """Not a full hexadecimal object id."""


class DisallowedURL(ValueError):
    """A remote URL outside the configured forges, or with a transport we never use."""


# Characters git refuses anywhere in a ref (check-ref-format rules 4 and 5).
_FORBIDDEN_CHARS = frozenset(" ~^:?*[\\\x7f")
_SHA_RE = re.compile(r"\A(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})\Z")


def validate_ref(name: str, *, allow_onelevel: bool = True) -> str:
    """Return `name` if it is a valid ref name, else raise InvalidRef.

    Implements `git check-ref-format [--allow-onelevel]`, plus one rule of our own: a name may not
    begin with `-`, so it can never be taken for an option.
    """
    if not isinstance(name, str) or not name:
        raise InvalidRef("empty ref name")
    if name.startswith("-"):
        raise InvalidRef("ref name may not begin with '-'")
    if name == "@":
        raise InvalidRef("ref name may not be '@'")
    if "@{" in name:
        raise InvalidRef("ref name may not contain '@{'")
    if ".." in name:
        raise InvalidRef("ref name may not contain '..'")
    for ch in name:
        if ord(ch) < 0x20 or ch in _FORBIDDEN_CHARS:
            raise InvalidRef(f"ref name may not contain {ch!r}")
    if name.startswith("/") or name.endswith("/") or "//" in name:
        raise InvalidRef("ref name may not begin or end with '/' or contain '//'")
    if name.endswith("."):
        raise InvalidRef("ref name may not end with '.'")
    components = name.split("/")
    for part in components:
        if part.startswith("."):
            raise InvalidRef("ref component may not begin with '.'")
        if part.endswith(".lock"):
            raise InvalidRef("ref component may not end with '.lock'")
    if len(components) < 2 and not allow_onelevel:
        raise InvalidRef("ref name needs at least one '/'")
    return name


def validate_sha(sha: str) -> str:
    """Return the full object id in lower case, else raise InvalidSha (no abbreviations)."""
    if not isinstance(sha, str) or not _SHA_RE.match(sha):
        raise InvalidSha("not a full object id")
    return sha.lower()


def validate_refspec(spec: str) -> str:
    """A push/fetch refspec `[+]<src>:<dst>`: src a ref or full sha (or empty, to delete),
    dst a full ref under refs/. Patterns (`*`) are allowed once per side, as in git."""
    if not isinstance(spec, str) or not spec:
        raise InvalidRef("empty refspec")
    body = spec[1:] if spec.startswith("+") else spec
    src, sep, dst = body.partition(":")
    if not sep:
        raise InvalidRef("refspec needs '<src>:<dst>'")
    if not dst.startswith("refs/"):
        raise InvalidRef("refspec destination must be a full ref under refs/")
    if src.count("*") != dst.count("*") or dst.count("*") > 1:
        raise InvalidRef("refspec patterns must match on both sides")
    _validate_ref_or_pattern(dst)
    if src and not _SHA_RE.match(src):
        _validate_ref_or_pattern(src)
    return spec


def _validate_ref_or_pattern(name: str) -> None:
    validate_ref(name.replace("*", "x", 1) if name.count("*") == 1 else name)


def git_host_for_api(api_url: str) -> str:
    """The `host[:port]` that serves git for a forge API URL.

    api.github.com serves the API of github.com; GitHub Enterprise serves `/api/v3` on the same
    host as git; GitLab (also under a path prefix) serves both on one host.
    """
    parts = urlsplit(api_url)
    host = (parts.hostname or "").lower()
    if host == "api.github.com":
        host = "github.com"
    port = parts.port or _default_port(parts.scheme)
    return f"{host}:{port}"


def allowed_git_hosts() -> frozenset[str]:
    """`host:port` of every configured forge, from settings (plus GIT_EXTRA_HOSTS if set)."""
    from django.conf import settings

    urls = [
        getattr(settings, "GITLAB_URL", ""),
        getattr(settings, "GITHUB_API_URL", ""),
        *getattr(settings, "GIT_EXTRA_HOSTS", ()),
    ]
    return frozenset(git_host_for_api(u) for u in urls if u)


def allowed_git_origins() -> frozenset[str]:
    """`scheme://host:port` of every configured forge: the scheme counts too, so a URL cannot
    downgrade an https forge to plain http on the same port."""
    from django.conf import settings

    urls = [
        getattr(settings, "GITLAB_URL", ""),
        getattr(settings, "GITHUB_API_URL", ""),
        *getattr(settings, "GIT_EXTRA_HOSTS", ()),
    ]
    return frozenset(f"{urlsplit(u).scheme}://{git_host_for_api(u)}" for u in urls if u)


def validate_remote_url(url: str, *, allowed_hosts: Iterable[str] | None = None) -> str:
    """Return `url` if it is a plain http(s) URL on a configured forge, else raise DisallowedURL.

    Refused: other transports (`file://`, `ssh://`, `ext::`, scp-like `git@host:path`, local
    paths), credentials in the URL, query strings and fragments, whitespace and control
    characters, and any host:port that is not a configured forge.
    """
    if not isinstance(url, str) or not url:
        raise DisallowedURL("empty URL")
    if url.startswith("-") or any(ord(c) < 0x21 or c in "\x7f\\" for c in url):
        raise DisallowedURL("URL contains a leading '-', whitespace, '\\' or control characters")
    if "::" in url.split("/", 1)[0]:
        raise DisallowedURL("git remote helpers (<transport>::<address>) are not allowed")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DisallowedURL("malformed URL") from exc
    if parts.scheme not in ("http", "https"):
        raise DisallowedURL("only http and https remotes are allowed")
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise DisallowedURL("credentials in the URL are not allowed")
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise DisallowedURL("query strings and fragments are not allowed")
    if not parts.hostname:
        raise DisallowedURL("URL has no host")
    hostport = f"{parts.hostname.lower()}:{port or _default_port(parts.scheme)}"
    allowed = allowed_git_hosts() if allowed_hosts is None else frozenset(allowed_hosts)
    if hostport not in allowed:
        raise DisallowedURL(f"host {hostport} is not a configured forge")
    if allowed_hosts is None and f"{parts.scheme}://{hostport}" not in allowed_git_origins():
        # e.g. http://github.com:443/...: the forge's host and port, but the token in clear text
        raise DisallowedURL(f"{parts.scheme} is not the configured scheme of {hostport}")
    return url


def _default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80
