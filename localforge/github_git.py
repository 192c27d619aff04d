"""GitHub repository content: branches, git refs, commits, compare, tags."""

from localforge import github_events, gitrepo, names, pagination
from localforge import github_json as js
from localforge import github_model as gm
from localforge.github_api import _R, body, paginate, repo_for
from localforge.web import Response, Router, page_params

router = Router()


def _ctx(app, req, owner, name, level=None):
    repo = repo_for(app, req, owner, name, level)
    return repo, app.ctx.repo_dir("github", repo["id"]), gm.full_name(app.store, repo)


def _commit_json(app, req, full, c):
    return js.commit(app.urls(req), app.store, full, c)


# --- branches -----------------------------------------------------------------------------


@router.route("GET", _R + r"/branches")
def list_branches(app, req, owner, name):
    repo, path, full = _ctx(app, req, owner, name)
    u = app.urls(req)
    refs = gitrepo.list_refs(path, "refs/heads")
    if req.arg("protected") == "true":
        refs = []

    def render(r):
        sha = r["commit"]
        return {
            "name": r["ref"][len("refs/heads/") :],
            "commit": {"sha": sha, "url": f"{u.api}/repos/{full}/commits/{sha}"},
            "protected": False,
        }

    return paginate(app, req, refs, render)


@router.route("GET", _R + r"/branches/(?P<branch>.+)/protection")
def branch_protection(app, req, owner, name, branch):
    _ctx(app, req, owner, name, "admin")
    raise gm.error(404, "Branch not protected")


@router.route("GET", _R + r"/branches/(?P<branch>.+)")
def get_branch(app, req, owner, name, branch):
    repo, path, full = _ctx(app, req, owner, name)
    sha = gitrepo.resolve(path, f"refs/heads/{branch}") if names.valid_branch(branch) else None
    if sha is None:
        raise gm.error(404, "Branch not found")
    u = app.urls(req)
    api = f"{u.api}/repos/{full}/branches/{branch}"
    return {
        "name": branch,
        "commit": _commit_json(app, req, full, gitrepo.commit(path, sha)),
        "_links": {"self": api, "html": f"{u.web}/{full}/tree/{branch}"},
        "protected": False,
        "protection": {
            "enabled": False,
            "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []},
        },
        "protection_url": f"{api}/protection",
    }


# --- git refs -----------------------------------------------------------------------------


def _refs(path):
    return [r for r in gitrepo.list_refs(path, "refs/heads", "refs/tags")]


def _ref_json(app, req, full, r):
    return js.git_ref(
        app.urls(req), full, r["ref"], r["sha"], "tag" if r["type"] == "tag" else "commit"
    )


@router.route("GET", _R + r"/git/(?P<kind>refs|matching-refs)(?:/(?P<prefix>.*))?")
def list_refs(app, req, owner, name, kind, prefix=None):
    repo, path, full = _ctx(app, req, owner, name)
    prefix = (prefix or "").rstrip("/")
    refs = _refs(path)
    if kind == "refs" and not refs and not prefix:
        raise gm.error(409, "Git Repository is empty.")
    if prefix:
        wanted = f"refs/{prefix}"
        exact = [r for r in refs if r["ref"] == wanted]
        if kind == "refs" and exact:
            return _ref_json(app, req, full, exact[0])
        refs = [
            r
            for r in refs
            if r["ref"].startswith(wanted if kind == "matching-refs" else wanted + "/")
        ]
        if kind == "refs" and not refs:
            raise gm.not_found()
    return paginate(app, req, refs, lambda r: _ref_json(app, req, full, r))


@router.route("GET", _R + r"/git/ref/(?P<ref>.+)")
def get_ref(app, req, owner, name, ref):
    repo, path, full = _ctx(app, req, owner, name)
    found = [r for r in _refs(path) if r["ref"] == f"refs/{ref}"]
    if not found:
        raise gm.not_found()
    return _ref_json(app, req, full, found[0])


def _valid_ref(ref):
    return (
        isinstance(ref, str)
        and ref.startswith(("refs/heads/", "refs/tags/"))
        and names.valid_branch(ref.split("/", 2)[2])
    )


