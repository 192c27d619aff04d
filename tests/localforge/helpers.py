"""Helpers for the localforge tests: run real git, build small histories, check schemas."""

import hashlib
import hmac
import json
import os
import subprocess
from functools import cache
from pathlib import Path

from tests.paths import FORGE_FIXTURES

FIXTURES = FORGE_FIXTURES
AUTHOR = ("Ada Author", "ada@example.com")


def git(*args, cwd=None, header=None, check=True, env=None) -> subprocess.CompletedProcess:
    """Run git with an isolated config; ``header`` goes in http.extraHeader, never the URL."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(cwd or "/tmp"),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_AUTHOR_NAME": AUTHOR[0],
        "GIT_AUTHOR_EMAIL": AUTHOR[1],
        "GIT_COMMITTER_NAME": AUTHOR[0],
        "GIT_COMMITTER_EMAIL": AUTHOR[1],
        **(env or {}),
    }
    cmd = ["git"] + (["-c", f"http.extraHeader={header}"] if header else []) + list(args)
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stderr}")
    return proc


def make_repo(path: Path, commits: int = 3, branch: str = "main", prefix: str = "file") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "-b", branch, cwd=path)
    for i in range(commits):
        commit(path, f"{prefix}{i}.txt", f"line {i}\n" * (i + 1), f"Add {prefix}{i}")
    return path


def commit(path: Path, filename: str, content: str, message: str) -> str:
    (path / filename).parent.mkdir(parents=True, exist_ok=True)
    (path / filename).write_text(content)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", message, cwd=path)
    return head(path)


def head(path: Path, rev: str = "HEAD") -> str:
    return git("rev-parse", rev, cwd=path).stdout.strip()


def hmac_ok(secret: str, body: bytes, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header or "")


def load(relative: str):
    return json.loads((FIXTURES / relative).read_text())


@cache
def _registry():
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7

    root = FIXTURES / "github" / "webhook-schemas"
    resources = []
    for file in root.rglob("*.schema.json"):
        schema = json.loads(file.read_text())
        uri = file.relative_to(root).as_posix()
        resource = Resource.from_contents(schema, default_specification=DRAFT7)
        resources.append((uri, resource))
        if "$id" in schema and schema["$id"] != uri:
            resources.append((schema["$id"], resource))
    return Registry().with_resources(resources)


def schema_errors(relative: str, payload: dict) -> list[str]:
    """Validate a GitHub webhook body against octokit's schema (relative to webhook-schemas/)."""
    import jsonschema

    root = FIXTURES / "github" / "webhook-schemas"
    schema = json.loads((root / relative).read_text())
    validator = jsonschema.Draft7Validator(schema, registry=_registry())
    return [f"{list(e.absolute_path)}: {e.message[:300]}" for e in validator.iter_errors(payload)]


def same_types(reference, ours, path="", ignore=()) -> list[str]:
    """Keys of ``reference`` missing from ``ours`` or with another JSON type (None matches all)."""
    problems = []
    if isinstance(reference, dict):
        if not isinstance(ours, dict):
            return [f"{path or '.'}: expected object"]
        for key, value in reference.items():
            where = f"{path}.{key}"
            if key in ignore or where.lstrip(".") in ignore:
                continue
            if key not in ours:
                problems.append(f"{where}: missing")
            else:
                problems += same_types(value, ours[key], where, ignore)
    elif isinstance(reference, list):
        if not isinstance(ours, list):
            return [f"{path}: expected array"]
        if reference and ours:
            problems += same_types(reference[0], ours[0], f"{path}[0]", ignore)
    elif reference is not None and ours is not None:
        numbers = (int, float)
        same = isinstance(reference, bool) == isinstance(ours, bool) and (
            type(reference) is type(ours)
            or (isinstance(reference, numbers) and isinstance(ours, numbers))
        )
        if not same:
            problems.append(f"{path}: {type(ours).__name__} instead of {type(reference).__name__}")
    return problems
