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

_LABEL = r"(?>[a-z0-9-]{1,63})"  # atomic: no backtracking inside a label
_HOST_START = r"(?<![\w.@-])"
_HOST_END = r"(?![\w-]|\.[a-z0-9])"
_IPV4 = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\d|\.\d)")
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


def _glob_to_host_regex(glob: str) -> tuple[str, re.Pattern[str], bool]:
    """(the glob's longest literal piece, its regex, whether to check the TLD)."""
    pieces = glob.lower().split("*")
    parts = []
    for i, piece in enumerate(pieces):
        if i:
            parts.append(rf"{_LABEL}(?:\.{_LABEL})*")
        parts.append(re.escape(piece))
    body = "".join(parts)
    regex = re.compile(_HOST_START + "(" + body + ")" + _HOST_END, re.IGNORECASE)
    return max(pieces, key=len), regex, glob.endswith("*")


def _word_start(text: str, start: int) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")


class _Rules:
    """The compiled rules. Every regex runs only when a literal it needs is in the text
    (checked with ``in`` on the lowercased text), so most files cost a few substring scans."""

    def __init__(self, rules: LeakRules):
        self.hosts = [_glob_to_host_regex(g) for g in rules.host_globs if g.strip()]
        self.networks = [ipaddress.ip_network(n, strict=False) for n in rules.private_networks]
        self.domains = [d.lower() for d in rules.email_domains if d.strip()]
        alternatives = "|".join(re.escape(d) for d in self.domains)
        self.email = re.compile(
            rf"(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)*(?:{alternatives})(?![\w-]|\.\w)", re.IGNORECASE
        )
        self.staff = []
        for pattern in rules.staff_id_patterns:
            bounded = pattern.startswith(r"\b")  # checked by hand: keeps a literal prefix
            try:
                self.staff.append((re.compile(pattern[2:] if bounded else pattern), bounded))
            except re.error as exc:
                raise InvalidConfig(f"bad staff id pattern {pattern!r}: {exc}") from exc
        words = [w.lower() for w in rules.codenames if w.strip()]
        self.codename = _words(words, bounded=True) if words else None
        terms = [t.lower() for t in rules.terms if t.strip()]
        self.terms = _words(terms, bounded=False) if terms else None

    def matches(self, text: str) -> Iterator[tuple[str, int, str]]:
        """(rule, offset, matched text) for every hit, e-mail addresses before hostnames."""
        low = text.lower()
        taken: list[tuple[int, int]] = []
        if self.domains and "@" in text and any(d in low for d in self.domains):
            for m in self.email.finditer(text):
                taken.append(m.span())
                yield "internal-email", m.start(), m.group(0)
        for literal, regex, check_tld in self.hosts:
            if literal not in low:
                continue
            for m in regex.finditer(text):
                host = m.group(1)
                if check_tld and host.rsplit(".", 1)[-1].lower() not in TLDS:
                    continue
                if any(a <= m.start() < b for a, b in taken):
                    continue
                taken.append(m.span())
                yield "internal-host", m.start(), host
        if self.networks:
            for m in _IPV4.finditer(text):
                start = m.start()
                if start and (text[start - 1].isdigit() or text[start - 1] == "."):
                    continue
                try:
                    addr = ipaddress.IPv4Address(m.group(0))
                except ValueError:
                    continue
                if any(addr in net for net in self.networks):
                    yield "private-ip", start, m.group(0)
        for regex, bounded in self.staff:
            for m in regex.finditer(text):
                if not bounded or _word_start(text, m.start()):
                    yield "staff-id", m.start(), m.group(0)
        for rule, words in (("codename", self.codename), ("confidential-term", self.terms)):
            if words is None:
                continue
            plain, folded, literals = words
            if not any(w in low for w in literals):
                continue
            same = len(low) == len(text)  # lower() can change lengths, and so offsets
            for m in plain.finditer(low) if same else folded.finditer(text):
                yield rule, m.start(), text[m.start() : m.end()]


def _words(words: list[str], *, bounded: bool):
    body = "|".join(re.escape(w) for w in words)
    if bounded:
        body = rf"(?<!\w)(?:{body})(?!\w)"
    return re.compile(body), re.compile(body, re.IGNORECASE), words


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