@router.route("POST", _R + r"/git/refs")
def create_ref(app, req, owner, name):
    repo, path, full = _ctx(app, req, owner, name, "push")
    data = body(req)
    ref, sha = data.get("ref"), data.get("sha")
    if not _valid_ref(ref):
        raise gm.error(422, "Reference name is invalid" if ref else "Invalid request.")
    if not names.valid_sha(sha) or gitrepo.object_type(path, sha) is None:
        raise gm.error(422, "Object does not exist")
    with gitrepo.repo_lock(path):
        if gitrepo.ref_sha(path, ref):
            raise gm.error(422, "Reference already exists")
        gitrepo.update_ref(path, ref, sha, gitrepo.ZERO_SHA)
    github_events.on_ref_updates(app, repo["id"], req.user, [(gitrepo.ZERO_SHA, sha, ref)])
    item = {"ref": ref, "sha": sha, "type": gitrepo.object_type(path, sha)}
    u = app.urls(req)
    return Response(
        201, _ref_json(app, req, full, item), [("Location", f"{u.api}/repos/{full}/git/{ref}")]
    )


@router.route("PATCH", _R + r"/git/refs/(?P<ref>.+)")
def update_ref(app, req, owner, name, ref):
    repo, path, full = _ctx(app, req, owner, name, "push")
    data = body(req)
    full_ref, sha = f"refs/{ref}", data.get("sha")
    if not names.valid_sha(sha) or gitrepo.object_type(path, sha) is None:
        raise gm.error(422, "Object does not exist")
    with gitrepo.repo_lock(path):
        old = gitrepo.ref_sha(path, full_ref) if _valid_ref(full_ref) else None
        if old is None:
            raise gm.error(422, "Reference does not exist")
        if not data.get("force") and not gitrepo.is_ancestor(path, old, sha):
            raise gm.error(422, "Update is not a fast forward")
        gitrepo.update_ref(path, full_ref, sha, old)
    github_events.on_ref_updates(app, repo["id"], req.user, [(old, sha, full_ref)])
    item = {"ref": full_ref, "sha": sha, "type": gitrepo.object_type(path, sha)}
    return _ref_json(app, req, full, item)


@router.route("DELETE", _R + r"/git/refs/(?P<ref>.+)")
def delete_ref(app, req, owner, name, ref):
    repo, path, full = _ctx(app, req, owner, name, "push")
    full_ref = f"refs/{ref}"
    with gitrepo.repo_lock(path):
        old = gitrepo.ref_sha(path, full_ref) if _valid_ref(full_ref) else None
        if old is None:
            raise gm.error(422, "Reference does not exist")
        gitrepo.delete_ref(path, full_ref, old)
    github_events.on_ref_updates(app, repo["id"], req.user, [(old, gitrepo.ZERO_SHA, full_ref)])
    return Response(204)


@router.route("GET", _R + r"/git/commits/(?P<sha>[0-9a-f]{40})")
def git_commit(app, req, owner, name, sha):
    repo, path, full = _ctx(app, req, owner, name)
    found = gitrepo.commit(path, sha) if gitrepo.object_type(path, sha) == "commit" else None
    if found is None:
        raise gm.not_found()
    data = _commit_json(app, req, full, found)
    inner = data["commit"]
    return {
        "sha": sha,
        "node_id": data["node_id"],
        "url": inner["url"],
        "html_url": data["html_url"],
        "author": inner["author"],
        "committer": inner["committer"],
        "tree": inner["tree"],
        "message": inner["message"],
        "parents": data["parents"],
        "verification": inner["verification"],
    }


# --- commits ------------------------------------------------------------------------------


def _date(value):
    try:
        return names.parse_date(value)
    except ValueError:
        raise gm.error(400, "Invalid date: use ISO 8601 (YYYY-MM-DDTHH:MM:SSZ)") from None


@router.route("GET", _R + r"/commits")
def list_commits(app, req, owner, name):
    repo, path, full = _ctx(app, req, owner, name)
    if repo.get("empty", True) and not gitrepo.list_refs(path, "refs/heads"):
        raise gm.error(409, "Git Repository is empty.")
    start = req.arg("sha") or repo["default_branch"]
    sha = gitrepo.resolve(path, start) if names.valid_rev(start) else None
    if sha is None:
        raise gm.error(404, f"No commit found for SHA: {start}")
    file_path = req.arg("path")
    if file_path and (file_path.startswith(("/", "-")) or ".." in file_path.split("/")):
        raise gm.validation("Commit", "path")
    options = {
        "since": _date(req.arg("since")),
        "until": _date(req.arg("until")),
        "paths": [file_path] if file_path else None,
    }
    page, per_page = page_params(req, 30)
    commits = gitrepo.log(path, [sha], max_count=per_page, skip=(page - 1) * per_page, **options)
    author = req.arg("author")
    if author:
        commits = [
            c
            for c in commits
            if author.lower() in (c["author_email"].lower(), c["author_name"].lower())
        ]
    total = gitrepo.count(path, [sha], **options)
    return pagination.github(
        app.base, req, commits, lambda c: _commit_json(app, req, full, c), total=total
    )


