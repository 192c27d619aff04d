"""File contents of the demo repositories: a release-ready scaffold, a vendored library, and the
two planted problems (a private address in the docs, a private key)."""

from pathlib import Path

LICENSES = Path(__file__).parent / "licenses"
MIT = """MIT License

Copyright (c) 2026 Example Research Institute

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def license_text(spdx: str) -> str:
    """The full text for the LICENSE file ("" when the demo has none for that license)."""
    if spdx == "MIT":
        return MIT
    path = LICENSES / f"{spdx}.txt"
    return path.read_text() if path.exists() else ""


def header(spdx: str, comment: str = "#") -> str:
    if not spdx:
        return ""
    return (
        f"{comment} SPDX-License-Identifier: {spdx}\n"
        f"{comment} Copyright 2026 Example Research Institute\n"
    )


def scaffold(name: str, summary: str, spdx: str, ext: str) -> dict[str, str]:
    """The first commit: what a repository needs before it asks for a release."""
    comment = "//" if ext == "go" else "#"
    files = {
        "README.md": f"# {name}\n\n{summary}.\n\n## Usage\n\nSee `docs/usage.md`.\n",
        "CONTRIBUTING.md": "# Contributing\n\nOpen a merge request from a branch; run the tests "
        "first (`make test`). Keep changes small and describe why.\n",
        "CODE_OF_CONDUCT.md": "# Code of Conduct\n\nBe kind and constructive. Report problems "
        "to the maintainers listed in the README.\n",
        "SECURITY.md": "# Security\n\nReport vulnerabilities privately to "
        "security@example.org; we answer within a week.\n",
        "docs/usage.md": f"# Usage\n\nInstall {name}, then run it on your data. "
        "See https://example.org/docs for the background.\n",
        ".gitlab-ci.yml": "test:\n  script: make test\n",
        "internal/notes.md": "# Team notes\n\nThe weekly sync is on Mondays.\n",
        f"src/{name.replace('-', '_')}/main.{ext}": header(spdx, comment) + _code(ext, 0),
    }
    text = license_text(spdx)
    if text:
        files["LICENSE"] = text
    return files


def _code(ext: str, n: int) -> str:
    if ext == "go":
        return f"package main\n\nfunc step{n}(x int) int {{\n\treturn x + {n}\n}}\n"
    return f"def step_{n}(x):\n    return x + {n}\n"


def module(name: str, spdx: str, ext: str, week: int) -> tuple[str, str]:
    """A weekly change: one module of the project grows a little."""
    comment = "//" if ext == "go" else "#"
    path = f"src/{name.replace('-', '_')}/module_{week % 6}.{ext}"
    body = "".join(_code(ext, week * 10 + k) + "\n" for k in range(week % 5 + 1))
    return path, header(spdx, comment) + body


VENDORED = {
    "vendor/tinyjson/__init__.py": "# SPDX-License-Identifier: MIT\n"
    "# Copyright (c) 2019 The tinyjson authors\n"
    '"""A tiny JSON helper, vendored unchanged from its upstream release."""\n\n'
    "import json\n\n\ndef dumps(value):\n    return json.dumps(value, sort_keys=True)\n\n\n"
    "def loads(text):\n    return json.loads(text)\n",
    "vendor/tinyjson/README.md": "tinyjson 1.2.0, vendored unchanged (MIT).\n",
}

# Planted problems: the waived one (a documentation example address) and the held one (a key).
PRIVATE_ADDRESS_DOC = (
    "# Setting up a local data server\n\nStart the server, then point the tools at it:\n\n"
    "```\nexport DATA_SERVER=http://192.168.10.20:8080\n```\n"
)
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAv2xk9mZ3Vt8pYqN1cR4wX7sHj2LbQe0uTg5aKf6dWnJrM3yE\n"
    "q8ZsBvC1oP4iH7nU9tR2eW6yA0xD5gF3jK8lM1nO4pQ7rS0tV2uX5wY8zB3cE6fH\n"
    "-----END RSA PRIVATE KEY-----\n"
)
