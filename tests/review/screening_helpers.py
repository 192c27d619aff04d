"""Helpers for the screening tests: repositories with and without planted problems, and
in-memory files for rule-level tests (no git needed)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from review.checks.base import BlobContent, ScanContext, TreeFile
from review.checks.gitsource import BlobData

from .gitrepo import GitRepo

DATA = Path(__file__).parent / "data"
APACHE_2 = (DATA / "apache-2.0.txt").read_text()
GITLAB_TOKEN = "glpat-" + "Zq3Rk8Vw2Xy7Lm4Np9Tb"  # 20 chars after the prefix
RSA_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAv2xk9mZ3Vt8pYqN1cR4wX7sHj2LbQe0uTg5aKf6dWnJrM3yE\n"
    "q8ZsBvC1oP4iH7nU9tR2eW6yA0xD5gF3jK8lM1nO4pQ7rS0tV2uX5wY8zB3cE6fH\n"
    "-----END RSA PRIVATE KEY-----\n"
)
GPL_2_FILE = (
    "// SPDX-License-Identifier: GPL-2.0-only\n"
    "/*\n"
    " * This program is free software; you can redistribute it and/or modify\n"
    " * it under the terms of the GNU General Public License version 2 as\n"
    " * published by the Free Software Foundation.\n"
    " */\n"
    "int vendored_checksum(const char *p) { return p[0]; }\n"
)
APACHE_HEADER = (
    "# SPDX-License-Identifier: Apache-2.0\n# Copyright 2024 Example Research Institute\n"
)


def clean_files() -> dict[str, str]:
    return {
        "README.md": "# Demo\n\nA small tool that sums numbers.\n\n```\npip install demo\n```\n",
        "LICENSE": APACHE_2,
        "CONTRIBUTING.md": "# Contributing\n\nOpen a pull request; run `make test` first.\n",
        "CODE_OF_CONDUCT.md": "# Code of Conduct\n\nBe kind. Report problems to the maintainers.\n",
        "SECURITY.md": "# Security\n\nReport vulnerabilities privately to security@example.org.\n",
        ".github/workflows/ci.yml": "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
        "src/demo/__init__.py": APACHE_HEADER + '"""Demo package."""\n',
        "src/demo/core.py": APACHE_HEADER
        + "import os\n\n\ndef total(values):\n    return sum(values)\n\n\n"
        "def config_path():\n    return os.environ.get('DEMO_CONFIG', 'demo.toml')\n",
        "tests/test_core.py": APACHE_HEADER
        + "from demo.core import total\n\n\ndef test_total():\n    assert total([1, 2]) == 3\n",
        "docs/usage.md": "# Usage\n\nCall `total([1, 2, 3])`. See https://example.org/docs.\n",
    }


def make_clean_repo(path: Path) -> GitRepo:
    repo = GitRepo(path)
    for name, content in clean_files().items():
        repo.write(name, content)
    repo.commit("Initial import of the demo tool")
    repo.write("src/demo/cli.py", APACHE_HEADER + "import sys\n\nprint(sys.argv)\n")
    repo.commit("Add a command line entry point")
    return repo


def make_planted_repo(path: Path) -> tuple[GitRepo, dict[str, str]]:
    """The "done when" repository. Returns the repo and the shas that matter."""
    repo = GitRepo(path)
    for name, content in clean_files().items():
        if name != "SECURITY.md":  # planted: missing SECURITY.md
            repo.write(name, content)
    repo.commit("Initial import of the demo tool")
    repo.write("deploy/settings.yml", f"registry: registry.example.org\ntoken: {GITLAB_TOKEN}\n")
    token_commit = repo.commit("Add deployment settings")
    repo.delete("deploy/settings.yml")
    repo.commit("Remove deployment settings")  # deleted three commits before HEAD
    repo.write("certs/server.pem", RSA_KEY)
    key_commit = repo.commit("Add TLS material for the demo server")
    repo.write("vendor/checksum.c", GPL_2_FILE)
    gpl_commit = repo.commit("Vendor a checksum routine")
    repo.write("assets/weights.bin", os.urandom(20 * 1024 * 1024))  # planted: 20 MB binary
    head = repo.commit("Ship model weights, tested on gpu01.internal.example.ac.kr")
    return repo, {
        "token": token_commit,
        "key": key_commit,
        "gpl": gpl_commit,
        "head": head,
    }


def memfile(
    path: str,
    content: str | bytes,
    *,
    mode: str = "100644",
    commit: str | None = None,
    in_tree: bool = True,
    cap: int = 10 * 1024 * 1024,
) -> TreeFile:
    """A TreeFile backed by bytes in memory, for rule-level tests."""
    data = content.encode() if isinstance(content, str) else content
    oid = hashlib.sha1(data, usedforsecurity=False).hexdigest()

    def load() -> BlobData:
        binary = b"\0" in data[:8000]
        kept = data[:8000] if binary else data[:cap]
        return BlobData(oid, "blob", len(data), kept, len(data) > cap, binary)

    return TreeFile(
        path=path,
        oid=oid,
        mode=mode,
        size=len(data),
        commit=commit,
        in_tree=in_tree,
        content=BlobContent(oid, load),
    )


def ctx(**kwargs) -> ScanContext:
    kwargs.setdefault("repo", Path("/nonexistent"))
    kwargs.setdefault("sha", "0" * 40)
    return ScanContext(**kwargs)


def keyset(findings) -> set[tuple]:
    return {(f.check, f.rule, f.path) for f in findings}
