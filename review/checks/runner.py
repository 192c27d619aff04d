"""Walk what would be published, read each blob once, and hand it to every check."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata

from . import gitsource
from .base import (
    BLOCKER,
    BLOCKING_SEVERITIES,
    ENGINE_VERSION,
    FULL_HISTORY,
    MODE_SUBMODULE,
    MODE_SYMLINK,
    SEVERITIES,
    BlobContent,
    Check,
    FindingData,
    ProgressCallback,
    ScanContext,
    TreeFile,
    fingerprint,
)
from .gitsource import CatFile, CommitInfo, Introduction

COMMIT_MESSAGE_CAP = 1 << 20


@dataclass
class ScreeningResult:
    findings: list[FindingData]
    summary: dict
    versions: dict
    stats: dict = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        return self.summary.get("blocking", False)

    def to_dict(self) -> dict:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "summary": self.summary,
            "versions": self.versions,
            "stats": self.stats,
        }


def _resolve(checks: Sequence[type[Check] | str] | None) -> list[type[Check]]:
    from . import ALL_CHECKS, get_check

    if checks is None:
        return list(ALL_CHECKS)
    return [get_check(c) if isinstance(c, str) else c for c in checks]


def library_versions(classes: Iterable[type[Check]]) -> dict[str, str]:
    out = {}
    for cls in classes:
        for dist in cls.libraries:
            try:
                out[dist] = metadata.version(dist)
            except metadata.PackageNotFoundError:
                out[dist] = "not installed"
    return dict(sorted(out.items()))


class _Progress:
    def __init__(self, callback: ProgressCallback | None):
        self.callback = callback
        self.last = 0.0

    def __call__(self, done: int, total: int, phase: str, *, force: bool = False) -> None:
        if self.callback is None:
            return
        now = time.monotonic()
        if force or done == total or now - self.last >= 0.25:
            self.last = now
            self.callback(done, total, phase)


def run_screening(
    ctx: ScanContext,
    checks: Sequence[type[Check] | str] | None = None,
    progress: ProgressCallback | None = None,
) -> ScreeningResult:
    """Screen ``ctx.sha`` of ``ctx.repo``. Raises InvalidLicense, RepositoryUnreadable."""
    started = time.monotonic()
    classes = _resolve(checks)
    instances = [cls(ctx) for cls in classes]  # checks validate their inputs here
    names = frozenset(c.name for c in instances)
    for check in instances:
        check.peers = names
    report = _Progress(progress)
    git_dir = gitsource.git_dir_of(ctx.repo)
    timeout = ctx.git_timeout
    gitsource.check_commit(git_dir, ctx.sha, timeout=timeout)
    git_version = gitsource.run_git(git_dir, ["version"], timeout=timeout).decode().strip()

    report(0, 0, "listing", force=True)
    tree = gitsource.ls_tree(git_dir, ctx.sha, timeout=timeout)
    commits: list[CommitInfo] = []
    introduced: dict[str, Introduction] = {}
    if ctx.mode == FULL_HISTORY:
        for item in gitsource.iter_history(git_dir, ctx.sha, timeout=timeout):
            if isinstance(item, CommitInfo):
                commits.append(item)
            elif item.mode != MODE_SUBMODULE and item.oid not in introduced:
                introduced[item.oid] = item

    units = _units(ctx, tree, introduced)
    stats = {
        "mode": ctx.mode,
        "files": len(tree),
        "blobs": len(units),
        "tree_blobs": sum(1 for u in units if u[0].in_tree),
        "history_blobs": sum(1 for u in units if not u[0].in_tree),
        "blobs_read": 0,
        "bytes_read": 0,
        "binary": 0,
        "non_utf8": 0,
        "truncated": [],
        "symlinks": sum(1 for e in tree if e.mode == MODE_SYMLINK),
        "submodules": sum(1 for e in tree if e.mode == MODE_SUBMODULE),
        "errors": [],
    }
    findings: list[FindingData] = []
    cfg = ctx.config
    with CatFile(git_dir, timeout=timeout) as cat:
        total = len(units)
        report(0, total, "blobs", force=True)
        for done, files in enumerate(units, start=1):
            _scan_unit(files, instances, cat, cfg, stats, findings)
            report(done, total, "blobs")
        if ctx.mode != FULL_HISTORY:
            raw = cat.read(ctx.sha, COMMIT_MESSAGE_CAP)
            commits = [
                CommitInfo(
                    sha=ctx.sha,
                    parents=gitsource.commit_parents(raw.data),
                    message=gitsource.commit_message(raw.data),
                )
            ]
        stats["bytes_read"] = cat.bytes_read
    report(0, len(commits), "commits", force=True)
    for done, commit in enumerate(commits, start=1):
        for check in instances:
            _collect(check, check.scan_commit, (commit,), findings, stats, f"commit {commit.sha}")
        report(done, len(commits), "commits")
    report(0, len(instances), "finishing", force=True)
    for done, check in enumerate(instances, start=1):
        _collect(check, check.finish, (), findings, stats, "finish")
        report(done, len(instances), "finishing")

    stats["commits"] = len(commits)
    stats["seconds"] = round(time.monotonic() - started, 3)
    findings = _dedupe(findings, stats)
    versions = {
        "engine": ENGINE_VERSION,
        "checks": {c.name: c.rules_version for c in classes},
        "libraries": library_versions(classes),
        "git": git_version,
    }
    return ScreeningResult(
        findings=findings, summary=_summary(findings), versions=versions, stats=stats
    )


def _units(ctx: ScanContext, tree, introduced: dict[str, Introduction]) -> list[list[TreeFile]]:
    """Group paths by blob: each group is read once. Tree blobs first, then history-only ones."""
    probe = ctx.config.binary_probe
    groups: dict[str, list[TreeFile]] = {}
    for entry in tree:
        intro = introduced.get(entry.oid)
        f = TreeFile(
            path=entry.path,
            oid=entry.oid,
            mode=entry.mode,
            size=entry.size,
            commit=intro.commit if intro else None,
            in_tree=True,
            binary_probe=probe,
        )
        key = entry.oid if entry.mode != MODE_SUBMODULE else f"submodule:{entry.path}"
        groups.setdefault(key, []).append(f)
    for oid, intro in introduced.items():
        if oid in groups:
            continue
        groups[oid] = [
            TreeFile(
                path=intro.path,
                oid=oid,
                mode=intro.mode,
                size=None,
                commit=intro.commit,
                in_tree=False,
                binary_probe=probe,
            )
        ]
    return list(groups.values())


def _scan_unit(files: list[TreeFile], checks: list[Check], cat: CatFile, cfg, stats, findings):
    first = files[0]
    if first.is_submodule:
        content = None
    else:

        def load(oid=first.oid):
            stats["blobs_read"] += 1
            return cat.read(oid, cfg.max_scan_bytes, binary_probe=cfg.binary_probe)

        content = BlobContent(first.oid, load)
    for f in files:
        f.content = content
        interested = [c for c in checks if f.in_tree or c.history]
        if content is not None and (f.size is None or any(c.wants_content(f) for c in interested)):
            f.read()
        for check in interested:
            _collect(check, check.scan_file, (f,), findings, stats, f.path)
    if content is not None and content._blob is not None:
        blob = content.blob()
        if blob.binary or b"\0" in blob.data[: cfg.binary_probe]:
            stats["binary"] += 1
        elif content.encoding not in (None, "utf-8"):
            stats["non_utf8"] += 1
        if blob.truncated:
            stats["truncated"].append(first.path)
        content.release()


def _collect(check: Check, hook, args, findings: list[FindingData], stats, where: str) -> None:
    try:
        findings.extend(hook(*args))
    except Exception as exc:  # a check's bug must not hide the other checks' findings
        stats["errors"].append(f"{check.name} at {where}: {type(exc).__name__}: {exc}")
        findings.append(
            FindingData(
                check=check.name,
                rule="check-error",
                severity=BLOCKER,  # fail closed: part of the release went unscreened
                path=None if where in ("finish",) or where.startswith("commit ") else where,
                line=None,
                commit=None,
                message=f"the {check.name} check failed here ({type(exc).__name__}); "
                "this part was not screened",
                fingerprint=fingerprint(check.name, "check-error", where, type(exc).__name__),
            )
        )


def _dedupe(findings: list[FindingData], stats) -> list[FindingData]:
    """One finding per fingerprint: the first occurrence, with a count of the others."""
    first: dict[str, FindingData] = {}
    extra: dict[str, int] = {}
    for f in findings:
        if f.fingerprint in first:
            extra[f.fingerprint] = extra.get(f.fingerprint, 0) + 1
        else:
            first[f.fingerprint] = f
    out = []
    for fp, f in first.items():
        if fp in extra:
            f = dataclasses.replace(f, message=f"{f.message} (and {extra[fp]} more occurrence(s))")
        out.append(f)
    stats["duplicates_collapsed"] = sum(extra.values())
    order = {s: i for i, s in enumerate(SEVERITIES)}
    out.sort(key=lambda f: (order[f.severity], f.check, f.rule, f.path or "", f.line or 0))
    return out


def _summary(findings: list[FindingData]) -> dict:
    by_severity = {s: 0 for s in SEVERITIES}
    by_check: dict[str, int] = {}
    for f in findings:
        by_severity[f.severity] += 1
        by_check[f.check] = by_check.get(f.check, 0) + 1
    return {
        "total": len(findings),
        "by_severity": by_severity,
        "by_check": dict(sorted(by_check.items())),
        "blocking": any(by_severity[s] for s in BLOCKING_SEVERITIES),
    }
