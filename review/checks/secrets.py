"""Secrets: our own high-confidence rules, then detect-secrets' plugins, in process.

detect-secrets is built around files on disk and global settings, so we drive its plugins
directly: each plugin class is instantiated once per process, and we call ``analyze_string``
ourselves (never ``analyze_line``, which may verify a secret over the network when the global
settings ask for it). A cheap gate runs each plugin's own regex over the whole text first, and
only the lines it hits are analysed, so a file costs about one regex pass per plugin. The
default heuristic filters of ``detect-secrets scan`` are applied to the plugins' results.

Our rules take precedence on a line: a detect-secrets result that overlaps one of ours is
dropped, so one secret makes one finding. ``# pragma: allowlist secret`` is honoured for
detect-secrets' heuristic results only: an author cannot silence a token, key or password URL.
"""

from __future__ import annotations

import bisect
import itertools
import posixpath
import re
from collections.abc import Iterable
from functools import lru_cache

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters import allowlist, heuristic
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.plugins.keyword import (
    DENYLIST,
    QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP,
    REGEX_BY_FILETYPE,
    KeywordDetector,
)
from detect_secrets.util.filetype import determine_file_type

from .base import BLOCKER, Check, FindingData, TreeFile
from .gitsource import CommitInfo

_TEMPLATED = re.compile(r"^(?:\$\{.*\}|\{\{?.*\}\}?|<.*>|%\(.*\)s|%s|\$[A-Za-z_]\w*|[*xX]+)$")

OWN_RULES: tuple[tuple[str, str, re.Pattern[str], int], ...] = (
    (
        "gitlab-token",
        "GitLab token",
        re.compile(
            r"\b(?:glpat|gldt|glrt|glft|glsoat|gloas|glptt|glimt|glagent|glcbt)-"
            r"[0-9A-Za-z_\-]{20,}"
        ),
        0,
    ),
    (
        "github-token",
        "GitHub token",
        re.compile(r"\b(?:(?:ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        0,
    ),
    (
        "private-key",
        "private key",
        re.compile(
            r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP|SSH2 ENCRYPTED) )?"
            r"PRIVATE KEY(?: BLOCK)?-----[^\n]*\n?[^\n]{0,80}"
        ),
        0,
    ),
    (
        "aws-access-key",
        "AWS access key id",
        re.compile(r"(?<![A-Z0-9])((?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16})(?![A-Z0-9])"),
        1,
    ),
    (
        "aws-secret-key",
        "AWS secret access key",
        re.compile(
            r"(?i)aws.{0,20}?(?:secret|key|token|pass(?:word)?|pwd).{0,20}?[\"'=:\s]\s*[\"']?"
            r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        1,
    ),
    (
        "connection-string-password",
        "connection string with a password",
        re.compile(
            r"(?i)\b(?:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|"
            r"sqlserver|oracle|jdbc:[a-z]+)://[^:/?#@\s'\"]*:([^@/?#\s'\"]+)@[^\s/'\"?#]+"
        ),
        1,
    ),
)
_EXAMPLES = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def _is_example(value: str) -> bool:
    """AWS's documented example credentials (they end in EXAMPLE / EXAMPLEKEY)."""
    return value in _EXAMPLES or value.endswith(("EXAMPLE", "EXAMPLEKEY"))


_DOTENV = re.compile(r"^(?:\.env(?:\.[\w.-]+)?|[\w.-]+\.env)$")
_DOTENV_TEMPLATES = (".example", ".sample", ".template", ".tmpl", ".dist", ".defaults", ".schema")
_CREDENTIAL_NAMES = {
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    ".htpasswd",
    ".pgpass",
    ".netrc",
    "_netrc",
    ".git-credentials",
}
_CREDENTIAL_EXTS = {".p12", ".pfx", ".jks", ".keystore", ".kdbx", ".ppk"}

