"""GitLab's model: namespaces (users and groups), projects, memberships and access levels."""

import os
import shutil
import uuid

from localforge import gitrepo, names
from localforge.store import now_iso
from localforge.web import HttpError

GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER = 10, 20, 30, 40, 50
LEVELS = (GUEST, REPORTER, DEVELOPER, MAINTAINER, OWNER)
VISIBILITY_LEVEL = {"private": 0, "internal": 10, "public": 20}


def error(status: int, message) -> HttpError:
    return HttpError(status, {"message": message})


def not_found(what: str) -> HttpError:
    return error(404, f"404 {what} Not Found")


def forbidden() -> HttpError:
    return error(403, "403 Forbidden")


def bad_request(message) -> HttpError:
    return HttpError(400, {"error": message} if isinstance(message, str) else {"message": message})


# --- namespaces -------------------------------------------------------------------------


def chain(store, ns: dict) -> list[dict]:
    """The namespace and its ancestors, nearest first."""
    found = []
    while ns is not None and len(found) < 30:
        found.append(ns)
        ns = store.get("namespaces", ns.get("parent_id"))
    return found


def full_path(store, ns: dict) -> str:
    return "/".join(n["path"] for n in reversed(chain(store, ns)))


def full_name(store, ns: dict) -> str:
    return " / ".join(n["name"] for n in reversed(chain(store, ns)))


def find_namespace(store, ref, kind: str | None = None):
    if ref is None:
        return None
    ref = str(ref)
    if ref.isdigit():
        ns = store.get("namespaces", int(ref))
    else:
        low = ref.strip("/").lower()
        ns = next((n for n in store.rows("namespaces") if full_path(store, n).lower() == low), None)
    if ns is not None and kind and ns["kind"] != kind:
        return None
    return ns


def descendants(store, group: dict) -> list[dict]:
    found, frontier = [], [group["id"]]
    while frontier:
        children = [n for n in store.rows("namespaces") if n.get("parent_id") in frontier]
        found += children
        frontier = [c["id"] for c in children]
    return found


def create_group(store, *, path, name=None, parent=None, description="", visibility=None):
    if not names.valid_path(path):
        raise bad_request({"path": ["can contain only letters, digits, '_', '-' and '.'."]})
    name = name or path
    if not names.valid_display_name(name):
        raise bad_request({"name": ["can contain only letters, digits, '_', '.', dash, space."]})
    parent_id = parent["id"] if parent else None
    if parent is None and path.lower() in names.RESERVED_LOGINS:
        raise bad_request({"path": [f"{path} is a reserved name"]})
    for ns in store.rows("namespaces"):
        if ns.get("parent_id") == parent_id and ns["path"].lower() == path.lower():
            raise error(409, {"path": ["has already been taken"]})
    for project in projects_in(store, parent) if parent else []:
        if project["path"].lower() == path.lower():
            raise error(409, {"path": ["has already been taken"]})
    group = {
        "id": store.next_id("namespace"),
        "kind": "group",
        "path": path,
        "name": name,
        "description": description or "",
        "visibility": visibility or (parent or {}).get("visibility") or "private",
        "parent_id": parent_id,
        "created_at": now_iso(),
    }
    return store.put("namespaces", group)


# --- memberships ------------------------------------------------------------------------


def members_of(store, source: str, source_id: int) -> list[dict]:
    return [
        m for m in store.rows("gl_members") if m["source"] == source and m["source_id"] == source_id
    ]


def direct_level(store, source: str, source_id: int, user_id: int) -> int:
    for m in members_of(store, source, source_id):
        if m["user_id"] == user_id:
            return m["access_level"]
    return 0


def add_member(store, source: str, source_id: int, user_id: int, level: int, by=None) -> dict:
    if level not in LEVELS:
        raise bad_request("access_level does not have a valid value")
    if direct_level(store, source, source_id, user_id):
        raise error(409, "Member already exists")
    member = {
        "id": store.next_id("member"),
        "source": source,
        "source_id": source_id,
        "user_id": user_id,
        "access_level": level,
        "created_at": now_iso(),
        "created_by": by,
        "expires_at": None,
    }
    return store.put("gl_members", member)


