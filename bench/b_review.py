"""Screening throughput: our in-process screening of a generated tree versus detect-secrets'
own CLI (`detect-secrets scan --all-files`) on the same files, timed in the same run."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from bench import _content as C
from bench._fastimport import git
from bench.registry import BenchContext, benchmark, compare

PLANTED = {
    "config/settings_local.py": 'DB = "postgres://app:s3cr3t-pw@db.internal:5432/app"\n',
    "deploy/token.txt": "glpat-" + "A1b2C3d4E5f6G7h8I9j0" + "\n",
}


def make_tree(root: Path, files: int, seed: int) -> str:
    """A checkout of `files` files (Python, docs, configs, with a few planted secrets),
    committed; returns the commit sha."""
    rng = random.Random(seed)
    root.mkdir(parents=True)
    for i in range(files - len(PLANTED)):
        folder = root / f"pkg{i % 40}" / f"sub{i % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        if i % 5 == 0:
            (folder / f"notes_{i}.md").write_text("\n".join(C.markdown(rng, f"Notes {i}")) + "\n")
        else:
            (folder / f"mod_{i}.py").write_text("\n".join(C.python_module(rng, f"mod_{i}")) + "\n")
    for name, text in PLANTED.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "-c", "user.name=bench", "-c", "user.email=bench@example.org",
        "commit", "-q", "-m", "tree")  # fmt: skip
    return git(root, "rev-parse", "HEAD").decode().strip()


@benchmark("screen_files_per_s", unit="files/s", target="ratio >= 1.0", needs=("git",))
def screen_rate(ctx: BenchContext):
    """Files per second screening a tree (all checks, snapshot) vs detect-secrets' CLI."""
    from review.checks import ScanContext, run_screening

    files = ctx.size(full=5_000, quick=200)
    tree = ctx.scratch_dir / "screen-tree"
    sha = make_tree(tree, files, ctx.seed)
    cli = Path(sys.executable).with_name("detect-secrets")

    def ours():
        scan = ScanContext(repo=str(tree), sha=sha, mode="snapshot", license="Apache-2.0")
        return run_screening(scan)

    def baseline():
        subprocess.run([str(cli), "scan", "--all-files", "."], cwd=tree, check=True,
                       capture_output=True)  # fmt: skip

    ours_m, base_m = compare(ours, baseline, repeat=1, warmup=0)
    found = {f.path for f in ours_m.result.findings if f.check == "secrets"}
    missing = set(PLANTED) - found
    if missing:
        raise AssertionError(f"screening missed planted secrets in {sorted(missing)}")
    return ctx.figure(
        round(files / ours_m.median, 1),
        baseline_name="detect_secrets_cli_files_per_s",
        baseline_value=round(files / base_m.median, 1),
        params={"files": files, "checks": "all", "mode": "snapshot",
                "seconds": {"ours": round(ours_m.median, 2), "cli": round(base_m.median, 2)}},
    )  # fmt: skip