# detect-secrets' plugins only see lines up to this length: some of their regexes are
# quadratic on long lines (minified code, data). Our own rules, which are linear, see everything.
LONG_LINE = 4000
# Plugins whose regex needs a literal; skipping them when it is absent avoids their slow path.
_LITERAL_HINTS = {"NpmDetector": "_authToken"}


def _own_matches(text: str):
    """(rule, label, match, secret value) for our rules, placeholders and examples skipped."""
    for rule, label, regex, group in OWN_RULES:
        for m in regex.finditer(text):
            value = m.group(group)
            if rule == "connection-string-password" and _TEMPLATED.match(value):
                continue
            if _is_example(value):
                continue
            yield rule, label, m, value


class _Plugin:
    """A detect-secrets plugin with the whole-text gate that decides which lines to analyse."""

    def __init__(self, plugin):
        self.plugin = plugin
        self.rule = "ds/" + type(plugin).__name__
        self.label = plugin.secret_type
        if isinstance(plugin, HighEntropyStringsPlugin):
            self.gates = [plugin.regex]
            self.kind = "entropy"
        elif isinstance(plugin, KeywordDetector):
            self.gates = [re.compile("|".join(DENYLIST), re.IGNORECASE)]
            self.kind = "keyword"
        elif isinstance(plugin, RegexBasedDetector):
            self.gates = [re.compile(p.pattern, p.flags | re.MULTILINE) for p in plugin.denylist]
            self.kind = "regex"
        else:  # an unknown plugin type: analyse every line
            self.gates = []
            self.kind = "other"

    def candidate_lines(self, text: str, line_of) -> set[int] | None:
        if not self.gates:
            return None
        hint = _LITERAL_HINTS.get(type(self.plugin).__name__)
        if hint is not None and hint not in text:
            return set()
        lines: set[int] = set()
        for gate in self.gates:
            for m in gate.finditer(text):
                if self.kind == "entropy":
                    value = m.group(2)
                    if self.plugin.calculate_shannon_entropy(value) <= self.plugin.entropy_limit:
                        continue
                first, last = line_of(m.start()), line_of(max(m.start(), m.end() - 1))
                lines.update(range(first, last + 1))
        return lines

    def analyze(self, filename: str, line: str) -> Iterable[str]:
        if self.kind == "entropy":
            for value in self.plugin.analyze_string(line):
                if self.plugin.calculate_shannon_entropy(value) > self.plugin.entropy_limit:
                    yield value
        elif self.kind == "keyword":
            regexes = REGEX_BY_FILETYPE.get(
                determine_file_type(filename), QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP
            )
            yield from self.plugin.analyze_string(line, denylist_regex_to_group=regexes)
        else:
            yield from self.plugin.analyze_string(line)


@lru_cache(maxsize=8)
def _plugins(disabled: tuple[str, ...]) -> tuple[_Plugin, ...]:
    """Instantiate detect-secrets' bundled plugins once per process (specific ones first)."""
    classes = sorted(
        get_mapping_from_secret_type_to_class().values(),
        key=lambda c: (issubclass(c, (KeywordDetector, HighEntropyStringsPlugin)), c.__name__),
    )
    return tuple(_Plugin(cls()) for cls in classes if cls.__name__ not in disabled)


def _filtered(secret: str, line: str, plugin) -> bool:
    """detect-secrets' default heuristic filters (the ones ``scan`` enables by default)."""
    return (
        heuristic.is_sequential_string(secret)
        or heuristic.is_potential_uuid(secret)
        or heuristic.is_templated_secret(secret)
        or heuristic.is_prefixed_with_dollar_sign(secret)
        or heuristic.is_not_alphanumeric_string(secret)
        or heuristic.is_likely_id_string(secret, line, plugin)
    )


class _Snippet:
    def __init__(self, previous_line: str):
        self.previous_line = previous_line


def _allowlisted(filename: str, lines: list[str], number: int) -> bool:
    previous = lines[number - 2] if number >= 2 else ""
    return allowlist.is_line_allowlisted(filename, lines[number - 1], _Snippet(previous))


