"""Fallback audit where pip-audit's services are unreachable but PyPI's project JSON is not.

PyPI's project endpoint (`/pypi/<name>/json`) lists the known vulnerabilities of the project's
latest release. For every pin in the lock that IS the latest release, those are exactly the
advisories pip-audit would report, so they are checked; pins behind the latest release are
listed as not audited (their per-release data is what is unreachable). Exit 1 when an audited
pin has a vulnerability that the ignore list does not name.

Usage: python .ci/pypi_latest_audit.py requirements.lock .ci/pip-audit-ignore.txt
"""

import json
import re
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)")


def pins(lock_path):
    with open(lock_path) as f:
        return [m.groups() for line in f if (m := PIN.match(line))]


def ignored(path):
    with open(path) as f:
        return {line.split()[0] for line in f if line.strip() and not line.startswith("#")}


def project(name):
    url = f"https://pypi.org/pypi/{name}/json"
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (fixed https host)
        return json.load(response)


def check(pin):
    name, version = pin
    try:
        data = project(name)
    except Exception as exc:  # noqa: BLE001 (reported, counted as not audited)
        return name, version, None, f"unreachable ({exc.__class__.__name__})"
    latest = data["info"]["version"]
    if latest != version:
        return name, version, None, f"behind the latest release {latest}"
    vulns = [v for v in data.get("vulnerabilities") or [] if not v.get("withdrawn")]
    return name, version, vulns, ""


def main(lock_path, ignore_path):
    skip = ignored(ignore_path)
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(check, pins(lock_path)))
    audited = [r for r in results if r[2] is not None]
    found = []
    for name, version, vulns, _ in audited:
        for v in vulns:
            ids = {v["id"], *(v.get("aliases") or [])}
            if not ids & skip:
                found.append(f"{name}=={version}: {v['id']} (fixed in {v.get('fixed_in')})")
    print(f"pypi-latest audit: {len(audited)} of {len(results)} pins audited (latest releases)")
    for name, version, vulns, why in results:
        if vulns is None:
            print(f"  not audited: {name}=={version}: {why}")
    for line in found:
        print(f"  VULNERABLE: {line}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
