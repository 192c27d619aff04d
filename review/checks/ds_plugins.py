"""detect-secrets' plugins, driven in process over text we already hold in memory.

detect-secrets is built around files on disk and global settings, so we drive its plugins
directly: each plugin class is instantiated once per process and we call ``analyze_string``
ourselves (never ``analyze_line``, which may verify a secret over the network when the global
settings ask for it). The default heuristic filters of ``detect-secrets scan`` are applied.

Speed: ``detect-secrets scan`` runs every plugin on every line. Here a plugin first runs its
own regexes (re-compiled with MULTILINE) once over the whole text, and only the lines they hit
are analysed line by line as detect-secrets does, so the result is the same. Some plugins'
regexes are slow on ordinary code (a keyword alternation, IGNORECASE, lookbehinds at every
position); for those, ``REQUIRES`` holds a necessary condition derived from their patterns
(detect-secrets 1.5: the captured token's character class and length, or a literal), checked
first. High-entropy strings shorter than 2**limit characters cannot pass the entropy limit, so
their gate asks for that length.
"""

from __future__ import annotations

import bisect
import io
import itertools
import math
import re
from collections.abc import Callable, Iterator
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
from detect_secrets.transformers import get_transformed_file
from detect_secrets.util.filetype import determine_file_type

# Plugins only see lines up to this length: some of their regexes are quadratic on long lines
# (minified code, data). Our own rules, which are linear, see everything.
LONG_LINE = 4000


def _search(pattern: str) -> Callable[[str, str], bool]:
    regex = re.compile(pattern)
    return lambda text, low: regex.search(text) is not None


def _run(chars: str, length: int) -> Callable[[str, str], bool]:
    """A run of ``length`` characters of a class; tried only where such a run starts, so the
    search is linear instead of ``length`` steps at every position."""
    return _search(rf"(?<![{chars}])[{chars}]{{{length}}}")


REQUIRES: dict[str, Callable[[str, str], bool]] = {
    "NpmDetector": lambda text, low: "_authToken" in text,
    "IbmCloudIamDetector": _run(r"a-zA-Z0-9_\-", 44),
    "CloudantDetector": lambda text, low: _HEX64(text, low) or _ALPHA24(text, low),
    "IbmCosHmacDetector": _run("a-fA-F0-9", 48),
    "SoftlayerDetector": _run("a-zA-Z0-9", 64),
    "ArtifactoryDetector": _search(r"A(?:KC|P[\dABCDEF])"),
    "MailchimpDetector": _search(r"-us\d"),
    "StripeDetector": lambda text, low: "k_live_" in text,
    "SlackDetector": lambda text, low: "xox" in low or "hooks.slack.com" in low,
    "AWSKeyDetector": lambda text, low: "aws" in low or _AWS_ID.search(text) is not None,
}
_HEX64 = _run("0-9a-fA-F", 64)
_ALPHA24 = _run("a-zA-Z", 24)
_AWS_ID = re.compile(r"A(?:3T[A-Z0-9]|BIA|CCA|KIA|SIA)[0-9A-Z]{16}")
_KEYWORDS = re.compile("|".join(DENYLIST))  # run on lowercased text
_KEYWORDS_I = re.compile("|".join(DENYLIST), re.IGNORECASE)


