"""The workflow's one door to the screening engine in review/checks/.

Builds the engine's ScanContext from a project (its patent register entries become the
engine's patent records), runs it, and says which rules version a screening ran under.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from federation import git
from review.models.screening import BLOCKING_SEVERITIES


class EngineError(Exception):
    """The screening could not run; `reason` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class EngineResult:
    findings: list  # review.checks.base.FindingData
    summary: dict
    versions: dict
    stats: dict = field(default_factory=dict)


def _errors():
    from review.checks.errors import ScreeningError

    return ScreeningError


def rules_version() -> str:
    """A short id of the engine and every check's rules version; a change makes older
    screenings stale."""
    try:
        from review.checks import ALL_CHECKS
        from review.checks.base import ENGINE_VERSION
    except ImportError:
        return ""
    return rules_key(ENGINE_VERSION, {c.name: c.rules_version for c in ALL_CHECKS})


def rules_key(engine_version: str, checks: dict) -> str:
    raw = json.dumps({"engine": engine_version, "checks": checks}, sort_keys=True)
    return f"{engine_version}-{hashlib.sha256(raw.encode()).hexdigest()[:10]}"


def patent_records(project) -> tuple:
    """The project's patents from the register, as the engine's PatentRecords."""
    from review.checks.config import PatentRecord
    from review.models import PatentLink

    by_patent: dict[int, tuple] = {}
    for link in PatentLink.objects.filter(project=project).select_related("patent"):
        patent, globs = by_patent.get(link.patent_id, (link.patent, []))
        globs.append(link.path_glob.strip() or "**")
        by_patent[link.patent_id] = (patent, globs)
    return tuple(
        PatentRecord(
            id=p.number,
            title=p.title,
            classification=p.classification,
            paths=tuple(dict.fromkeys(globs)),
            keywords=tuple(p.keywords),
        )
        for p, globs in by_patent.values()
    )


def _context(git_dir: Path, sha: str, *, mode: str, outbound_license: str | None, patents=()):
    from review.checks.base import ScanContext
    from review.checks.config import ScreeningConfig

    return ScanContext(
        repo=Path(git_dir),
        sha=sha,
        mode=mode,
        license=outbound_license or None,
        config=ScreeningConfig(patents=tuple(patents)),
    )


def _run(ctx, progress) -> EngineResult:
    from review.checks.runner import run_screening

    try:
        result = run_screening(ctx, progress=progress)
    except _errors() as exc:
        raise EngineError(getattr(exc, "reason", None) or str(exc)) from exc
    versions = dict(result.versions)
    versions["rules"] = rules_key(versions.get("engine", ""), versions.get("checks", {}))
    return EngineResult(list(result.findings), result.summary, versions, result.stats)


def scan(
    git_dir: Path,
    sha: str,
    *,
    mode: str,
    outbound_license: str | None,
    patents=(),
    progress: Callable | None = None,
) -> EngineResult:
    """Screen `sha` of a (bare) repository as it would be published in `mode`."""
    try:
        ctx = _context(git_dir, sha, mode=mode, outbound_license=outbound_license, patents=patents)
    except _errors() as exc:
        raise EngineError(str(exc)) from exc
    return _run(ctx, progress)


def scan_range(
    git_dir: Path,
    old_sha: str,
    new_sha: str,
    *,
    outbound_license: str | None,
    patents=(),
    progress: Callable | None = None,
) -> EngineResult:
    """Findings that `old_sha..new_sha` brings: those in blobs or messages of the new commits,
    and whole-tree conclusions (no commit) at `new_sha`.

    The engine has no range mode yet, so this screens the full history of `new_sha` and keeps
    the findings attributed to the new commits. Correct, but it reads the whole history.
    """
    new_commits = set(
        git.run(
            ["rev-list", f"{git.validate_sha(old_sha)}..{git.validate_sha(new_sha)}", "--"],
            repo=git_dir,
            timeout=300,
        ).text.split()
    )
    result = scan(
        git_dir,
        new_sha,
        mode="full_history",
        outbound_license=outbound_license,
        patents=patents,
        progress=progress,
    )
    kept = [f for f in result.findings if not f.commit or f.commit in new_commits]
    summary = dict(result.summary)
    summary.update(
        total=len(kept),
        blocking=any(f.severity in BLOCKING_SEVERITIES for f in kept),
        range={"from": old_sha, "to": new_sha, "commits": len(new_commits)},
    )
    return EngineResult(kept, summary, result.versions, result.stats)


def is_blocking(finding) -> bool:
    return finding.severity in BLOCKING_SEVERITIES
