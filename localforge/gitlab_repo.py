"""GitLab repository endpoints: branches, tags, commits, compare, protected branches."""

from localforge import gitlab_events, gitrepo, names, pagination
from localforge import gitlab_json as js
from localforge import gitlab_model as m
from localforge.gitlab_api import paginate
from localforge.gitlab_projects import project_for
from localforge.store import now_iso
from localforge.web import Response, Router, page_params

router = Router()
_R = r"/projects/(?P<ref>[^/]+)/repository"


def _commits_by_sha(repo, shas):
    return {c["sha"]: c for c in gitrepo.log(repo, sorted(set(shas)), no_walk=True)}


def _path(app, project):
    return m.project_path(app.store, project)


# --- branches -----------------------------------------------------------------------------


def branch_json(app, req, project, repo, name, commit, default_sha=None):
    path = _path(app, project)
    is_default = name == project["default_branch"]
    level = m.access(app.store, project, req.user)
    merged = False
    if not is_default and default_sha:
        merged = gitrepo.is_ancestor(repo, commit["sha"], default_sha)
    return {
        "name": name,
        "commit": js.commit(app.base, path, commit),
        "merged": merged,
        "protected": is_default,
        "developers_can_push": False,
        "developers_can_merge": False,
        "can_push": level >= (m.MAINTAINER if is_default else m.DEVELOPER),
        "default": is_default,
        "web_url": f"{app.base}/{path}/-/tree/{name}",
    }


@router.route("GET", _R + r"/branches")
def list_branches(app, req, ref):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    refs = gitrepo.list_refs(repo, "refs/heads")
    search = req.arg("search") or ""
    if search:
        refs = [r for r in refs if search.strip("^$").lower() in r["ref"][11:].lower()]
    commits = _commits_by_sha(repo, [r["commit"] for r in refs])
    default_sha = gitrepo.resolve(repo, f"refs/heads/{project['default_branch']}")
    items = [(r["ref"][len("refs/heads/") :], commits[r["commit"]]) for r in refs]
    return paginate(
        app, req, items, lambda it: branch_json(app, req, project, repo, it[0], it[1], default_sha)
    )


@router.route("GET", _R + r"/branches/(?P<name>[^/]+)")
def get_branch(app, req, ref, name):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    sha = gitrepo.resolve(repo, f"refs/heads/{name}") if names.valid_branch(name) else None
    if sha is None:
        raise m.not_found("Branch")
    default_sha = gitrepo.resolve(repo, f"refs/heads/{project['default_branch']}")
    return branch_json(app, req, project, repo, name, gitrepo.commit(repo, sha), default_sha)


@router.route("POST", _R + r"/branches")
def create_branch(app, req, ref):
    project = project_for(app, req, ref, m.DEVELOPER)
    repo = m.repo(app.ctx, project)
    data = m.params(req)
    name, start = data.get("branch"), data.get("ref")
    if not name or not start:
        raise m.bad_request("branch, ref are missing")
    if not names.valid_branch(name):
        raise m.error(400, "Branch name is invalid")
    sha = gitrepo.resolve(repo, start) if names.valid_rev(start) else None
    if sha is None:
        raise m.error(400, f"Invalid reference name: {start}")
    if gitrepo.resolve(repo, f"refs/heads/{name}"):
        raise m.error(400, "Branch already exists")
    gitrepo.update_ref(repo, f"refs/heads/{name}", sha, gitrepo.ZERO_SHA)
    gitlab_events.on_ref_updates(
        app, project["id"], req.user, [(gitrepo.ZERO_SHA, sha, f"refs/heads/{name}")]
    )
    default_sha = gitrepo.resolve(repo, f"refs/heads/{project['default_branch']}")
    commit = gitrepo.commit(repo, sha)
    return Response(201, branch_json(app, req, project, repo, name, commit, default_sha))


@router.route("DELETE", _R + r"/branches/(?P<name>[^/]+)")
def delete_branch(app, req, ref, name):
    project = project_for(app, req, ref, m.DEVELOPER)
    repo = m.repo(app.ctx, project)
    sha = gitrepo.resolve(repo, f"refs/heads/{name}") if names.valid_branch(name) else None
    if sha is None:
        raise m.not_found("Branch")
    if name == project["default_branch"]:
        raise m.error(403, "403 Forbidden - The default branch of a project cannot be deleted.")
    gitrepo.delete_ref(repo, f"refs/heads/{name}", sha)
    gitlab_events.on_ref_updates(
        app, project["id"], req.user, [(sha, gitrepo.ZERO_SHA, f"refs/heads/{name}")]
    )
    return Response(204)