def redact(value: str) -> str:
    value = value.strip()
    return f"{value[:4]}… ({len(value)} chars)" if len(value) > 8 else "(short value)"


class SecretsCheck(Check):
    name = "secrets"
    rules_version = "secrets-1"
    default_severity = BLOCKER
    libraries = ("detect-secrets",)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.plugins = _plugins(tuple(ctx.config.secrets_disabled_plugins))

    def scan_file(self, f: TreeFile) -> Iterable[FindingData]:
        where = _where(f)
        base = posixpath.basename(f.path)
        if _DOTENV.match(base) and not base.endswith(_DOTENV_TEMPLATES):
            yield self.finding(
                "dotenv-file",
                f"committed environment file {base}{where}; it usually holds credentials",
                path=f.path,
                commit=f.commit,
            )
        ext = posixpath.splitext(base)[1].lower()
        if base in _CREDENTIAL_NAMES or ext in _CREDENTIAL_EXTS:
            yield self.finding(
                "credential-file",
                f"committed credential store {base}{where}",
                path=f.path,
                commit=f.commit,
            )
        if f.is_submodule or f.is_symlink:
            return
        text = f.text()
        if not text:
            return
        ours: dict[int, list[str]] = {}
        for rule, label, m, value in _own_matches(text):
            line = f.line_of(m.start(m.lastindex or 0))
            ours.setdefault(line, []).append(value)
            shown = "" if rule == "private-key" else f" {redact(value)}"
            yield self.finding(
                rule,
                f"{label}{shown}{where}",
                path=f.path,
                line=line,
                commit=f.commit,
                match=m.group(0) if rule == "private-key" else value,
            )
        if (
            heuristic.is_lock_file(f.path)
            or heuristic.is_swagger_file(f.path)
            or heuristic.is_non_text_file(f.path)
        ):
            return
        yield from self._plugins(f, text, ours, where)

    def scan_commit(self, commit: CommitInfo) -> Iterable[FindingData]:
        """Our own rules only: a token pasted into a commit message is published with it."""
        message = commit.message
        for rule, label, m, value in _own_matches(message):
            yield self.finding(
                rule,
                f"{label} {redact(value)} in the message of commit {commit.sha[:12]}",
                line=message.count("\n", 0, m.start(m.lastindex or 0)) + 1,
                commit=commit.sha,
                match="commit-message:" + value,
            )

    def _plugins(self, f: TreeFile, text: str, ours: dict[int, list[str]], where: str):
        lines = text.split("\n")
        if any(len(line) > LONG_LINE for line in lines):
            lines = [line if len(line) <= LONG_LINE else "" for line in lines]
            text = "\n".join(lines)
            starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))

            def line_of(offset: int) -> int:
                return bisect.bisect_right(starts, offset)

        else:
            line_of = f.line_of
        seen: dict[int, list[str]] = {k: list(v) for k, v in ours.items()}
        for p in self.plugins:
            candidates = p.candidate_lines(text, line_of)
            if candidates is not None and not candidates:
                continue
            numbers = sorted(candidates) if candidates is not None else range(1, len(lines) + 1)
            for number in numbers:
                if number > len(lines):
                    continue
                line = lines[number - 1].rstrip()
                if heuristic.is_indirect_reference(line):
                    continue
                for value in p.analyze(f.path, line):
                    if not value or _is_example(value) or _filtered(value, line, p.plugin):
                        continue
                    taken = seen.setdefault(number, [])
                    if any(value in v or v in value for v in taken):
                        continue
                    if _allowlisted(f.path, lines, number):
                        continue
                    taken.append(value)
                    yield self.finding(
                        p.rule,
                        f"{p.label} {redact(value)}{where} (detect-secrets)",
                        path=f.path,
                        line=number,
                        commit=f.commit,
                        match=value,
                    )


def _where(f: TreeFile) -> str:
    if f.in_tree:
        return ""
    short = (f.commit or "")[:12]
    return (
        f"; only in history (introduced in {short}), so it stays public unless history is rewritten"
    )
