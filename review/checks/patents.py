"""Patents: a release that touches a path linked to a registered patent goes to the IP lane.

The patent register lives in the database later; here the records come from
``ctx.config.patents``. One finding per (patent, linked pattern), not per file, naming how many
files the release carries under it; keywords found in file contents make a weaker, separate
finding. Severity follows the patent's classification: ``general`` and ``standard`` (standard
essential, FRAND terms) are high; ``oss`` (already cleared for open-source use) is info.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .base import HIGH, INFO, MEDIUM, Check, FindingData, TreeFile
from .config import PatentRecord, glob_regex

SEVERITY_BY_CLASS = {"general": HIGH, "standard": HIGH, "oss": INFO}


@dataclass
class _Hit:
    path: str
    line: int | None
    commit: str | None
    count: int = 0
    paths: set[str] = field(default_factory=set)


class PatentsCheck(Check):
    name = "patents"
    rules_version = "patents-1"
    default_severity = HIGH

    def __init__(self, ctx):
        super().__init__(ctx)
        self.records: tuple[PatentRecord, ...] = tuple(ctx.config.patents)
        self.globs = [
            (record, pattern, glob_regex(pattern))
            for record in self.records
            for pattern in record.paths
        ]
        self.keywords = [
            (record, re.compile(r"(?<!\w)" + re.escape(k) + r"(?!\w)", re.IGNORECASE))
            for record in self.records
            for k in record.keywords
            if k.strip()
        ]
        self.path_hits: dict[tuple[str, str], _Hit] = {}
        self.keyword_hits: dict[tuple[str, str], _Hit] = {}

    def wants_content(self, f: TreeFile) -> bool:
        return bool(self.keywords) and not f.is_submodule

    def scan_file(self, f: TreeFile) -> Iterable[FindingData]:
        for record, pattern, regex in self.globs:
            if regex.match(f.path):
                hit = self.path_hits.setdefault((record.id, pattern), _Hit(f.path, None, f.commit))
                if f.path not in hit.paths:
                    hit.paths.add(f.path)
                    hit.count += 1
        if not self.keywords or f.is_submodule:
            return ()
        text = f.text()
        if not text:
            return ()
        for record, regex in self.keywords:
            m = regex.search(text)
            if m is None:
                continue
            key = (record.id, m.group(0).lower())
            hit = self.keyword_hits.get(key)
            if hit is None:
                hit = self.keyword_hits[key] = _Hit(f.path, f.line_of(m.start()), f.commit)
            hit.paths.add(f.path)
            hit.count = len(hit.paths)
        return ()

    def finish(self) -> Iterable[FindingData]:
        by_id = {r.id: r for r in self.records}
        for (patent_id, pattern), hit in self.path_hits.items():
            record = by_id[patent_id]
            others = f" and {hit.count - 1} more file(s)" if hit.count > 1 else ""
            yield self.finding(
                "patent-linked-path",
                f"touches {hit.path}{others} under {pattern!r}, linked to patent {record.id} "
                f"({record.title}, {record.classification})",
                path=hit.path,
                commit=hit.commit,
                match=f"{record.id}|{pattern}",
                severity=SEVERITY_BY_CLASS[record.classification],
            )
        for (patent_id, word), hit in self.keyword_hits.items():
            record = by_id[patent_id]
            severity = INFO if record.classification == "oss" else MEDIUM
            yield self.finding(
                "patent-keyword",
                f"mentions {word!r} ({hit.count} file(s)), a keyword of patent {record.id} "
                f"({record.title}, {record.classification})",
                path=hit.path,
                line=hit.line,
                commit=hit.commit,
                match=f"{record.id}|{word}",
                severity=severity,
            )