@router.route("GET", r"/projects/(?P<ref>[^/]+)/protected_branches(?:/(?P<name>[^/]+))?")
def protected_branches(app, req, ref, name=None):
    project = project_for(app, req, ref)
    branch = project["default_branch"]
    entry = {
        "id": project["id"],
        "name": branch,
        "push_access_levels": [
            {
                "id": 1,
                "access_level": 40,
                "access_level_description": "Maintainers",
                "deploy_key_id": None,
                "user_id": None,
                "group_id": None,
            }
        ],
        "merge_access_levels": [
            {
                "id": 1,
                "access_level": 40,
                "access_level_description": "Maintainers",
                "user_id": None,
                "group_id": None,
            }
        ],
        "allow_force_push": False,
        "code_owner_approval_required": False,
    }
    if name is not None:
        if name != branch:
            raise m.not_found("Protected Branch")
        return entry
    return paginate(app, req, [entry], lambda e: e)


# --- tags ---------------------------------------------------------------------------------


def tag_json(app, project, repo, item, commit):
    message = gitrepo.tag_message(repo, item["ref"]) if item["type"] == "tag" else None
    return {
        "name": item["ref"][len("refs/tags/") :],
        "message": (message or "").rstrip("\n") or None,
        "target": item["sha"],
        "commit": js.commit(app.base, _path(app, project), commit),
        "release": None,
        "protected": False,
        "created_at": js.gl_date(commit["committer_date"]) if item["type"] == "tag" else None,
    }


@router.route("GET", _R + r"/tags")
def list_tags(app, req, ref):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    refs = gitrepo.list_refs(repo, "refs/tags")
    commits = _commits_by_sha(repo, [r["commit"] for r in refs])
    refs = [r for r in refs if r["commit"] in commits]
    refs.sort(key=lambda r: commits[r["commit"]]["committer_ts"], reverse=True)
    return paginate(app, req, refs, lambda r: tag_json(app, project, repo, r, commits[r["commit"]]))


@router.route("GET", _R + r"/tags/(?P<name>[^/]+)")
def get_tag(app, req, ref, name):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    refs = [r for r in gitrepo.list_refs(repo, "refs/tags") if r["ref"] == f"refs/tags/{name}"]
    if not refs or not names.valid_branch(name):
        raise m.not_found("Tag")
    return tag_json(app, project, repo, refs[0], gitrepo.commit(repo, refs[0]["commit"]))


@router.route("POST", _R + r"/tags")
def create_tag(app, req, ref):
    project = project_for(app, req, ref, m.DEVELOPER)
    repo = m.repo(app.ctx, project)
    data = m.params(req)
    name, start = data.get("tag_name"), data.get("ref")
    if not name or not start:
        raise m.bad_request("tag_name, ref are missing")
    if not names.valid_branch(name):
        raise m.error(400, "Tag name invalid")
    sha = gitrepo.resolve(repo, start) if names.valid_rev(start) else None
    if sha is None:
        raise m.error(400, f"Target {start} is invalid")
    if gitrepo.ref_sha(repo, f"refs/tags/{name}"):
        raise m.error(400, f"Tag {name} already exists")
    user = req.user
    obj = gitrepo.create_tag(repo, name, sha, data.get("message"), (user["name"], user["email"]))
    gitlab_events.on_ref_updates(
        app, project["id"], user, [(gitrepo.ZERO_SHA, obj, f"refs/tags/{name}")]
    )
    item = {
        "ref": f"refs/tags/{name}",
        "sha": obj,
        "type": "tag" if obj != sha else "commit",
        "commit": sha,
    }
    return Response(201, tag_json(app, project, repo, item, gitrepo.commit(repo, sha)))


@router.route("DELETE", _R + r"/tags/(?P<name>[^/]+)")
def delete_tag(app, req, ref, name):
    project = project_for(app, req, ref, m.MAINTAINER)
    repo = m.repo(app.ctx, project)
    obj = gitrepo.ref_sha(repo, f"refs/tags/{name}") if names.valid_branch(name) else None
    if obj is None:
        raise m.not_found("Tag")
    gitrepo.delete_ref(repo, f"refs/tags/{name}", obj)
    gitlab_events.on_ref_updates(
        app, project["id"], req.user, [(obj, gitrepo.ZERO_SHA, f"refs/tags/{name}")]
    )
    return Response(204)


