"""Leaks of internal information: hostnames, private addresses, internal e-mail, staff ids,
project codenames and classification markings, in file contents, paths and commit messages.

The rules are data (``LeakRules`` in config.py, overridable per run). Hostname globs are
compiled into regexes that run over the whole text; a glob ending in ``*`` only matches when
the hostname's last label is a plausible top-level domain, so ``self.corp.settings`` in code is
not a host while ``git.corp.example.com`` is. IPv4 candidates are parsed with ``ipaddress``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator

from .base import HIGH, Check, FindingData, TreeFile
from .config import LeakRules
from .errors import InvalidConfig
from .gitsource import CommitInfo

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST_START = r"(?<![\w.@-])"
_HOST_END = r"(?![\w-]|\.[a-z0-9])"
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?!\d|\.\d)")
TLDS = frozenset(
    [
        "com",
        "net",
        "org",
        "edu",
        "gov",
        "mil",
        "int",
        "io",
        "co",
        "kr",
        "jp",
        "cn",
        "tw",
        "hk",
        "sg",
        "de",
        "uk",
        "fr",
        "nl",
        "eu",
        "us",
        "ca",
        "au",
        "in",
        "ru",
        "br",
        "ch",
        "se",
        "no",
        "fi",
        "dk",
        "it",
        "es",
        "be",
        "at",
        "pl",
        "cz",
        "ai",
        "dev",
        "app",
        "cloud",
        "info",
        "biz",
        "me",
        "tech",
        "site",
        "online",
        "xyz",
        "local",
        "lan",
        "internal",
        "intra",
        "intranet",
        "corp",
        "home",
        "arpa",
        "test",
        "example",
        "invalid",
        "localdomain",
    ]
)

RULE_LABELS = {
    "internal-host": "internal hostname",
    "private-ip": "private IP address",
    "internal-email": "internal e-mail address",
    "staff-id": "staff id",
    "codename": "project codename",
    "confidential-term": "classification marking",
}


def _glob_to_host_regex(glob: str) -> tuple[re.Pattern[str], bool]:
    parts = []
    for i, piece in enumerate(glob.lower().split("*")):
        if i:
            parts.append(rf"{_LABEL}(?:\.{_LABEL})*")
        parts.append(re.escape(piece))
    body = "".join(parts)
    return re.compile(_HOST_START + "(" + body + ")" + _HOST_END, re.IGNORECASE), glob.endswith("*")


class _Rules:
    def __init__(self, rules: LeakRules):
        self.hosts = [_glob_to_host_regex(g) for g in rules.host_globs if g.strip()]
        self.networks = [ipaddress.ip_network(n, strict=False) for n in rules.private_networks]
        domains = "|".join(re.escape(d.lower()) for d in rules.email_domains if d.strip())
        self.email = (
            re.compile(
                rf"(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)*(?:{domains})(?![\w-]|\.\w)", re.IGNORECASE
            )
            if domains
            else None
        )
        try:
            self.staff = [re.compile(p) for p in rules.staff_id_patterns]
        except re.error as exc:
            raise InvalidConfig(f"bad staff id pattern: {exc}") from exc
        words = [w for w in rules.codenames if w.strip()]
        self.codename = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)", re.IGNORECASE
            )
            if words
            else None
        )
        terms = [t for t in rules.terms if t.strip()]
        self.terms = (
            re.compile("|".join(re.escape(t) for t in terms), re.IGNORECASE) if terms else None
        )

    def matches(self, text: str) -> Iterator[tuple[str, int, str]]:
        """(rule, offset, matched text) for every hit, e-mail addresses before hostnames."""
        taken: list[tuple[int, int]] = []
        if self.email is not None:
            for m in self.email.finditer(text):
                taken.append(m.span())
                yield "internal-email", m.start(), m.group(0)
        for regex, check_tld in self.hosts:
            for m in regex.finditer(text):
                host = m.group(1)
                if check_tld and host.rsplit(".", 1)[-1].lower() not in TLDS:
                    continue
                if any(a <= m.start() < b for a, b in taken):
                    continue
                taken.append(m.span())
                yield "internal-host", m.start(), host
        if self.networks and "." in text:
            for m in _IPV4.finditer(text):
                try:
                    addr = ipaddress.IPv4Address(m.group(0))
                except ValueError:
                    continue
                if any(addr in net for net in self.networks):
                    yield "private-ip", m.start(), m.group(0)
        for regex in self.staff:
            for m in regex.finditer(text):
                yield "staff-id", m.start(), m.group(0)
        if self.codename is not None:
            for m in self.codename.finditer(text):
                yield "codename", m.start(), m.group(0)
        if self.terms is not None:
            for m in self.terms.finditer(text):
                yield "confidential-term", m.start(), m.group(0)


class LeaksCheck(Check):
    name = "leaks"
    rules_version = "leaks-1"
    default_severity = HIGH

    def __init__(self, ctx):
        super().__init__(ctx)
        self.rules = _Rules(ctx.config.leaks)

    def scan_file(self, f: TreeFile) -> Iterable[FindingData]:
        history = "" if f.in_tree else f" (only in history, introduced in {(f.commit or '')[:12]})"
        for rule, _, value in self.rules.matches(f.path):
            yield self.finding(
                rule,
                f"{RULE_LABELS[rule]} {value!r} in the file path{history}",
                path=f.path,
                commit=f.commit,
                match="path:" + value.lower(),
            )
        if f.is_submodule:
            return
        text = f.text()
        if not text:
            return
        for rule, offset, value in self.rules.matches(text):
            yield self.finding(
                rule,
                f"{RULE_LABELS[rule]} {value!r}{history}",
                path=f.path,
                line=f.line_of(offset),
                commit=f.commit,
                match=value.lower(),
            )

    def scan_commit(self, commit: CommitInfo) -> Iterable[FindingData]:
        message = commit.message
        for rule, offset, value in self.rules.matches(message):
            yield self.finding(
                rule,
                f"{RULE_LABELS[rule]} {value!r} in the message of commit {commit.sha[:12]}",
                path=None,
                line=message.count("\n", 0, offset) + 1,
                commit=commit.sha,
                match="commit-message:" + value.lower(),
            )
