"""The benchmark harness: registry, targets, timing helpers, and `python -m bench` end to end."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.registry import (
    REGISTRY,
    BenchContext,
    Figure,
    benchmark,
    compare,
    measure,
    meets,
    parse_target,
    percentile,
    ratio,
)

ROOT = Path(__file__).resolve().parents[2]
TOP_KEYS = {"generated_at", "database", "quick", "machine", "results"}
RESULT_KEYS = {
    "name", "value", "unit", "baseline_name", "baseline_value", "ratio", "target",
    "meets_target", "params",
}  # fmt: skip


def run_bench(tmp_path: Path, *args: str, database_url: str | None = None):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if database_url:
        env["DATABASE_URL"] = database_url
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(out),
         "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout, json.loads(out.read_text())


def test_quick_git_log_run_writes_results_json(tmp_path):
    stdout, report = run_bench(tmp_path, "--only", "git_log_numstat_commits_per_s")
    assert set(report) >= TOP_KEYS
    assert report["database"] == "sqlite" and report["quick"] is True
    assert {"nproc", "python", "git"} <= set(report["machine"])
    assert "Database: sqlite" in stdout and "git_log_numstat_commits_per_s" in stdout
    [fig] = report["results"]
    assert set(fig) == RESULT_KEYS
    assert fig["name"] == "git_log_numstat_commits_per_s" and fig["unit"] == "commits/s"
    assert fig["value"] > 0 and fig["target"] == "report" and fig["meets_target"] is None
    assert fig["baseline_name"] is None and fig["ratio"] is None
    assert fig["params"]["commits"] == 2000


def test_db_benchmark_gets_a_migrated_scratch_sqlite(tmp_path):
    stdout, report = run_bench(
        tmp_path, "--import", "tests.bench._dbprobe", "--only", "probe_db_count_ms"
    )
    [fig] = report["results"]
    assert fig["params"]["count"] == 1
    assert fig["params"]["db_name"].endswith("bench.sqlite3")
    assert "/osp-bench-" in fig["params"]["db_name"]  # the run's scratch dir, not var/
    assert fig["params"]["database_url"].startswith("sqlite:///")
    assert fig["meets_target"] is True


@pytest.mark.services
def test_db_benchmark_on_postgresql_uses_a_bench_database(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        pytest.skip("DATABASE_URL does not point to PostgreSQL")
    _, report = run_bench(
        tmp_path, "--import", "tests.bench._dbprobe", "--only", "probe_db_count_ms",
        database_url=url,
    )  # fmt: skip
    assert report["database"] == "postgresql"
    assert report["database_name"].endswith("_bench")
    assert report["results"][0]["params"]["db_name"] == report["database_name"]


def test_unknown_benchmark_name_fails(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nope", "--out", str(tmp_path / "r.json")],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert proc.returncode == 2 and "unknown benchmark" in proc.stdout


def test_targets_parse_and_evaluate():
    assert parse_target("report") is None
    assert parse_target("ratio >= 0.7")["on"] == "ratio"
    assert parse_target("<= 100 ms on PostgreSQL")["db"] == "postgresql"
    with pytest.raises(ValueError):
        parse_target("fast enough")
    fig = Figure("x", 120.0, "ms", target="<= 150 ms")
    assert meets(fig, "sqlite") is True
    assert meets(Figure("x", 80.0, "ms", target="<= 100 ms on postgresql"), "sqlite") is None
    assert meets(Figure("x", 80.0, "ms", target="<= 100 ms on postgresql"), "postgresql")
    rate = Figure("x", 600.0, "commits/s", baseline_value=1000.0, ratio=0.6, target="ratio ≥ 0.7")
    assert meets(rate, "sqlite") is False
    assert meets(Figure("x", None, "ms", target="<= 1 ms"), "sqlite") is None


def test_timing_helpers():
    assert percentile(range(1, 21), 95) == 19
    assert percentile([5.0], 95) == 5.0
    calls = []
    m = measure(lambda: calls.append(1) or len(calls), repeat=4, warmup=2)
    assert len(m.samples) == 4 and m.result == 6 and m.min <= m.median <= m.p95 <= m.max
    order = []
    a, b = compare(lambda: order.append("a"), lambda: order.append("b"), repeat=3, warmup=0)
    assert order == ["a", "b", "b", "a", "a", "b"] and len(a.samples) == len(b.samples) == 3
    assert ratio(7.0, 10.0) == 0.7 and ratio(1.0, 0) is None and ratio(None, 1.0) is None


def test_registry_and_context(tmp_path):
    with pytest.raises(ValueError, match="unknown needs"):
        benchmark("bad", "ms", needs=("gpu",))
    with pytest.raises(ValueError, match="unparseable"):
        benchmark("bad", "ms", target="soon")

    @benchmark("test_only_figure", unit="ms", target="<= 5 ms")
    def bench_fn(ctx):
        return ctx.figure(3.0, baseline_name="other", baseline_value=6.0)

    try:
        ctx = BenchContext(True, tmp_path, 1, "sqlite", tmp_path / "data")
        ctx.current = REGISTRY["test_only_figure"]
        fig = bench_fn(ctx)
        assert (fig.name, fig.unit, fig.target, fig.ratio) == (
            "test_only_figure",
            "ms",
            "<= 5 ms",
            0.5,
        )  # noqa: E501
        assert ctx.size(full=100, quick=3) == 3
    finally:
        REGISTRY.pop("test_only_figure")


def test_context_history_is_cached_and_private_copies_are_separate(tmp_path):
    ctx = BenchContext(True, tmp_path / "scratch", 1, "sqlite", tmp_path / "data")
    (tmp_path / "scratch").mkdir()
    first = ctx.history(30, 5, 2)
    again = ctx.history(30, 5, 2)
    assert again.repo_path == first.repo_path and again.head_sha == first.head_sha
    assert [p.email for p in again.authors] == [p.email for p in first.authors]
    private = ctx.history(30, 5, 2, private=True)
    assert private.repo_path != first.repo_path and private.head_sha == first.head_sha
    assert private.repo_path.is_relative_to(tmp_path / "scratch")
