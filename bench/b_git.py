"""Raw git throughput on the generated history: the baseline for ingest.

`run_git_log_numstat(repo, *revs)` is THE baseline command: the ingest benchmark measures
`git log --numstat` of the same range with it, so both figures read the same bytes.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from bench._fastimport import git_env
from bench.registry import BenchContext, benchmark, measure

RECORD = b"\x1e"
# The fields an ingest needs: sha, parents, author name/email/date, committer date, body.
LOG_FORMAT = "%x1e%H%x00%P%x00%an%x00%ae%x00%at%x00%ct%x00%B%x00"


def git_log_numstat_argv(repo: Path, *revs: str) -> list[str]:
    """`git log --numstat -M` over revs (default: --all) in a machine-readable format."""
    return ["git", "-C", str(repo), "log", "--numstat", "-M", f"--format={LOG_FORMAT}",
            *(revs or ("--all",))]  # fmt: skip


def run_git_log_numstat(repo: Path, *revs: str) -> tuple[int, int]:
    """Run it, read everything through a pipe (as a consumer would); (commits, bytes)."""
    proc = subprocess.Popen(
        git_log_numstat_argv(repo, *revs), stdout=subprocess.PIPE, env=git_env()
    )
    commits = size = 0
    assert proc.stdout is not None
    while chunk := proc.stdout.read(1 << 20):
        commits += chunk.count(RECORD)
        size += len(chunk)
    if proc.wait() != 0:
        raise RuntimeError(f"git log failed with {proc.returncode}")
    return commits, size


@benchmark("git_log_numstat_commits_per_s", unit="commits/s", target="report", needs=("git",))
def git_log_numstat_rate(ctx: BenchContext):
    """Raw `git log --numstat -M --all` rate over the generated history (median of runs)."""
    commits = ctx.size(full=50_000, quick=2_000)
    history = ctx.history(commits, authors=ctx.size(300, 40), teams=ctx.size(20, 6))
    m = measure(lambda: run_git_log_numstat(history.repo_path), repeat=ctx.size(5, 3), warmup=1)
    seen, size = m.result
    if seen != commits:
        raise AssertionError(f"git log returned {seen} commits, expected {commits}")
    return ctx.figure(
        round(commits / m.median, 1),
        params={"commits": commits, "output_bytes": size, "seconds": m.summary(), "seed": ctx.seed,
                "command": "git log --numstat -M --all --format=<ingest fields>"},
    )  # fmt: skip
