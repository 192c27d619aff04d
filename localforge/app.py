"""What both forges share: the context (state, hooks, faults) and the request cycle."""

import hmac
import os
import sys
import traceback

from localforge import admin, faults, githttp
from localforge.hooks import Deliverer
from localforge.store import ADMIN_USER_ID, Store
from localforge.web import HttpError, Request, Response, send


class Context:
    """Everything the two forges of one localforge process share."""

    def __init__(self, data_dir: str, host: str, admin_token: str, verbose: bool = False):
        os.makedirs(data_dir, exist_ok=True)
        for side in ("gitlab", "github"):
            os.makedirs(os.path.join(data_dir, side), exist_ok=True)
        self.data_dir = data_dir
        self.host = host
        self.admin_token = admin_token
        self.verbose = verbose
        self.store = Store(data_dir)
        self.hooks_dir = os.path.join(data_dir, "hooks")
        self.tmp_dir = os.path.join(data_dir, "tmp")
        githttp.install_hooks(self.hooks_dir)
        self.deliverers = {side: Deliverer(side) for side in ("gitlab", "github")}
        self.faults = {side: faults.Faults() for side in ("gitlab", "github")}
        self.urls = {"gitlab": "", "github": ""}

    def repo_dir(self, side: str, repo_id: int) -> str:
        return os.path.join(self.data_dir, side, f"{int(repo_id)}.git")

    def close(self):
        for deliverer in self.deliverers.values():
            deliverer.close()


class ForgeApp:
    """One forge (one port). Subclasses provide ``api`` and ``git_target``."""

    side = ""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.store = ctx.store
        self.deliverer = ctx.deliverers[self.side]
        self.verbose = ctx.verbose

    @property
    def base(self) -> str:
        return self.ctx.urls[self.side]

    # --- the request cycle ------------------------------------------------------------

    def handle(self, handler):
        req = Request(handler)
        try:
            if req.raw_path.startswith("/-/localforge/") or req.raw_path == "/-/localforge":
                req.read_body()
                response = admin.dispatch(self, req)
            else:
                fault = self.ctx.faults[self.side].take(req.raw_path)
                if fault is not None:
                    handler.close_connection = True
                    response = faults.response(self.side, fault)
                else:
                    target = self.git_target(req)
                    if target is not None:
                        self.serve_git(handler, req, target)
                        return
                    req.read_body()
                    response = self.api(req)
        except HttpError as exc:
            if not req.body_read and req.has_body():
                handler.close_connection = True
            response = self.error_response(exc)
        except Exception:  # noqa: BLE001 - a bug must answer 500, not kill the connection
            traceback.print_exc(file=sys.stderr)
            response = self.error_response(HttpError(500))
        send(handler, response, self.common_headers(req, response))

    def serve_git(self, handler, req, target):
        """``target`` is (repo_id, service, user, policy, on_push) after auth checks."""
        repo_id, service, user, policy, on_push = target
        githttp.serve(
            handler,
            req,
            root=os.path.join(self.ctx.data_dir, self.side),
            repo_name=f"{int(repo_id)}.git",
            service=service,
            user=user,
            hooks_dir=self.ctx.hooks_dir,
            tmp_dir=self.ctx.tmp_dir,
            policy=policy,
            on_push=on_push,
        )

    def locked(self, func, *args):
        """Run ``func`` under the state lock and save when it may have changed state."""
        with self.store.lock:
            try:
                return func(*args)
            finally:
                self.store.save()

    # --- auth -------------------------------------------------------------------------

    def user_for_token(self, token: str | None):
        if not token:
            return None
        if hmac.compare_digest(token.encode(), self.ctx.admin_token.encode()):
            return self.store.get("users", ADMIN_USER_ID)
        with self.store.lock:
            return self.store.user_for_token(token)

    def git_user(self, req):
        """(user, sent_credentials) from HTTP basic auth on a git request."""
        candidates = githttp.credentials(req.header("Authorization"))
        for token in candidates:
            user = self.user_for_token(token)
            if user is not None:
                return user, True
        return None, bool(candidates)

    # --- overridden per forge ---------------------------------------------------------

    def api(self, req) -> Response:
        raise NotImplementedError

    def git_target(self, req):
        return None

    def error_response(self, exc: HttpError) -> Response:
        body = exc.body if exc.body is not None else {"message": str(exc.status)}
        return Response(exc.status, body, exc.headers, exc.content_type)

    def common_headers(self, req, response) -> list:
        return [("X-Request-Id", req.request_id)]
