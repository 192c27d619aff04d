"""Deterministic fake file contents and commit messages for the history generator.

Everything here takes an explicit `random.Random`; nothing reads the clock or iterates a set,
so the same seed always produces the same bytes.
"""

from __future__ import annotations

import random

WORDS = (
    "cache", "batch", "loader", "parser", "token", "vector", "index", "shard", "queue", "worker",
    "schedule", "metric", "tensor", "graph", "kernel", "buffer", "stream", "frame", "sample",
    "dataset", "model", "encoder", "decoder", "config", "client", "server", "session", "router",
    "handler", "report", "export", "import", "filter", "mapper", "reducer", "planner", "tracker",
    "sensor", "camera", "signal", "spectrum", "lattice", "solver", "mesh", "grid", "field",
)  # fmt: skip
VERBS = (
    "Fix", "Add", "Refactor", "Remove", "Rename", "Improve", "Update", "Simplify", "Document",
    "Speed up", "Handle", "Guard", "Validate", "Cache", "Split", "Inline", "Clean up", "Test",
)  # fmt: skip
SCOPES = ("core", "io", "api", "cli", "docs", "tests", "ci", "build", "loader", "infra")
KOREAN_SUBJECTS = (
    "데이터 로더 버그 수정",
    "로깅 개선",
    "설정 파일 정리",
    "테스트 추가",
    "문서 업데이트",
    "성능 개선",
    "오타 수정",
    "예외 처리 보강",
)
LATIN_SUBJECTS = (
    "Corrige le cache des résultats",
    "Überarbeitung des Parsers",
    "Mise à jour de la doc (déploiement)",
    "Añade pruebas para el lector",
)
BODY_LINES = (
    "The previous behaviour dropped the last element when the batch was not full.",
    "This keeps the public API unchanged.",
    "Measured on the nightly dataset; no regression.",
    "Follow-up to the review comments.",
    "Needed by the downstream pipeline.",
    "See the design note in docs/.",
)
LINE_TEMPLATES = (
    "    {w}_{n} = {w2}.get({n})",
    "    if {w} is None:",
    "        return {n}",
    "    for {w} in {w2}s:",
    "        {w2}.append({w}_{n})",
    "    result += compute_{w}({w2}, {n})",
    "    # {w}: keep {w2} in sync with {n}",
    "    self.{w}_{n} = {w2}",
    "    log.debug('{w} %s', {w2})",
    "    assert {w}_{n} >= 0",
)


def word(rng: random.Random) -> str:
    return rng.choice(WORDS)


def code_line(rng: random.Random) -> str:
    tpl = rng.choice(LINE_TEMPLATES)
    return tpl.format(w=rng.choice(WORDS), w2=rng.choice(WORDS), n=rng.randrange(1000))


def python_module(rng: random.Random, name: str, n_funcs: int | None = None) -> list[str]:
    lines = [f'"""{name.replace("_", " ").capitalize()} helpers."""', "", "import logging", ""]
    lines.append("log = logging.getLogger(__name__)")
    for _ in range(n_funcs if n_funcs is not None else rng.randint(2, 6)):
        lines += ["", "", f"def {word(rng)}_{word(rng)}_{rng.randrange(100)}(value):"]
        lines += [code_line(rng) for _ in range(rng.randint(3, 12))]
        lines.append("    return value")
    return lines


def test_module(rng: random.Random, target: str) -> list[str]:
    lines = [f"from pkg import {target}", ""]
    for i in range(rng.randint(2, 5)):
        lines += ["", f"def test_{word(rng)}_{i}():", f"    assert {target} is not None"]
        lines += [code_line(rng) for _ in range(rng.randint(1, 4))]
    return lines


def markdown(rng: random.Random, title: str) -> list[str]:
    lines = [f"# {title}", ""]
    for _ in range(rng.randint(3, 10)):
        lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))) + ".")
        lines.append("")
    return lines


def c_source(rng: random.Random, lib: str, name: str, version: str) -> list[str]:
    lines = [f"/* {lib} {version} -- {name}. Vendored, do not edit. */", f'#include "{lib}.h"', ""]
    for i in range(rng.randint(4, 10)):
        lines.append(f"static int {lib}_{word(rng)}_{i}(const char *s, int n) {{")
        for _ in range(rng.randint(3, 12)):
            lines.append(f"    n = (n * {rng.randrange(3, 97)}) ^ s[{rng.randrange(16)}];")
        lines += ["    return n;", "}", ""]
    return lines


def lockfile(rng: random.Random, packages: list[tuple[str, str]]) -> list[str]:
    lines = ["version = 1", 'requires-python = ">=3.11"', ""]
    for pkg, ver in packages:
        digest = f"{random.Random(f'{pkg}=={ver}').getrandbits(256):064x}"
        lines += [
            "[[package]]",
            f'name = "{pkg}"',
            f'version = "{ver}"',
            'source = { registry = "https://pypi.org/simple" }',
            f'wheels = [{{ url = "https://files.example/{pkg}-{ver}.whl",',
            f'           hash = "sha256:{digest}" }}]',
            "",
        ]
    return lines


def edit_lines(rng: random.Random, lines: list[str]) -> list[str]:
    """A new list with 1-3 hunks changed (replace, insert or delete a few lines)."""
    out = list(lines)
    for _ in range(rng.randint(1, 3)):
        pos = rng.randrange(len(out) + 1)
        op = rng.random()
        if (op < 0.25 and len(out) > 12) or (op < 0.5 and len(out) > 90) or len(out) > 140:
            del out[pos : pos + rng.randint(1, 4)]
        elif op < 0.6 and pos < len(out):
            out[pos : pos + rng.randint(1, 3)] = [code_line(rng) for _ in range(rng.randint(1, 4))]
        else:
            out[pos:pos] = [code_line(rng) for _ in range(rng.randint(1, 8))]
    if out == lines:
        out.append(code_line(rng))
    return out


def subject(rng: random.Random) -> str:
    r = rng.random()
    if r < 0.12:
        return rng.choice(KOREAN_SUBJECTS)
    if r < 0.45:
        kind = rng.choice(("fix", "feat", "refactor", "test", "docs", "chore"))
        return f"{kind}({rng.choice(SCOPES)}): {word(rng)} {word(rng)} handling"
    return f"{rng.choice(VERBS)} {word(rng)} {word(rng)}"


def message(rng: random.Random, subj: str, issue_max: int = 400) -> str:
    parts = [subj]
    if rng.random() < 0.4:
        parts.append(" ".join(rng.sample(BODY_LINES, rng.randint(1, 2))))
    if rng.random() < 0.2:
        parts.append(f"Closes #{rng.randrange(1, issue_max)}")
    return "\n\n".join(parts) + "\n"


def binary_blob(rng: random.Random, size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + rng.randbytes(size)
