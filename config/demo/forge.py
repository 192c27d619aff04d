"""Start the embedded localforge for `make run` (when the forge URLs point at this machine)."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings


def is_local(url: str) -> bool:
    return urlsplit(url).hostname in {"127.0.0.1", "localhost"}


def listening(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 80), timeout=1):
            return True
    except OSError:
        return False


def start_localforge(data_dir: Path, seed: dict) -> subprocess.Popen | None:
    """Start localforge on the ports of GITLAB_URL and GITHUB_API_URL, seeded; None when it
    is running already (a previous `make run`) or the forges are not local."""
    if not (is_local(settings.GITLAB_URL) and is_local(settings.GITHUB_API_URL)):
        return None
    if listening(settings.GITLAB_URL) and listening(settings.GITHUB_API_URL):
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    seed_file = data_dir.parent / "forge-seed.json"
    seed_file.write_text(json.dumps(seed))
    argv = [
        sys.executable, "-m", "localforge", "--data", str(data_dir), "--host", "127.0.0.1",
        "--gitlab-port", str(urlsplit(settings.GITLAB_URL).port),
        "--github-port", str(urlsplit(settings.GITHUB_API_URL).port),
        "--seed", str(seed_file),
    ]  # fmt: skip
    log = (data_dir.parent / "localforge.log").open("ab")
    env = dict(os.environ, LOCALFORGE_TOKEN=settings.GITLAB_TOKEN)  # the token stays off argv
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=log, env=env, cwd=settings.BASE_DIR
    )
    line = proc.stdout.readline()
    if not line:
        raise RuntimeError(f"localforge did not start; see {log.name}")
    deadline = time.monotonic() + 10
    while not (listening(settings.GITLAB_URL) and listening(settings.GITHUB_API_URL)):
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("localforge did not start listening")
        time.sleep(0.1)
    return proc


DEMO_GITHUB_HOOK_SECRET = "osp-demo-github-hook-secret"  # noqa: S105 - demo forge only


def demo_hook_secret() -> bool:
    """On the embedded forges, give GitHub's webhook a secret when none is configured, so a pull
    request opened on the demo's public mirror comes back as a merge request by itself. The
    worker (a child process) reads it from the environment."""
    if settings.GITHUB_WEBHOOK_SECRET or not is_local(settings.GITHUB_API_URL):
        return False
    settings.GITHUB_WEBHOOK_SECRET = DEMO_GITHUB_HOOK_SECRET
    os.environ["GITHUB_WEBHOOK_SECRET"] = DEMO_GITHUB_HOOK_SECRET
    return True
