"""The publish rules of a project as plain values: which paths stay inside, and the public
identity of each internal address. Read once per publish or sync, then used by the rewrite.

Path patterns are anchored at the repository root: `dir/` is a folder, a plain path is that
file or folder, and a pattern with `*`, `?` or `[` is a glob over the whole path (`*` crosses
`/`). Author mapping: a known person's address becomes their `public_email`, else a noreply
address (`<login>@users.noreply.github.com` when their GitHub login is known, else
`<id>+<name>@<NOREPLY_DOMAIN>`); an unknown address in an internal domain becomes a noreply
address too; outside addresses (contributors from GitHub) stay as they are.
"""

from __future__ import annotations

import fnmatch
import hashlib
import re
from dataclasses import dataclass, field

from django.conf import settings

GITHUB_NOREPLY = "users.noreply.github.com"
DEFAULT_NOREPLY_DOMAIN = "users.noreply.invalid"
DEFAULT_RELEASE_IDENTITY = "Open Source Program Office <ospo@users.noreply.invalid>"
_GLOB = re.compile(r"[*?\[]")
_SLUG = re.compile(r"[^a-z0-9]+")
_IDENT = re.compile(r"\A(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>\Z")


@dataclass(frozen=True)
class Rules:
    excluded: tuple[str, ...] = ()
    map_authors: bool = False
    # lower-case internal address -> (public name or "" to keep, public address)
    authors: dict[str, tuple[str, str]] = field(default_factory=dict, hash=False, compare=False)
    internal_domains: frozenset[str] = frozenset()
    tag_pattern: str = ""
    noreply: str = DEFAULT_NOREPLY_DOMAIN

    @property
    def rewrites(self) -> bool:
        """Whether published commits are rewritten copies (else pushed as they are)."""
        return bool(self.excluded) or self.map_authors

    def is_excluded(self, path: str) -> bool:
        return path_excluded(path, self.excluded)

    def identity(self, name: str, email: str) -> tuple[str, str]:
        """The public (name, email) for an internal one."""
        if not self.map_authors:
            return name, email
        key = email.strip().lower()
        if key in self.authors:
            public_name, public_email = self.authors[key]
            return public_name or name, public_email
        domain = key.rpartition("@")[2]
        if domain and domain in self.internal_domains:
            digest = hashlib.sha256(key.encode()).hexdigest()[:12]
            return name, f"{digest}@{self.noreply}"
        return name, email

    def tag_wanted(self, name: str) -> bool:
        return bool(self.tag_pattern) and fnmatch.fnmatchcase(name, self.tag_pattern)

    def fingerprint(self) -> str:
        """Changes whenever the output of the rewrite could change."""
        raw = repr((self.excluded, self.map_authors, sorted(self.authors.items())))
        return hashlib.sha256(raw.encode()).hexdigest()[:16]


def path_excluded(path: str, patterns) -> bool:
    for pattern in patterns:
        pattern = pattern.strip().lstrip("/")
        if not pattern:
            continue
        if _GLOB.search(pattern):
            if fnmatch.fnmatchcase(path, pattern.rstrip("/")) or fnmatch.fnmatchcase(
                path, pattern.rstrip("/") + "/*"
            ):
                return True
            continue
        folder = pattern.rstrip("/")
        if path == folder and not pattern.endswith("/") or path.startswith(folder + "/"):
            return True
    return False


def noreply_domain() -> str:
    return getattr(settings, "NOREPLY_DOMAIN", DEFAULT_NOREPLY_DOMAIN) or DEFAULT_NOREPLY_DOMAIN


def release_identity() -> tuple[str, str]:
    """(name, email) of the snapshot commits, from settings.RELEASE_IDENTITY ("Name <email>")."""
    raw = getattr(settings, "RELEASE_IDENTITY", "") or DEFAULT_RELEASE_IDENTITY
    m = _IDENT.match(raw.strip())
    if not m or "@" not in m["email"]:
        raise ValueError(f"RELEASE_IDENTITY must look like 'Name <email>', not {raw!r}")
    return m["name"] or "Release", m["email"]


def noreply_for(person, github_login: str | None) -> str:
    if github_login:
        return f"{github_login}@{GITHUB_NOREPLY}"
    slug = _SLUG.sub("-", person.name.lower()).strip("-")[:40] or "person"
    return f"{person.pk}+{slug}@{noreply_domain()}"


def author_map() -> tuple[dict[str, tuple[str, str]], frozenset[str]]:
    """Every known internal address -> the person's public identity, and the internal domains
    (those of people's primary addresses, plus settings.INTERNAL_EMAIL_DOMAINS)."""
    from people.models import Identity, Person

    logins: dict[int, str] = {}
    for person_id, login in Identity.objects.filter(
        kind=Identity.Kind.GITHUB, person__isnull=False
    ).values_list("person_id", "value"):
        logins.setdefault(person_id, login)
    people = {p.pk: p for p in Person.objects.all().only("pk", "name", "email", "public_email")}
    public = {
        pk: (p.name, p.public_email.strip() or noreply_for(p, logins.get(pk)))
        for pk, p in people.items()
    }
    mapping: dict[str, tuple[str, str]] = {}
    for pk, p in people.items():
        mapping[p.email.lower()] = public[pk]
    for person_id, value in Identity.objects.filter(
        kind=Identity.Kind.EMAIL, person__isnull=False
    ).values_list("person_id", "value"):
        if person_id in public:
            mapping.setdefault(value.lower(), public[person_id])
    domains = {p.email.lower().rpartition("@")[2] for p in people.values() if "@" in p.email}
    domains |= {d.lower() for d in getattr(settings, "INTERNAL_EMAIL_DOMAINS", ())}
    # a person's own public address is never "internal", even in an internal domain
    return mapping, frozenset(d for d in domains if d)


def rules_for(project) -> Rules:
    """The project's rules (defaults when it has none recorded)."""
    from federation.models import PublishRules

    record = PublishRules.objects.filter(project=project).first()
    if record is None:
        record = PublishRules(project=project)
    excluded = tuple(p.strip() for p in record.excluded_paths or () if p and p.strip())
    authors, domains = author_map() if record.map_authors else ({}, frozenset())
    return Rules(
        excluded=excluded,
        map_authors=record.map_authors,
        authors=authors,
        internal_domains=domains,
        tag_pattern=record.tag_pattern.strip(),
        noreply=noreply_domain(),
    )
