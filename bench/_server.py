"""gunicorn serving the service on a free loopback port, for the load benchmarks and tests.

The server gets the caller's environment plus `env` (a benchmark passes `ctx.subprocess_env()`,
which points DATABASE_URL at the scratch database); DEBUG is off, as in production (Django
would otherwise keep every query in memory). Started and stopped by the caller (a context
manager), never left running: the process group is terminated on the way out.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The webhook receiver also waits on the database's commit and the broker: 2 sync workers per
# core (gunicorn's own guidance) keep both cores busy through those waits.
HOOK_WORKERS = 4


def workers_cpu_s(base_url: str) -> float:
    """CPU seconds (user + system) used so far by the worker processes of the gunicorn serving
    `base_url` (started by `gunicorn()` below; read from /proc, 0.0 where it is unavailable)."""
    master = _MASTERS.get(base_url)
    tick = os.sysconf("SC_CLK_TCK")
    try:
        kids = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        total = 0
        for pid in kids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / tick
    except (OSError, ValueError, TypeError):
        return 0.0


_MASTERS: dict[str, int] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, log: Path | None = None,
             timeout: float = 60.0):  # fmt: skip
    """Yields the base URL (`http://127.0.0.1:<port>`) once the server accepts connections."""
    port = free_port()
    child_env = {**os.environ, **env, "DJANGO_DEBUG": "false"}
    child_env.setdefault("PYTHONPATH", str(ROOT))
    out = log.open("ab") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi:application", "--bind",
         f"127.0.0.1:{port}", "--workers", str(workers), "--worker-class", "sync",
         "--log-level", "warning", "--graceful-timeout", "5"],
        cwd=ROOT, env=child_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode} (log: {log})")
            with suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not listen on {port} within {timeout:.0f} s")
            time.sleep(0.1)
        _MASTERS[f"http://127.0.0.1:{port}"] = proc.pid
        yield f"http://127.0.0.1:{port}"
    finally:
        _MASTERS.pop(f"http://127.0.0.1:{port}", None)
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        if log:
            out.close()
