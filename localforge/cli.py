"""Command line: ``python -m localforge --data DIR --token TOKEN [--gitlab-port P1] ...``.

Prints one JSON line (gitlab_url, github_url, pid) once both ports listen, then serves
until SIGTERM or SIGINT.
"""

import argparse
import json
import os
import signal
import sys
import threading

from localforge.admin import apply_seed
from localforge.app import Context
from localforge.github_api import GitHubApp
from localforge.gitlab_api import GitLabApp
from localforge.web import Server


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="localforge", description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="folder holding all state")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--url-host", default=None, help="host name used in URLs (--host)")
    parser.add_argument("--gitlab-port", type=int, default=0, help="GitLab port (0: any free)")
    parser.add_argument("--github-port", type=int, default=0, help="GitHub port (0: any free)")
    parser.add_argument(
        "--token",
        default=os.environ.get("LOCALFORGE_TOKEN"),
        help="admin token accepted by both sides (or env LOCALFORGE_TOKEN)",
    )
    parser.add_argument("--seed", default=None, help="JSON file with users, groups and orgs")
    parser.add_argument("--verbose", action="store_true", help="log requests (no query strings)")
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("--token (or LOCALFORGE_TOKEN) is required")
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    ctx = Context(os.path.abspath(args.data), args.host, args.token, args.verbose)
    servers = {
        "gitlab": Server((args.host, args.gitlab_port), GitLabApp(ctx)),
        "github": Server((args.host, args.github_port), GitHubApp(ctx)),
    }
    url_host = args.url_host or (
        args.host if args.host not in ("0.0.0.0", "::", "") else "127.0.0.1"  # noqa: S104
    )
    if ":" in url_host:
        url_host = f"[{url_host}]"
    for side, server in servers.items():
        ctx.urls[side] = f"http://{url_host}:{server.server_address[1]}"
    if args.seed:
        with open(args.seed, encoding="utf-8") as fh:
            apply_seed(ctx, json.load(fh))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threads = [
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        for s in servers.values()
    ]
    for thread in threads:
        thread.start()
    line = {"gitlab_url": ctx.urls["gitlab"], "github_url": ctx.urls["github"], "pid": os.getpid()}
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    for server in servers.values():
        server.shutdown()
        server.server_close()
    with ctx.store.lock:
        ctx.store.save()
    ctx.close()
    return 0
