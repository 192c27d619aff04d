"""Git smart HTTP through ``git http-backend`` (CGI), streaming both ways.

The forge decides who may read or write before calling :func:`serve`. Pushes run two
hooks installed under DATA/hooks (through ``core.hooksPath``, so repositories stay
pristine): ``pre-receive`` refuses updates to protected refs, ``post-receive`` writes the
ref updates to a file that :func:`serve` hands to the forge for its webhooks.
"""

import base64
import contextlib
import os
import subprocess
import sys
import threading
import traceback
import uuid

from localforge import gitrepo
from localforge.web import iter_body

SERVICES = ("info/refs", "git-upload-pack", "git-receive-pack")

PRE_RECEIVE = """#!/bin/sh
# Installed by localforge: enforces protected refs for the pushing user.
set -f
status=0
while read -r old new ref; do
  for p in $LOCALFORGE_DENY_REFS; do
    if [ "$ref" = "$p" ]; then
      echo "$LOCALFORGE_DENY_MESSAGE" >&2
      status=1
    fi
  done
  for p in $LOCALFORGE_PROTECTED_REFS; do
    [ "$ref" = "$p" ] || continue
    if [ "$new" = "0000000000000000000000000000000000000000" ]; then
      echo "$LOCALFORGE_DELETE_MESSAGE" >&2
      status=1
    elif [ "$old" != "0000000000000000000000000000000000000000" ] &&
         ! git merge-base --is-ancestor "$old" "$new"; then
      echo "$LOCALFORGE_FORCE_MESSAGE" >&2
      status=1
    fi
  done
done
exit $status
"""

POST_RECEIVE = """#!/bin/sh
# Installed by localforge: records the ref updates of this push for webhooks.
if [ -n "$LOCALFORGE_UPDATES_FILE" ]; then
  cat >> "$LOCALFORGE_UPDATES_FILE"
else
  cat > /dev/null
fi
exit 0
"""


def install_hooks(hooks_dir: str):
    os.makedirs(hooks_dir, exist_ok=True)
    for name, text in (("pre-receive", PRE_RECEIVE), ("post-receive", POST_RECEIVE)):
        path = os.path.join(hooks_dir, name)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(path, 0o755)  # noqa: S103 - hooks must be executable by git


def credentials(header: str | None) -> list[str]:
    """Token candidates from an Authorization header (Basic: password, then username)."""
    if not header:
        return []
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=False).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return []
        user, _, password = decoded.partition(":")
        return [c for c in (password, user) if c]
    if scheme in ("bearer", "token"):
        return [value.strip()] if value.strip() else []
    return []


def serve(
    handler,
    req,
    *,
    root: str,
    repo_name: str,
    service: str,
    user: dict | None,
    hooks_dir: str,
    tmp_dir: str,
    policy: dict | None = None,
    on_push=None,
):
    """Run http-backend for ``root/repo_name`` and stream its answer to the client."""
    env = gitrepo.git_env(
        {
            "GIT_PROJECT_ROOT": root,
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": f"/{repo_name}/{service}",
            "QUERY_STRING": req.query_string,
            "REQUEST_METHOD": req.method,
            "CONTENT_TYPE": req.header("Content-Type") or "",
            "REMOTE_ADDR": handler.client_address[0],
            "GIT_CONFIG_COUNT": "2",
            "GIT_CONFIG_KEY_0": "core.hooksPath",
            "GIT_CONFIG_VALUE_0": hooks_dir,
            "GIT_CONFIG_KEY_1": "uploadpack.allowFilter",
            "GIT_CONFIG_VALUE_1": "true",
        }
    )
    if user is not None:
        env["REMOTE_USER"] = user["username"]
    for header, var in (("Git-Protocol", "HTTP_GIT_PROTOCOL"), ("Content-Encoding", None)):
        value = req.header(header)
        if value:
            env[var or "HTTP_CONTENT_ENCODING"] = value
    chunked = "chunked" in (req.header("Transfer-Encoding") or "").lower()
    if req.header("Content-Length") and not chunked:
        env["CONTENT_LENGTH"] = req.header("Content-Length")
    for key, value in (policy or {}).items():
        env[key] = value
    updates_file = None
    if service == "git-receive-pack" and req.method == "POST":
        os.makedirs(tmp_dir, exist_ok=True)
        updates_file = os.path.join(tmp_dir, f"push-{uuid.uuid4().hex}")
        env["LOCALFORGE_UPDATES_FILE"] = updates_file

    proc = subprocess.Popen(
        ["git", "http-backend"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    errors: list[bytes] = []
    pump = threading.Thread(target=_pump_in, args=(handler, req, proc), daemon=True)
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)
    pump.start()
    drain.start()
    try:
        status, headers = _read_cgi_headers(proc.stdout)
        handler.send_response(status)
        for name, value in headers:
            if name.lower() not in ("status", "content-length", "transfer-encoding"):
                handler.send_header(name, value)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        while True:
            data = proc.stdout.read1(65536)
            if not data:
                break
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    finally:
        pump.join(timeout=60)
        proc.stdout.close()
        proc.wait(timeout=60)
        drain.join(timeout=5)
    if updates_file and os.path.exists(updates_file):
        with open(updates_file, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        os.unlink(updates_file)
        updates = [tuple(line.split()) for line in lines if len(line.split()) == 3]
        if updates and on_push is not None:
            try:
                on_push(updates)
            except Exception:  # noqa: BLE001 - the push succeeded; only its webhooks failed
                traceback.print_exc(file=sys.stderr)


def _pump_in(handler, req, proc):
    try:
        if req.method == "POST":
            for chunk in iter_body(handler):
                proc.stdin.write(chunk)
    except (BrokenPipeError, OSError):
        handler.close_connection = True
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()


def _read_cgi_headers(stream) -> tuple[int, list[tuple[str, str]]]:
    status = 200
    headers = []
    while True:
        line = stream.readline()
        if not line or line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        value = value.strip()
        if name.lower() == "status":
            status = int(value.split()[0])
        else:
            headers.append((name.strip(), value))
    return status, headers
