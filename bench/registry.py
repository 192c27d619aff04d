"""The benchmark registry, the context a benchmark runs in, and timing helpers.

A benchmark is a function registered with `@benchmark(...)` in a module `bench/b_<area>.py`;
it takes a `BenchContext` and returns one `Figure` or a list of them. See docs/performance.md.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import shutil
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

KNOWN_NEEDS = {
    "db": "a scratch database, migrated (PostgreSQL when DATABASE_URL points to one, else SQLite)",
    "postgresql": "skipped unless the run uses PostgreSQL",
    "git": "the git executable",
}


@dataclass
class Figure:
    name: str
    value: float | None
    unit: str
    baseline_name: str | None = None
    baseline_value: float | None = None
    ratio: float | None = None
    target: str = "report"
    meets_target: bool | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Benchmark:
    name: str
    unit: str
    target: str
    needs: tuple[str, ...]
    func: Callable[[BenchContext], Figure | Iterable[Figure]]
    description: str


REGISTRY: dict[str, Benchmark] = {}


def benchmark(
    name: str, unit: str, target: str = "report", needs: Iterable[str] = (), description: str = ""
):
    """Register `func(ctx) -> Figure | list[Figure]` under `name`.

    target: "report", "ratio >= 0.7", "ratio <= 1.2", "<= 150 ms", "<= 100 ms on postgresql".
    needs: any of KNOWN_NEEDS ("db", "postgresql", "git").
    """
    needs = tuple(needs)
    unknown = [n for n in needs if n not in KNOWN_NEEDS]
    if unknown:
        raise ValueError(f"{name}: unknown needs {unknown}; known: {sorted(KNOWN_NEEDS)}")
    parse_target(target)  # fail at import time on a typo

    def register(func):
        if name in REGISTRY and REGISTRY[name].func is not func:
            raise ValueError(f"benchmark {name!r} registered twice")
        doc = description or (func.__doc__ or "").strip().split("\n")[0]
        REGISTRY[name] = Benchmark(name, unit, target, needs, func, doc)
        return func

    return register


# ---- targets ------------------------------------------------------------------------------
_TARGET = re.compile(
    r"^\s*(?P<ratio>ratio\s*)?(?P<op>>=|<=|≥|≤|>|<)\s*(?P<num>[\d_,.]+)\s*(?P<unit>[^\s]+)?"
    r"(?:\s+on\s+(?P<db>postgresql|sqlite))?\s*$",
    re.IGNORECASE,
)
_OPS = {
    ">=": lambda a, b: a >= b,
    "≥": lambda a, b: a >= b,
    "<=": lambda a, b: a <= b,
    "≤": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    "<": lambda a, b: a < b,
}


def parse_target(target: str) -> dict[str, Any] | None:
    """None for "report"; else {"on": "ratio"|"value", "op", "threshold", "db"}."""
    if target.strip().lower() == "report":
        return None
    m = _TARGET.match(target)
    if not m:
        raise ValueError(f"unparseable target {target!r}")
    return {
        "on": "ratio" if m["ratio"] else "value",
        "op": m["op"],
        "threshold": float(m["num"].replace(",", "").replace("_", "")),
        "db": (m["db"] or "").lower() or None,
    }


def meets(fig: Figure, db_kind: str | None) -> bool | None:
    spec = parse_target(fig.target)
    if spec is None or (spec["db"] and spec["db"] != db_kind):
        return None
    observed = fig.ratio if spec["on"] == "ratio" else fig.value
    if observed is None or (isinstance(observed, float) and math.isnan(observed)):
        return None
    return _OPS[spec["op"]](observed, spec["threshold"])


# ---- timing -------------------------------------------------------------------------------
@dataclass
class Measurement:
    samples: list[float]  # seconds
    result: Any = None  # what the last call returned

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def max(self) -> float:
        return max(self.samples)

    def summary(self, scale: float = 1.0, digits: int = 4) -> dict[str, float]:
        """median/p95/min/max multiplied by `scale` (1000 for ms)."""
        return {
            k: round(getattr(self, k) * scale, digits) for k in ("median", "p95", "min", "max")
        } | {"n": len(self.samples)}


def percentile(samples: Iterable[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(samples)
    if not ordered:
        raise ValueError("no samples")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def measure(fn: Callable[[], Any], repeat: int = 5, warmup: int = 0) -> Measurement:
    """Call fn warmup + repeat times; time the last `repeat` calls (perf_counter)."""
    result = None
    for _ in range(warmup):
        result = fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return Measurement(samples, result)


def compare(
    fn: Callable[[], Any], baseline: Callable[[], Any], repeat: int = 5, warmup: int = 1
) -> tuple[Measurement, Measurement]:
    """Measure fn and its baseline interleaved (A B A B ...), so noise hits both alike."""
    for _ in range(warmup):
        fn(), baseline()
    a, b = Measurement([]), Measurement([])
    for i in range(repeat):
        order = ((fn, a), (baseline, b)) if i % 2 == 0 else ((baseline, b), (fn, a))
        for func, m in order:
            t0 = time.perf_counter()
            m.result = func()
            m.samples.append(time.perf_counter() - t0)
    return a, b


def ratio(value: float | None, baseline: float | None, digits: int = 3) -> float | None:
    """value / baseline, rounded; None when either is missing or the baseline is zero."""
    if value is None or not baseline:
        return None
    return round(value / baseline, digits)


# ---- context ------------------------------------------------------------------------------
@dataclass
class BenchContext:
    quick: bool
    scratch_dir: Path  # private to this run; removed afterwards
    seed: int
    db_kind: str  # "postgresql" | "sqlite": what this run uses (or would use) for the DB
    data_dir: Path  # cache of generated histories, shared between runs (read-only for you)
    database_url: str | None = None  # the scratch DB as a DATABASE_URL, when "db" is needed
    current: Benchmark | None = None

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    def history(self, commits: int, authors: int, teams: int, projects: int = 1, private=False):
        """A generated history (cached; generation is never timed). Cached repos are shared:
        pass private=True for a copy in the scratch dir that you may modify."""
        from bench.generate import generate, load

        stem = f"c{commits}-a{authors}-t{teams}-p{projects}-s{self.seed}-"
        key = stem + generator_version()
        out = self.data_dir / key
        for stale in self.data_dir.glob(stem + "*"):  # made by older generator versions
            if stale != out and re.fullmatch(r"[0-9a-f]{10}", stale.name.removeprefix(stem)):
                shutil.rmtree(stale, ignore_errors=True)
        history = load(out)
        if history is None:
            shutil.rmtree(out, ignore_errors=True)
            tmp = self.data_dir / f"{key}.tmp-{os.getpid()}"
            generate(tmp, commits, authors, teams, self.seed, projects)
            with contextlib.suppress(OSError):  # a concurrent run may have won the race
                tmp.rename(out)
            shutil.rmtree(tmp, ignore_errors=True)
            history = load(out)
        if private:
            copy = self.scratch_dir / f"{key}-{time.monotonic_ns()}"
            shutil.copytree(out, copy, symlinks=True)
            history = load(copy)
        return history

    def subprocess_env(self, **extra: str) -> dict[str, str]:
        """os.environ with DATABASE_URL pointing at the scratch DB (for servers, workers)."""
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings", **extra)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        return env

    def figure(self, value: float | None, **kw: Any) -> Figure:
        """A Figure with name/unit/target of the running benchmark unless given in kw."""
        bench = self.current
        kw.setdefault("name", bench.name if bench else "unnamed")
        kw.setdefault("unit", bench.unit if bench else "")
        kw.setdefault("target", bench.target if bench else "report")
        if kw.get("ratio") is None and kw.get("baseline_value") is not None:
            kw["ratio"] = ratio(value, kw["baseline_value"])
        return Figure(value=value, **kw)


def generator_version() -> str:
    """Hash of the generator's sources: a changed generator invalidates cached histories."""
    import hashlib

    digest = hashlib.sha1(usedforsecurity=False)
    here = Path(__file__).parent
    for name in ("generate.py", "_history.py", "_changes.py", "_content.py", "_org.py"):
        digest.update((here / name).read_bytes())
    digest.update((here / "_fastimport.py").read_bytes())
    return digest.hexdigest()[:10]
