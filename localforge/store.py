"""Persistent state: one JSON document under the data folder, guarded by one lock.

All API handlers run while holding ``Store.lock`` (one big lock), which keeps the model
simple; git transfers run outside it. Every table is a dict keyed by ``str(id)``.
Personal tokens are stored as SHA-256 digests, never in clear.
"""

import datetime
import hashlib
import json
import os
import secrets
import threading

TABLES = (
    "users",
    "tokens",
    "namespaces",
    "gl_projects",
    "gl_members",
    "gl_hooks",
    "gl_mrs",
    "gl_notes",
    "gh_orgs",
    "gh_repos",
    "gh_hooks",
    "gh_pulls",
    "gh_comments",
)

ADMIN_USER_ID = 1


def now_iso() -> str:
    """UTC timestamp with milliseconds, the way GitLab writes them."""
    now = datetime.datetime.now(datetime.UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(prefix: str = "lf") -> str:
    return f"{prefix}-{secrets.token_hex(20)}"


class Store:
    def __init__(self, data_dir: str):
        self.data_dir = data_dir
        self.path = os.path.join(data_dir, "state.json")
        self.lock = threading.RLock()
        self.data = self._load()
        if str(ADMIN_USER_ID) not in self.data["users"]:
            self._create_admin()
            self.save()

    def _load(self) -> dict:
        data = {}
        if os.path.exists(self.path):
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        data.setdefault("seq", {})
        for table in TABLES:
            data.setdefault(table, {})
        return data

    def _create_admin(self):
        uid = self.next_id("user")
        ns = self.next_id("namespace")
        self.put(
            "users",
            {
                "id": uid,
                "username": "root",
                "name": "Administrator",
                "email": "admin@localforge.invalid",
                "is_admin": True,
                "created_at": now_iso(),
                "namespace_id": ns,
            },
        )
        self.put(
            "namespaces",
            {
                "id": ns,
                "kind": "user",
                "path": "root",
                "name": "Administrator",
                "parent_id": None,
                "owner_id": uid,
                "created_at": now_iso(),
            },
        )

    def save(self):
        with self.lock:
            tmp = self.path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(self.data, fh, separators=(",", ":"))
            os.replace(tmp, self.path)

    # --- generic table access -------------------------------------------------------

    def next_id(self, sequence: str) -> int:
        seq = self.data["seq"]
        seq[sequence] = seq.get(sequence, 0) + 1
        return seq[sequence]

    def table(self, name: str) -> dict:
        return self.data[name]

    def rows(self, name: str) -> list:
        return sorted(self.data[name].values(), key=lambda r: r.get("id", 0))

    def get(self, name: str, row_id):
        if row_id is None:
            return None
        return self.data[name].get(str(row_id))

    def put(self, name: str, row: dict) -> dict:
        self.data[name][str(row["id"])] = row
        return row

    def delete(self, name: str, row_id):
        self.data[name].pop(str(row_id), None)

    def find(self, name: str, **equal) -> list:
        return [r for r in self.rows(name) if all(r.get(k) == v for k, v in equal.items())]

    def first(self, name: str, **equal):
        found = self.find(name, **equal)
        return found[0] if found else None

    # --- users and tokens -----------------------------------------------------------

    def user_by_name(self, username: str):
        if not isinstance(username, str):
            return None
        low = username.lower()
        for user in self.data["users"].values():
            if user["username"].lower() == low:
                return user
        return None

    def user_for_token(self, token: str):
        entry = self.data["tokens"].get(token_digest(token))
        if entry is None or entry.get("revoked"):
            return None
        return self.get("users", entry["user_id"])

    def add_token(self, user_id: int, token: str | None = None, name: str = "localforge") -> dict:
        token = token or new_token()
        entry = {
            "id": self.next_id("token"),
            "user_id": user_id,
            "name": name,
            "scopes": ["api", "read_repository", "write_repository"],
            "created_at": now_iso(),
            "revoked": False,
        }
        self.data["tokens"][token_digest(token)] = entry
        return {**entry, "token": token}

    def create_user(self, username, email=None, name=None, is_admin=False) -> dict:
        uid = self.next_id("user")
        ns = self.next_id("namespace")
        user = {
            "id": uid,
            "username": username,
            "name": name or username,
            "email": email or f"{username}@localforge.invalid",
            "is_admin": bool(is_admin),
            "created_at": now_iso(),
            "namespace_id": ns,
        }
        self.put("users", user)
        self.put(
            "namespaces",
            {
                "id": ns,
                "kind": "user",
                "path": username,
                "name": user["name"],
                "parent_id": None,
                "owner_id": uid,
                "created_at": user["created_at"],
            },
        )
        return user

    def user_by_email(self, email: str):
        if not email:
            return None
        low = email.lower()
        for user in self.data["users"].values():
            if user.get("email", "").lower() == low:
                return user
        return None
