"""Which paths are vendored or generated, so their lines are not counted as authored.

The rules: a default list (lockfiles, `vendor/`, `node_modules/`, minified files), then every
`.gitattributes` in the tree at the ingested tip (read through git, shallow files first, later
lines win) setting `linguist-vendored` or `linguist-generated` (`-attr` or `attr=false` un-sets
a default, `!attr` returns to the default).
"""

from __future__ import annotations

import re
from pathlib import Path

from federation import git

LOCKFILES = (
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "Cargo.lock",
    "poetry.lock",
    "Pipfile.lock",
    "pdm.lock",
    "uv.lock",
    "composer.lock",
    "Gemfile.lock",
    "go.sum",
    "mix.lock",
    "pubspec.lock",
    "Podfile.lock",
    "flake.lock",
    "packages.lock.json",
    "gradle.lockfile",
)
DEFAULT_PATTERNS = (
    *LOCKFILES,
    "**/vendor/**",
    "**/node_modules/**",
    "*.min.js",
    "*.min.mjs",
    "*.min.css",
    "*-min.js",
)
ATTRIBUTES = ("linguist-vendored", "linguist-generated")


def _glob_regex(pattern: str) -> str:
    """gitignore-style glob (as .gitattributes uses it) -> regex over a relative path."""
    anchored = "/" in pattern
    pattern = pattern.lstrip("/")
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1 :]:
            j = pattern.index("]", i + 2) if pattern[i + 1] == "]" else pattern.index("]", i + 1)
            body = pattern[i + 1 : j]
            if body.startswith("!"):
                body = "^" + body[1:]
            out.append(f"[{body}]")
            i = j + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    body = "".join(out)
    return body if anchored else f"(?:.*/)?{body}"


class Rule:
    __slots__ = ("regex", "values")

    def __init__(self, base: str, pattern: str, values: dict[str, bool | None]):
        prefix = re.escape(base + "/") if base else ""
        self.regex = re.compile(f"{prefix}{_glob_regex(pattern)}", re.DOTALL)
        self.values = values


def parse_gitattributes(text: str, base: str = "") -> list[Rule]:
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("[attr]"):
            continue
        pattern, *attrs = line.split()
        if pattern.endswith("/"):  # git never matches a directory pattern against files
            continue
        values: dict[str, bool | None] = {}
        for attr in attrs:
            name, _, value = attr.partition("=")
            if name.startswith(("-", "!")):
                key = name[1:]
                if key in ATTRIBUTES:
                    values[key] = False if name[0] == "-" else None
            elif name in ATTRIBUTES:
                values[name] = value.lower() not in ("false", "0", "no") if value else True
        if values:
            rules.append(Rule(base, pattern, values))
    return rules


class VendoredPaths:
    """`is_excluded(path)`: vendored or generated, by the default list and the tip's attributes."""

    def __init__(self, rules: list[Rule] = ()):
        self._default = re.compile("|".join(f"(?:{_glob_regex(p)})" for p in DEFAULT_PATTERNS))
        self._rules = list(rules)
        self._cache: dict[str, bool] = {}

    @classmethod
    def from_files(cls, files: dict[str, str]) -> VendoredPaths:
        """From {path of a .gitattributes: its text}; shallow files first, so deeper win."""
        rules: list[Rule] = []
        for name in sorted(files, key=lambda n: (n.count("/"), n)):
            rules.extend(parse_gitattributes(files[name], name.rpartition("/")[0]))
        return cls(rules)

    def is_excluded(self, path: str) -> bool:
        hit = self._cache.get(path)
        if hit is None:
            hit = self._cache[path] = self._decide(path)
        return hit

    def _decide(self, path: str) -> bool:
        default = self._default.fullmatch(path) is not None
        state: dict[str, bool | None] = {}
        for rule in self._rules:
            if rule.regex.fullmatch(path):
                state.update(rule.values)
        if any(v is True for v in state.values()):
            return True
        if any(v is False for v in state.values()):
            return False
        return default


def read_attributes(repo: Path, tip: str, *, timeout=None) -> dict[str, str]:
    """{path: text} of every `.gitattributes` in the tree at `tip` (two git calls)."""
    listing = git.run(["ls-tree", "-r", "-z", "--name-only", tip], repo=repo, timeout=timeout)
    names = [
        n
        for n in listing.stdout.decode("utf-8", "surrogateescape").split("\x00")
        if n == ".gitattributes" or n.endswith("/.gitattributes")
    ]
    if not names:
        return {}
    request = "".join(f"{tip}:{n}\n" for n in names).encode("utf-8", "surrogateescape")
    out = git.run(["cat-file", "--batch"], repo=repo, input=request, timeout=timeout).stdout
    files: dict[str, str] = {}
    pos = 0
    for name in names:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].split()
        pos = header_end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue
        size = int(header[2])
        files[name] = out[pos : pos + size].decode("utf-8", "replace")
        pos += size + 1
    return files


def vendored_paths_at(repo: Path, tip: str, *, timeout=None) -> VendoredPaths:
    return VendoredPaths.from_files(read_attributes(repo, tip, timeout=timeout))
