"""`python -m bench`: run the registered benchmarks, print a table, write bench/results.json."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib
import json
import os
import pkgutil
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import bench
from bench.registry import REGISTRY, BenchContext, Benchmark, Figure, meets

BENCH_DIR = Path(bench.__file__).resolve().parent
DEFAULT_OUT = BENCH_DIR / "results.json"
DEFAULT_DATA = BENCH_DIR / ".data"


def discover() -> list[dict[str, str]]:
    """Import every bench/b_*.py (each registers its benchmarks). A module that fails to
    import is an error of the run (so CI notices), but does not stop the other modules."""
    errors = []
    for mod in sorted(pkgutil.iter_modules([str(BENCH_DIR)]), key=lambda m: m.name):
        if mod.name.startswith("b_"):
            try:
                importlib.import_module(f"bench.{mod.name}")
            except Exception as exc:
                traceback.print_exc()
                errors.append({"name": f"bench.{mod.name}", "error": f"import failed: {exc!r}"})
    return errors


def machine_info() -> dict:
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    cpu = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu": cpu,
        "python": platform.python_version(),
        "git": git.removeprefix("git version "),
        "platform": platform.platform(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes; the whole run < 2 min")
    p.add_argument("--only", action="append", metavar="NAME", help="run only NAME (repeatable)")
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help="generated-history cache")
    p.add_argument("--keepdb", action="store_true", help="reuse/keep the scratch database")
    p.add_argument("--list", action="store_true", help="list the registered benchmarks")
    p.add_argument("--import", dest="imports", action="append", default=[], metavar="MODULE",
                   help="also import MODULE (registers benchmarks outside bench/b_*.py)")  # fmt: skip
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="osp-bench-"))
    try:
        return _run(args, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(args: argparse.Namespace, scratch: Path) -> int:
    from bench import db

    started = time.perf_counter()
    db_kind, main_db = db.configure(scratch)
    setup_error = _setup_django()
    errors = discover()
    if setup_error:
        errors.insert(0, {"name": "django", "error": setup_error})
    for module in args.imports:
        importlib.import_module(module)
    if args.list:
        for b in REGISTRY.values():
            print(f"{b.name:36} {b.unit:12} {b.target:26} needs={','.join(b.needs) or '-'}")
        return 0
    selected, unknown = _select(args.only)
    if args.only:  # a broken module elsewhere does not fail a run of one named figure
        skipped = [
            {"name": e["name"], "reason": e["error"]} for e in errors if e["name"] != "django"
        ]
        errors = [e for e in errors if e["name"] == "django"]
    else:
        skipped = []
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; registered: {', '.join(REGISTRY)}")
        return 2
    uses_db = any("db" in b.needs for b in selected)
    where = f"scratch database of {main_db!r}" if db_kind == "postgresql" else "a temporary file"
    print(f"Database: {db_kind} ({where}{'' if uses_db else '; not needed by this selection'})")
    print(
        f"Mode: {'quick' if args.quick else 'full'}; seed {args.seed}; {len(selected)} benchmark(s)"
    )
    ctx = BenchContext(args.quick, scratch, args.seed, db_kind, args.data_dir.resolve())
    report = {
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "database": db_kind,
        "quick": args.quick,
        "machine": machine_info(),
        "results": [],
        "skipped": skipped,
        "errors": errors,
    }
    with contextlib.ExitStack() as stack:
        if uses_db and not setup_error:
            try:
                scratch_db = stack.enter_context(db.scratch_database(keepdb=args.keepdb))
            except Exception as exc:
                traceback.print_exc()
                setup_error = f"scratch database: {exc!r}"
                errors.append({"name": "database", "error": setup_error})
            else:
                ctx.database_url = scratch_db.url
                report["machine"]["database_server"] = scratch_db.server_version
                report["database_name"] = scratch_db.name
        for b in selected:
            _run_one(b, ctx, report, setup_error)
    report["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report["duration_s"] = round(time.perf_counter() - started, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print_table(report)
    print(f"Wrote {args.out} in {report['duration_s']} s")
    return 1 if report["errors"] else 0


def _setup_django() -> str | None:
    try:
        import django

        django.setup()
    except Exception as exc:  # another area's half-landed code must not hide git-only figures
        traceback.print_exc()
        return f"django.setup() failed: {exc!r}"
    return None


def _select(only: list[str] | None) -> tuple[list[Benchmark], list[str]]:
    if not only:
        return list(REGISTRY.values()), []
    return [REGISTRY[n] for n in only if n in REGISTRY], [n for n in only if n not in REGISTRY]


def _run_one(b: Benchmark, ctx: BenchContext, report: dict, setup_error: str | None) -> None:
    if "postgresql" in b.needs and ctx.db_kind != "postgresql":
        report["skipped"].append({"name": b.name, "reason": "needs PostgreSQL (DATABASE_URL)"})
        print(f"- {b.name}: skipped (needs PostgreSQL)")
        return
    if "db" in b.needs and setup_error:
        report["skipped"].append({"name": b.name, "reason": setup_error})
        return
    if "git" in b.needs and not shutil.which("git"):
        report["skipped"].append({"name": b.name, "reason": "git not found"})
        return
    print(f"- {b.name} ...", flush=True)
    ctx.current = b
    t0 = time.perf_counter()
    try:
        out = b.func(ctx)
        figures = [out] if isinstance(out, Figure) else list(out)
    except Exception as exc:
        traceback.print_exc()
        report["errors"].append({"name": b.name, "error": f"{type(exc).__name__}: {exc}"})
        return
    finally:
        ctx.current = None
    for fig in figures:
        if fig.meets_target is None:
            fig.meets_target = meets(fig, ctx.db_kind)
        report["results"].append(fig.as_dict())
    print(f"  done in {time.perf_counter() - t0:.1f} s", flush=True)


def _fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "NO"
    if isinstance(x, float):
        return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"
    return str(x)


def print_table(report: dict) -> None:
    header = ("figure", "value", "unit", "baseline", "baseline value", "ratio", "target", "ok")
    rows = [
        (r["name"], _fmt(r["value"]), r["unit"], r["baseline_name"] or "-",
         _fmt(r["baseline_value"]), _fmt(r["ratio"]), r["target"], _fmt(r["meets_target"]))
        for r in report["results"]
    ]  # fmt: skip
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=False)]
    line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031
    print()
    print(f"database: {report['database']}   quick: {report['quick']}")
    print(line.format(*header))
    print(line.format(*("-" * w for w in widths)))
    for row in rows:
        print(line.format(*row))
    for s in report["skipped"]:
        print(f"skipped  {s['name']}: {s['reason']}")
    for e in report["errors"]:
        print(f"ERROR    {e['name']}: {e['error']}")


if __name__ == "__main__":
    sys.exit(main())
