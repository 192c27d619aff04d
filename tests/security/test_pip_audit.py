"""The dependency audit: requirements.lock pins every dependency of pyproject.toml within its
range, CI runs pip-audit on it, and every ignored vulnerability carries a written reason."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)", re.M)


def locked() -> dict[str, str]:
    return {canonicalize_name(n): v for n, v in PIN.findall(LOCK.read_text())}


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in project["dependencies"] + extras]


def test_the_lock_pins_every_declared_dependency_inside_its_range():
    pins = locked()
    wrong = {
        r.name: pins.get(canonicalize_name(r.name))
        for r in declared()
        if pins.get(canonicalize_name(r.name)) is None
        or not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    }
    assert wrong == {}, "regenerate requirements.lock (see docs/security.md)"
    assert len(pins) > len(declared())  # the transitive dependencies are pinned too


def test_ci_runs_pip_audit_on_the_lock():
    run = (ROOT / ".ci" / "run").read_text()
    assert "bash .ci/pip-audit" in run
    script = (ROOT / ".ci" / "pip-audit").read_text()
    assert "LOCK=requirements.lock" in script and "--strict" in script


def test_every_ignored_vulnerability_has_a_reason():
    for line in (ROOT / ".ci" / "pip-audit-ignore.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            vuln_id, _, reason = line.partition(" ")
            assert re.match(r"^(PYSEC|GHSA|CVE)-", vuln_id), line
            assert len(reason.strip()) > 20, f"{vuln_id} needs a written reason"


def test_pip_audit_reads_the_lock():
    proc = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-r", str(LOCK), "--no-deps", "--disable-pip",
         "--dry-run", "--progress-spinner", "off"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    count = int(re.search(r"would have audited (\d+) packages", proc.stderr).group(1))
    assert count == len(locked())
