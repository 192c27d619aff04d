"""A real `celery worker` subprocess for the fault tests, and a `git` shim to hold it mid-step.

The worker serves `default,git` on the test broker and the test database. It writes its log to
a file (a pipe nobody reads would fill up and stall it) and runs in its own process group, so a
test can SIGKILL it whole, the way a host dies.

The shim is a `git` found first on the worker's PATH (the only variable federation.git passes
on to git). For a subcommand named in `hold`, it records its pid in `<ctl>/<sub>.pid` and waits
for `<ctl>/release-<sub>`; anything else goes straight to the real git.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings as django_settings
from django.db import connection

SHIM = """#!/bin/bash
sub=""
for a in "$@"; do
  case "$a" in -*) continue ;; *) sub="$a"; break ;; esac
done
if [ -n "$sub" ] && [ -e "{ctl}/hold-$sub" ]; then
  echo $$ > "{ctl}/$sub.pid.tmp" && mv "{ctl}/$sub.pid.tmp" "{ctl}/$sub.pid"
  for _ in $(seq 1200); do [ -e "{ctl}/release-$sub" ] && break; sleep 0.1; done
fi
exec {git} "$@"
"""


class GitShim:
    def __init__(self, root: Path):
        self.bin = root / "bin"
        self.ctl = root / "ctl"
        self.bin.mkdir(parents=True)
        self.ctl.mkdir()
        real = shutil.which("git")
        script = self.bin / "git"
        script.write_text(SHIM.replace("{ctl}", str(self.ctl)).replace("{git}", real))
        script.chmod(0o755)

    def hold(self, sub: str) -> None:
        (self.ctl / f"release-{sub}").unlink(missing_ok=True)
        (self.ctl / f"{sub}.pid").unlink(missing_ok=True)
        (self.ctl / f"hold-{sub}").touch()

    def release(self, sub: str) -> None:
        (self.ctl / f"hold-{sub}").unlink(missing_ok=True)
        (self.ctl / f"release-{sub}").touch()

    def held_pid(self, sub: str) -> int | None:
        path = self.ctl / f"{sub}.pid"
        return int(path.read_text()) if path.exists() else None


def purge_broker(broker_url: str) -> None:
    """Nothing left over from another test: empty the queues and Redis' unacked messages."""
    from config.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for queue in ("default", "git"):
            channel.queue_purge(queue)
        client = getattr(channel, "client", None)
        if client is not None:
            client.delete(channel.unacked_key, channel.unacked_index_key)


class Worker:
    def __init__(self, env: dict, log: Path, *, pool="solo", concurrency=1):
        self.env, self.log_path = env, log
        self.pool, self.concurrency = pool, concurrency
        self.proc: subprocess.Popen | None = None

    def start(self, **env) -> Worker:
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        argv = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,git",
                "--pool", self.pool, "--concurrency", str(self.concurrency),
                "--without-gossip", "--without-mingle", "--without-heartbeat",
                "--loglevel", "INFO"]  # fmt: skip
        self.proc = subprocess.Popen(
            argv,
            cwd=django_settings.BASE_DIR,
            env={**self.env, **{k: str(v) for k, v in env.items()}},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once (a host going down)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self.alive():
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        if self.proc is not None and not self._log.closed:
            self._log.close()


def worker_env(
    *,
    broker_url,
    fed_settings,
    localforge,
    secret: str,
    shim: GitShim | None = None,
    retries: str | None = "0",
    retry_wait: str = "0",
) -> dict:
    """The environment of a worker on the test database, broker and localforge. By default the
    adapter neither retries nor sleeps (every fault reaches the task, which retries); `retries`
    None keeps the adapter's own default; `shim` puts the git shim first on PATH."""
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        DATABASE_URL=(f"postgres://{db['USER'] or 'postgres'}:{db['PASSWORD'] or ''}@"
                      f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"),
        CELERY_BROKER_URL=broker_url,
        GITLAB_URL=localforge.gitlab_url,
        GITLAB_TOKEN=localforge.token,
        GITHUB_API_URL=localforge.github_url,
        GITHUB_TOKEN=localforge.token,
        GITHUB_ORG=fed_settings.GITHUB_ORG,
        GITHUB_WEBHOOK_SECRET=secret,
        SERVICE_URL=fed_settings.SERVICE_URL,
        GIT_CACHE_DIR=fed_settings.GIT_CACHE_DIR,
        FORGE_MAX_RETRY_WAIT=retry_wait,
    )  # fmt: skip
    if retries is not None:
        env["FORGE_MAX_RETRIES"] = retries
    if shim is not None:
        env["PATH"] = f"{shim.bin}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    return env


def until(predicate, *, timeout=90, what="condition", workers=()):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        for w in workers:
            if w.proc is not None and w.proc.poll() is not None and not w._log.closed:
                raise AssertionError(f"the worker died:\n{w.output()}")
        if time.monotonic() > deadline:
            logs = "\n".join(w.output() for w in workers)
            raise AssertionError(f"timed out waiting for {what}\n{logs}")
        time.sleep(0.2)
