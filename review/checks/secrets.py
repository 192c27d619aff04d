"""Secrets: our own high-confidence rules, then detect-secrets' plugins (ds_plugins.py).

Our rules take precedence on a line: a detect-secrets result that overlaps one of ours is
dropped, so one secret makes one finding. ``# pragma: allowlist secret`` is honoured for
detect-secrets' heuristic results only: an author cannot silence a token, key or password URL.
Messages never carry the secret (``redact``); fingerprints hash it.

Our regexes start with a literal (``gl``, ``gh``, ``A``, ``://``...) so the regex engine can
skip ahead; word boundaries and URL schemes are checked on the few hits instead.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .base import BLOCKER, Check, FindingData, TreeFile
from .ds_plugins import load_plugins, scan_text, skip_file
from .gitsource import CommitInfo


def _word_start(text: str, start: int) -> bool:
    return start == 0 or not (text[start - 1].isalnum() or text[start - 1] == "_")


# the scheme right before "://", with driver suffixes (postgresql+psycopg2, mongodb+srv) and
# prefixes (sqla+mysql)
_SCHEME = re.compile(
    r"(?i)(?<![\w.-])(?:postgres(?:ql)?|mysql|mariadb|mongodb|rediss?|amqps?|mssql|sqlserver|"
    r"oracle|jdbc:[a-z]+)(?:\+[\w-]+)*\Z"
)
_TEMPLATED = re.compile(
    r"^(?:\$\{.*\}|\{\{?.*\}\}?|<.*>|\[.*\]?|%\(.*\)s|%s|\$[A-Za-z_]\w*|[*xX.]+|"
    r"(?i:password|passwd|pass|pwd|pw|secret))$"
)  # templates and documentation placeholders ("redis://:secret@", "[USER:PASSWORD@]")


def _db_scheme(text: str, start: int) -> bool:
    return _SCHEME.search(text, max(0, start - 40), start) is not None


@dataclass(frozen=True)
class Rule:
    rule: str
    label: str
    regex: re.Pattern[str]
    group: int = 0
    accept: Callable[[str, int], bool] | None = None  # (text, match start) -> keep?


OWN_RULES: tuple[Rule, ...] = (
    Rule(
        "gitlab-token",
        "GitLab token",
        re.compile(r"gl(?:pat|dt|rt|ft|soat|oas|ptt|imt|agent|cbt)-[0-9A-Za-z_\-]{20,}"),
        accept=_word_start,
    ),
    Rule(
        "github-token",
        "GitHub token",
        re.compile(r"g(?:h[pousr]_[A-Za-z0-9]{36,}|ithub_pat_[A-Za-z0-9_]{22,})"),
        accept=_word_start,
    ),
    Rule(
        "private-key",
        "private key",
        re.compile(
            r"-----BEGIN (?:(?:RSA|EC|DSA|OPENSSH|ENCRYPTED|PGP|SSH2 ENCRYPTED) )?"
            r"PRIVATE KEY(?: BLOCK)?-----[^\n]*\n?[^\n]{0,80}"
        ),
    ),
    Rule(
        "aws-access-key",
        "AWS access key id",
        re.compile(r"A(?:KIA|SIA|BIA|CCA|3T[A-Z0-9])[A-Z0-9]{16}(?![A-Z0-9])"),
        accept=lambda text, start: start == 0 or not text[start - 1].isalnum(),
    ),
    Rule(
        "aws-secret-key",
        "AWS secret access key",
        re.compile(
            r"(?i)aws.{0,20}?(?:secret|key|token|pass(?:word)?|pwd).{0,20}?[\"'=:\s]\s*[\"']?"
            r"([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])"
        ),
        group=1,
    ),
    Rule(
        "connection-string-password",
        "connection string with a password",
        re.compile(r"://[^:/?#@\s'\"]*:([^@/?#\s'\"]+)@[^\s/'\"?#]+"),
        group=1,
        accept=_db_scheme,
    ),
)
_EXAMPLES = ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")

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


def _is_example(value: str) -> bool:
    """AWS's documented example credentials (they end in EXAMPLE / EXAMPLEKEY)."""
    return value in _EXAMPLES or value.endswith(("EXAMPLE", "EXAMPLEKEY"))


def own_matches(text: str) -> Iterator[tuple[Rule, re.Match[str], str]]:
    """(rule, match, secret value) for our rules; placeholders and examples skipped."""
    for rule in OWN_RULES:
        for m in rule.regex.finditer(text):
            if rule.accept is not None and not rule.accept(text, m.start()):
                continue
            value = m.group(rule.group)
            if rule.rule == "connection-string-password":
                user = text[m.start() + 3 : m.start(1) - 1]
                if _TEMPLATED.match(value) or user.startswith(("[", "<", "{", "$")):
                    continue
            if _is_example(value):
                continue
            yield rule, m, value


def redact(value: str) -> str:
    value = value.strip()
    return f"{value[:4]}… ({len(value)} chars)" if len(value) > 8 else "(short value)"


def _where(f: TreeFile) -> str:
    if f.in_tree:
        return ""
    return (
        f"; only in history (introduced in {(f.commit or '')[:12]}), so it stays public unless "
        "history is rewritten"
    )


class SecretsCheck(Check):
    name = "secrets"
    rules_version = "secrets-1"
    default_severity = BLOCKER
    libraries = ("detect-secrets",)

    def __init__(self, ctx):
        super().__init__(ctx)
        self.plugins = load_plugins(tuple(ctx.config.secrets_disabled_plugins))

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
        if base in _CREDENTIAL_NAMES or posixpath.splitext(base)[1].lower() in _CREDENTIAL_EXTS:
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
        taken: dict[int, list[str]] = {}
        for rule, m, value in own_matches(text):
            line = f.line_of(m.start(rule.group))
            taken.setdefault(line, []).append(value)
            key = rule.rule == "private-key"
            yield self.finding(
                rule.rule,
                f"{rule.label}{'' if key else ' ' + redact(value)}{where}",
                path=f.path,
                line=line,
                commit=f.commit,
                match=m.group(0) if key else value,
            )
        if skip_file(f.path):
            return
        for plugin, line, value in scan_text(self.plugins, f.path, text, taken, _is_example):
            yield self.finding(
                plugin.rule,
                f"{plugin.label} {redact(value)}{where} (detect-secrets)",
                path=f.path,
                line=line,
                commit=f.commit,
                match=value,
            )

    def scan_commit(self, commit: CommitInfo) -> Iterable[FindingData]:
        """Our own rules only: a token pasted into a commit message is published with it."""
        message = commit.message
        for rule, m, value in own_matches(message):
            yield self.finding(
                rule.rule,
                f"{rule.label} {redact(value)} in the message of commit {commit.sha[:12]}",
                line=message.count("\n", 0, m.start(rule.group)) + 1,
                commit=commit.sha,
                match="commit-message:" + value,
            )