def group_level(store, group: dict, user: dict | None) -> int:
    """The user's access to a group through its own or its ancestors' memberships."""
    if user is None or group is None:
        return 0
    return max(
        (direct_level(store, "group", g["id"], user["id"]) for g in chain(store, group)),
        default=0,
    )


def inherited_members(store, source: str, row: dict) -> dict[int, dict]:
    """user_id -> the membership with the highest level, direct or inherited."""
    best: dict[int, dict] = {}
    rows = members_of(store, source, row["id"])
    groups = chain(
        store, store.get("namespaces", row["namespace_id"] if source == "project" else row["id"])
    )
    if source == "group":
        groups = groups[1:]
    for g in groups:
        rows += members_of(store, "group", g["id"])
    for m in rows:
        if m["user_id"] not in best or m["access_level"] > best[m["user_id"]]["access_level"]:
            best[m["user_id"]] = m
    return best


# --- projects ---------------------------------------------------------------------------


def projects_in(store, ns: dict) -> list[dict]:
    return [p for p in store.rows("gl_projects") if p["namespace_id"] == ns["id"]]


def project_path(store, project: dict) -> str:
    return (
        full_path(store, store.get("namespaces", project["namespace_id"])) + "/" + project["path"]
    )


def find_project(store, ref):
    ref = str(ref)
    if ref.isdigit():
        return store.get("gl_projects", int(ref))
    if "/" not in ref.strip("/"):
        return None
    ns_path, _, path = ref.strip("/").rpartition("/")
    ns = find_namespace(store, ns_path)
    if ns is None:
        return None
    return next((p for p in projects_in(store, ns) if p["path"].lower() == path.lower()), None)


def member_level(store, project: dict, user: dict | None) -> int:
    """Access through memberships only (what membership=true and members/all see)."""
    if user is None:
        return 0
    ns = store.get("namespaces", project["namespace_id"])
    level = direct_level(store, "project", project["id"], user["id"])
    if ns["kind"] == "user":
        return OWNER if ns.get("owner_id") == user["id"] else level
    return max(level, group_level(store, ns, user))


def access(store, project: dict, user: dict | None) -> int:
    """Effective access; administrators may do everything."""
    if user is not None and user.get("is_admin"):
        return OWNER
    return member_level(store, project, user)


def can_read(store, project: dict, user: dict | None) -> bool:
    visibility = project["visibility"]
    if visibility == "public" or (visibility == "internal" and user is not None):
        return True
    return access(store, project, user) >= GUEST


def can_read_group(store, group: dict, user: dict | None) -> bool:
    visibility = group.get("visibility", "private")
    if visibility == "public" or (visibility == "internal" and user is not None):
        return True
    if user is None:
        return False
    if user.get("is_admin") or group_level(store, group, user):
        return True
    for sub in descendants(store, group):
        if direct_level(store, "group", sub["id"], user["id"]):
            return True
    return any(
        direct_level(store, "project", p["id"], user["id"])
        for sub in [group, *descendants(store, group)]
        for p in projects_in(store, sub)
    )


def visible_project(store, ref, user) -> dict:
    project = find_project(store, ref)
    if project is None or not can_read(store, project, user):
        raise not_found("Project")
    return project


def require(store, project: dict, user: dict | None, level: int):
    if user is None:
        raise error(401, "401 Unauthorized")
    if access(store, project, user) < level:
        raise forbidden()