# --- commits ------------------------------------------------------------------------------


@router.route("GET", _R + r"/commits")
def list_commits(app, req, ref):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    all_refs = bool(m.flag(req.arg("all")))
    revs = []
    if not all_refs:
        ref_name = req.arg("ref_name") or project["default_branch"]
        sha = gitrepo.resolve(repo, ref_name) if names.valid_rev(ref_name) else None
        if sha is None:
            return paginate(app, req, [], lambda c: c)
        revs = [sha]
    path = req.arg("path")
    if path is not None and (path.startswith(("/", "-")) or ".." in path.split("/")):
        raise m.bad_request("path is invalid")
    options = {
        "since": _date(req.arg("since")),
        "until": _date(req.arg("until")),
        "paths": [path] if path else None,
        "all_refs": all_refs,
        "first_parent": bool(m.flag(req.arg("first_parent"))),
    }
    page, per_page = page_params(req, 20)
    stats = bool(m.flag(req.arg("with_stats")))
    commits = gitrepo.log(
        repo,
        revs,
        max_count=per_page,
        skip=(page - 1) * per_page,
        numstat=stats,
        topo=req.arg("order") == "topo",
        **options,
    )
    total = gitrepo.count(repo, revs, **options)
    path_ns = _path(app, project)
    return pagination.gitlab_offset(
        app.base, req, commits, lambda c: js.commit(app.base, path_ns, c, stats), total=total
    )


def _date(value):
    try:
        return names.parse_date(value)
    except ValueError:
        raise m.bad_request("since, until are invalid") from None


def _find_commit(app, project, repo, sha):
    found = gitrepo.resolve(repo, sha) if names.valid_rev(sha) else None
    if found is None:
        raise m.not_found("Commit")
    return found


@router.route("GET", _R + r"/commits/(?P<sha>[^/]+)")
def get_commit(app, req, ref, sha):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    found = _find_commit(app, project, repo, sha)
    stats = m.flag(req.arg("stats")) is not False
    commit = gitrepo.commit(repo, found, numstat=stats)
    data = js.commit(app.base, _path(app, project), commit, stats)
    data.update({"status": None, "project_id": project["id"], "last_pipeline": None})
    return data


@router.route("GET", _R + r"/commits/(?P<sha>[^/]+)/diff")
def commit_diff(app, req, ref, sha):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    commit = gitrepo.commit(repo, _find_commit(app, project, repo, sha))
    parent = commit["parents"][0] if commit["parents"] else None
    return paginate(app, req, gitrepo.diff(repo, parent, commit["sha"]), js.diff)


@router.route("GET", _R + r"/compare")
def compare(app, req, ref):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    start, end = req.arg("from"), req.arg("to")
    if not start or not end:
        raise m.bad_request("from, to are missing")
    a = gitrepo.resolve(repo, start) if names.valid_rev(start) else None
    b = gitrepo.resolve(repo, end) if names.valid_rev(end) else None
    if a is None or b is None:
        raise m.not_found("Ref")
    straight = bool(m.flag(req.arg("straight")))
    base = a if straight else (gitrepo.merge_base(repo, a, b) or a)
    commits = list(reversed(gitrepo.log(repo, [b, f"^{a}"], max_count=5000)))
    path = _path(app, project)
    rendered = [js.commit(app.base, path, c) for c in commits]
    return {
        "commit": rendered[-1] if rendered else None,
        "commits": rendered,
        "diffs": [js.diff(e) for e in gitrepo.diff(repo, base, b)],
        "compare_timeout": False,
        "compare_same_ref": start == end,
        "web_url": f"{app.base}/{path}/-/compare/{a}...{b}",
    }


@router.route("GET", _R + r"/merge_base")
def merge_base(app, req, ref):
    project = project_for(app, req, ref)
    repo = m.repo(app.ctx, project)
    refs = req.query.get("refs[]") or req.query.get("refs") or []
    shas = [gitrepo.resolve(repo, r) if names.valid_rev(r) else None for r in refs]
    if len(shas) != 2 or None in shas:
        raise m.bad_request("Provide exactly two valid refs")
    base = gitrepo.merge_base(repo, *shas)
    if base is None:
        raise m.not_found("Merge Base")
    data = js.commit(app.base, _path(app, project), gitrepo.commit(repo, base))
    data["updated_at"] = now_iso()
    return data