class Plugin:
    """One detect-secrets plugin and the gates that pick the lines it must analyse."""

    def __init__(self, plugin):
        self.plugin = plugin
        self.name = type(plugin).__name__
        self.rule = "ds/" + self.name
        self.label = plugin.secret_type
        self.requires = REQUIRES.get(self.name)
        if isinstance(plugin, HighEntropyStringsPlugin):
            shortest = math.floor(2**plugin.entropy_limit) + 1  # entropy <= log2(length)
            charset = re.escape(plugin.charset)
            self.gates = [re.compile(rf"([\'\"])([{charset}]{{{shortest},}})(\1)")]
            self.kind = "entropy"
        elif isinstance(plugin, KeywordDetector):
            self.gates = []
            self.kind = "keyword"
        elif isinstance(plugin, RegexBasedDetector):
            self.gates = [re.compile(p.pattern, p.flags | re.MULTILINE) for p in plugin.denylist]
            self.kind = "regex"
        else:  # an unknown plugin type: analyse every line
            self.gates = []
            self.kind = "other"

    def candidate_lines(self, text: str, low: str, line_of) -> set[int] | None:
        """Lines to analyse (a superset of the lines the plugin would report), or None: all."""
        if self.requires is not None and not self.requires(text, low):
            return set()
        lines: set[int] = set()
        if self.kind == "keyword":
            same = len(low) == len(text)  # lower() can change lengths, and so offsets
            for m in (_KEYWORDS if same else _KEYWORDS_I).finditer(low if same else text):
                lines.add(line_of(m.start()))
            return lines
        if not self.gates:
            return None
        for gate in self.gates:
            if self.kind == "entropy":
                pos = 0
                while (m := gate.search(text, pos)) is not None:
                    pos = m.end() - 1  # a closing quote may open the next string
                    entropy = self.plugin.calculate_shannon_entropy(m.group(2))
                    if entropy > self.plugin.entropy_limit:
                        lines.add(line_of(m.start()))
                continue
            for m in gate.finditer(text):
                first, last = line_of(m.start()), line_of(max(m.start(), m.end() - 1))
                lines.update(range(first, last + 1))
        return lines

    def analyze(self, filename: str, line: str) -> Iterator[str]:
        """What ``analyze_line`` would report for this line, without any verification."""
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
def load_plugins(disabled: tuple[str, ...]) -> tuple[Plugin, ...]:
    """detect-secrets' bundled plugins, instantiated once per process (specific ones first)."""
    classes = sorted(
        get_mapping_from_secret_type_to_class().values(),
        key=lambda c: (issubclass(c, (KeywordDetector, HighEntropyStringsPlugin)), c.__name__),
    )
    return tuple(Plugin(cls()) for cls in classes if cls.__name__ not in disabled)


def skip_file(path: str) -> bool:
    """detect-secrets' file filters: lock files, swagger, known non-text extensions."""
    return (
        heuristic.is_lock_file(path)
        or heuristic.is_swagger_file(path)
        or heuristic.is_non_text_file(path)
    )


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


class _NamedText(io.StringIO):
    """What detect-secrets' transformers read: a file object with a name."""

    def __init__(self, text: str, name: str):
        super().__init__(text)
        self.name = name


def _transformed(path: str, text: str, eager: bool) -> list[str] | None:
    """detect-secrets' transformers (YAML and INI values re-quoted, same line numbers)."""
    try:
        return get_transformed_file(_NamedText(text, path), use_eager_transformers=eager)
    except Exception:  # noqa: BLE001 - a parser failure means "no transformed view"
        return None


def scan_text(
    plugins: tuple[Plugin, ...],
    path: str,
    text: str,
    taken: dict[int, list[str]],
    ignore: Callable[[str], bool],
) -> Iterator[tuple[Plugin, int, str]]:
    """(plugin, line number, secret) as ``detect-secrets scan`` reports them for this file:
    the lines as its transformers present them (raw lines otherwise), and only when those
    give nothing, the eager transformers' view. One result per value and line; ``taken``
    holds values already reported per line (ours first) and overlapping results are dropped."""
    lines = _transformed(path, text, eager=False) or text.split("\n")
    found = False
    for result in _scan_lines(plugins, path, lines, taken, ignore):
        found = True
        yield result
    if not found:
        eager = _transformed(path, text, eager=True)
        if eager:
            yield from _scan_lines(plugins, path, eager, taken, ignore)


def _scan_lines(plugins, path, lines, taken, ignore) -> Iterator[tuple[Plugin, int, str]]:
    lines = [line.rstrip("\n") for line in lines]
    if any(len(line) > LONG_LINE for line in lines):
        lines = [line if len(line) <= LONG_LINE else "" for line in lines]
    text = "\n".join(lines)
    starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset)

    low = text.lower()
    for p in plugins:
        candidates = p.candidate_lines(text, low, line_of)
        if candidates is not None and not candidates:
            continue
        numbers = sorted(candidates) if candidates is not None else range(1, len(lines) + 1)
        for number in numbers:
            line = lines[number - 1].rstrip()
            if heuristic.is_indirect_reference(line):
                continue
            for value in p.analyze(path, line):
                if not value or ignore(value) or _filtered(value, line, p.plugin):
                    continue
                seen = taken.setdefault(number, [])
                if any(value in v or v in value for v in seen):
                    continue
                if _allowlisted(path, lines, number):
                    continue
                seen.append(value)
                yield p, number, value