def create_project(ctx, store, *, ns, creator, fields: dict) -> dict:
    name = fields.get("name") or fields.get("path")
    path = fields.get("path") or (names.slugify(name) if isinstance(name, str) else None)
    if not name or not path:
        raise bad_request("name, path are missing, at least one parameter must be provided")
    if not names.valid_display_name(name):
        raise bad_request(
            {"name": ["can contain only letters, digits, emoji, '_', '.', '+', dashes, or spaces."]}
        )
    if not names.valid_path(path):
        raise bad_request(
            {
                "path": [
                    "can contain only letters, digits, '_', '-' and '.'. Cannot start with '-', end in '.git' or end in '.atom'"
                ]
            }
        )
    siblings = projects_in(store, ns)
    taken = {}
    if any(p["name"].lower() == name.lower() for p in siblings):
        taken["name"] = ["has already been taken"]
    if any(p["path"].lower() == path.lower() for p in siblings) or any(
        n.get("parent_id") == ns["id"] and n["path"].lower() == path.lower()
        for n in store.rows("namespaces")
    ):
        taken["path"] = ["has already been taken"]
    if taken:
        raise error(409, taken)
    visibility = fields.get("visibility") or "private"
    if visibility not in VISIBILITY_LEVEL:
        raise bad_request("visibility does not have a valid value")
    topics = fields.get("topics") or fields.get("tag_list") or []
    if isinstance(topics, str):
        topics = [t.strip() for t in topics.split(",") if t.strip()]
    branch = fields.get("default_branch") or "main"
    if not names.valid_branch(branch):
        raise bad_request("default_branch is invalid")
    stamp = now_iso()
    project = {
        "id": store.next_id("gl_project"),
        "name": name,
        "path": path,
        "namespace_id": ns["id"],
        "description": fields.get("description") or "",
        "visibility": visibility,
        "default_branch": branch,
        "topics": [str(t) for t in topics],
        "created_at": stamp,
        "updated_at": stamp,
        "last_activity_at": stamp,
        "creator_id": creator["id"],
        "forked_from_id": None,
        "archived": False,
        "readme": None,
        "mr_seq": 0,
    }
    repo = ctx.repo_dir("gitlab", project["id"])
    if fields.get("_fork_of"):
        gitrepo.clone_bare(ctx.repo_dir("gitlab", fields["_fork_of"]), repo)
        gitrepo.set_head(repo, branch)
    else:
        gitrepo.init(repo, branch)
    if fields.get("initialize_with_readme") in (True, "true", "1", 1):
        author = (creator["name"], creator["email"])
        sha = gitrepo.commit_files(
            repo,
            {"README.md": f"# {name}\n\n{project['description']}\n".encode()},
            "Initial commit",
            author,
        )
        gitrepo.update_ref(repo, f"refs/heads/{branch}", sha, gitrepo.ZERO_SHA)
        project["readme"] = "README.md"
    return store.put("gl_projects", project)


def delete_project(ctx, store, project: dict):
    for table in ("gl_hooks", "gl_mrs", "gl_notes"):
        for row in store.find(table, project_id=project["id"]):
            store.delete(table, row["id"])
    for m in members_of(store, "project", project["id"]):
        store.delete("gl_members", m["id"])
    store.delete("gl_projects", project["id"])
    shutil.rmtree(ctx.repo_dir("gitlab", project["id"]), ignore_errors=True)


def new_hook(project_id: int, fields: dict) -> dict:
    return {
        "project_id": project_id,
        "uuid": str(uuid.uuid4()),
        "created_at": now_iso(),
        **fields,
    }


def repo(ctx, project: dict) -> str:
    path = ctx.repo_dir("gitlab", project["id"])
    if not os.path.isdir(path):
        raise not_found("Repository")
    return path


# --- request parameters -----------------------------------------------------------------


def params(req) -> dict:
    """GitLab reads parameters from the query string and the body alike."""
    data = {k: v[-1] for k, v in req.query.items()}
    for key, values in req.query.items():
        if key.endswith("[]"):
            data[key[:-2]] = values
    data.update(req.json(lambda msg: bad_request(f"400 Bad request - {msg}")))
    return data


def flag(value) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")


def as_int(value, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"{name} is invalid") from None