@router.route("GET", _R + r"/commits/(?P<ref>.+)")
def get_commit(app, req, owner, name, ref):
    repo, path, full = _ctx(app, req, owner, name)
    sha = gitrepo.resolve(path, ref) if names.valid_rev(ref) else None
    if sha is None:
        raise gm.error(422, f"No commit found for SHA: {ref}")
    commit = gitrepo.commit(path, sha)
    parent = commit["parents"][0] if commit["parents"] else None
    entries = gitrepo.diff(path, parent, sha)
    data = _commit_json(app, req, full, commit)
    adds = sum(e["additions"] for e in entries)
    dels = sum(e["deletions"] for e in entries)
    data["stats"] = {"total": adds + dels, "additions": adds, "deletions": dels}
    data["files"] = [js.file_entry(app.urls(req), full, sha, e) for e in entries]
    return data


@router.route("GET", _R + r"/compare/(?P<spec>.+)")
def compare(app, req, owner, name, spec):
    repo, path, full = _ctx(app, req, owner, name)
    base_ref, sep, head_ref = spec.partition("...")
    if not sep:
        base_ref, sep, head_ref = spec.partition("..")
    base_ref, head_ref = base_ref.split(":")[-1], head_ref.split(":")[-1]
    base = gitrepo.resolve(path, base_ref) if names.valid_rev(base_ref) else None
    head = gitrepo.resolve(path, head_ref) if names.valid_rev(head_ref) else None
    if base is None or head is None:
        raise gm.error(404, "Not Found")
    merge_base = gitrepo.merge_base(path, base, head)
    ahead = gitrepo.count(path, [head, f"^{base}"])
    behind = gitrepo.count(path, [base, f"^{head}"])
    status = (
        "identical"
        if base == head
        else "ahead"
        if not behind
        else "behind"
        if not ahead
        else "diverged"
    )
    page, per_page = page_params(req, 250, 1000)
    commits = gitrepo.log(path, [head, f"^{base}"], max_count=10000)
    commits.reverse()
    u = app.urls(req)
    web = f"{u.web}/{full}"
    entries = gitrepo.diff(path, merge_base or base, head)
    response = pagination.github(
        app.base,
        req,
        commits[(page - 1) * per_page : page * per_page],
        None,
        250,
        total=ahead,
        maximum=1000,
    )
    response.body = {
        "url": f"{u.api}/repos/{full}/compare/{spec}",
        "html_url": f"{web}/compare/{spec}",
        "permalink_url": f"{web}/compare/{base[:7]}...{head[:7]}",
        "diff_url": f"{web}/compare/{spec}.diff",
        "patch_url": f"{web}/compare/{spec}.patch",
        "base_commit": _commit_json(app, req, full, gitrepo.commit(path, base)),
        "merge_base_commit": _commit_json(app, req, full, gitrepo.commit(path, merge_base or base)),
        "status": status,
        "ahead_by": ahead,
        "behind_by": behind,
        "total_commits": ahead,
        "commits": [_commit_json(app, req, full, c) for c in response.body],
        "files": [js.file_entry(u, full, head, e) for e in entries],
    }
    return response


@router.route("GET", _R + r"/tags")
def list_tags(app, req, owner, name):
    repo, path, full = _ctx(app, req, owner, name)
    u = app.urls(req)
    refs = gitrepo.list_refs(path, "refs/tags")

    def render(r):
        tag = r["ref"][len("refs/tags/") :]
        return {
            "name": tag,
            "commit": {"sha": r["commit"], "url": f"{u.api}/repos/{full}/commits/{r['commit']}"},
            "zipball_url": f"{u.api}/repos/{full}/zipball/refs/tags/{tag}",
            "tarball_url": f"{u.api}/repos/{full}/tarball/refs/tags/{tag}",
            "node_id": js.node_id("Tag", len(tag)),
        }

    return paginate(app, req, list(reversed(refs)), render)
