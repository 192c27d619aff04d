"""Screening options. Defaults live here, in code; the OSPO's policies override them per run.

Everything is a frozen dataclass so a ScanContext can be logged, compared and stored as JSON
(``ScreeningConfig.from_dict`` / ``asdict``) next to the screening it configured.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from functools import lru_cache
from typing import Any

from .errors import InvalidConfig

MIB = 1024 * 1024


@dataclass(frozen=True)
class LeakRules:
    """What counts as internal. Hostname globs match whole hostnames (case-insensitive)."""

    host_globs: tuple[str, ...] = (
        "*.internal.example.ac.kr",
        "internal.example.ac.kr",
        "corp.*",
        "*.corp.*",
        "*.intranet.*",
    )
    private_networks: tuple[str, ...] = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
    email_domains: tuple[str, ...] = ("internal.example.ac.kr", "corp.example.ac.kr")
    staff_id_patterns: tuple[str, ...] = (r"\bEMP-\d{6}\b",)
    codenames: tuple[str, ...] = ()
    terms: tuple[str, ...] = (
        "대외비",  # confidential (not for outside parties)
        "내부용",  # for internal use
        "사내전용",  # in-house only
        "사내 전용",
        "내부 전용",
        "취급주의",  # handle with care (classification marking)
        "internal use only",
        "company confidential",
    )


@dataclass(frozen=True)
class PatentRecord:
    id: str
    title: str
    classification: str = "general"  # general | standard | oss
    paths: tuple[str, ...] = ()  # glob patterns, "**" crosses directories
    keywords: tuple[str, ...] = ()

    def __post_init__(self):
        if self.classification not in ("general", "standard", "oss"):
            raise InvalidConfig(f"patent {self.id}: unknown classification {self.classification!r}")


@dataclass(frozen=True)
class ScreeningConfig:
    size_limit: int = 10 * MIB  # a blob above this is a finding (GitHub refuses > 100 MB)
    max_scan_bytes: int = 10 * MIB  # content beyond this is not scanned (the size is reported)
    binary_probe: int = 8000  # a NUL in this many leading bytes makes a blob binary (as git does)
    leaks: LeakRules = field(default_factory=LeakRules)
    patents: tuple[PatentRecord, ...] = ()
    allowed_binaries: tuple[str, ...] = ()  # path globs waived for the binary / size rules
    secrets_disabled_plugins: tuple[str, ...] = ("IPPublicDetector",)
    license_text_max_files: int = 200  # full-text license matches per run (askalono is ~0.2 s)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ScreeningConfig:
        data = dict(data or {})
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InvalidConfig(f"unknown screening option(s): {', '.join(sorted(unknown))}")
        if "leaks" in data and isinstance(data["leaks"], dict):
            leak_fields = {f.name for f in fields(LeakRules)}
            bad = set(data["leaks"]) - leak_fields
            if bad:
                raise InvalidConfig(f"unknown leak rule(s): {', '.join(sorted(bad))}")
            data["leaks"] = LeakRules(**{k: tuple(v) for k, v in data["leaks"].items()})
        if "patents" in data:
            data["patents"] = tuple(
                p if isinstance(p, PatentRecord) else _patent(p) for p in data["patents"]
            )
        for name in ("allowed_binaries", "secrets_disabled_plugins"):
            if name in data:
                data[name] = tuple(data[name])
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _patent(raw: dict[str, Any]) -> PatentRecord:
    try:
        return PatentRecord(
            id=str(raw["id"]),
            title=str(raw.get("title", "")),
            classification=raw.get("classification", "general"),
            paths=tuple(raw.get("paths", ())),
            keywords=tuple(raw.get("keywords", ())),
        )
    except KeyError as exc:
        raise InvalidConfig(f"patent record without {exc}") from exc


@lru_cache(maxsize=512)
def glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob: ``*`` and ``?`` stay within one directory, ``**`` crosses them.

    A pattern without a slash matches the file name in any directory (as .gitignore does);
    a pattern ending in ``/`` matches everything below that directory.
    """
    pat = pattern.strip()
    if not pat:
        raise InvalidConfig("empty path pattern")
    if pat.endswith("/"):
        pat += "**"
    anchored = "/" in pat.rstrip("/")
    pat = pat.lstrip("/")
    out, i = [], 0
    while i < len(pat):
        c = pat[i]
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif c == "*":
            out.append("[^/]*")
            i += 1
        elif c == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(c))
            i += 1
    body = "".join(out)
    return re.compile(body + r"\Z" if anchored else r"(?:.*/)?" + body + r"\Z")


def path_matches(path: str, patterns: tuple[str, ...] | list[str]) -> str | None:
    """The first pattern that matches ``path``, or None."""
    for pattern in patterns:
        if glob_regex(pattern).match(path):
            return pattern
    return None
