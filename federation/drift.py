"""The drift check (celery beat): the public branch holds exactly the tree we expect.

GitHub's tip must be the copy we pushed (else the next sync raises a divergence), and that
copy's tree must be the internal published tree with the project's rules applied (a check of
the rewrite itself). A mismatch is a failed run in the sync history.
"""

from __future__ import annotations

from federation import git, outbound, repos
from federation.models import Mirror, SyncRun
from federation.rules import rules_for
from federation.runs import run_finished


def _listing(repo, sha: str) -> dict[str, tuple[str, str]]:
    raw = git.run(["ls-tree", "-r", "-z", "--full-tree", sha], repo=repo).stdout
    out = {}
    for entry in raw.split(b"\0"):
        if entry:
            meta, _, path = entry.partition(b"\t")
            mode, _kind, obj = meta.decode().split(" ")
            out[path.decode("utf-8", "surrogateescape")] = (mode, obj)
    return out


def drift_problem(mirror: Mirror) -> str | None:
    """What is wrong with the project's public branch, or None."""
    project = mirror.project
    public = outbound.ls_public(mirror).get(f"refs/heads/{mirror.branch}")
    if public != mirror.public_sha:
        return f"GitHub's branch is at {public}, we pushed {mirror.public_sha}"
    repo = repos.mirror_path(project.key)
    if not outbound.has_commit(repo, mirror.public_sha) or not mirror.published_sha:
        return None  # another worker's cache: nothing to compare here
    rules = rules_for(project)
    expected = {
        p: v for p, v in _listing(repo, mirror.published_sha).items() if not rules.is_excluded(p)
    }
    actual = _listing(repo, mirror.public_sha)
    if expected != actual:
        extra = sorted(set(actual) - set(expected))[:5]
        missing = sorted(set(expected) - set(actual))[:5]
        changed = sorted(p for p in set(actual) & set(expected) if actual[p] != expected[p])[:5]
        return f"public tree differs: extra {extra}, missing {missing}, changed {changed}"
    return None


def drift_check_all() -> list[tuple[int, str]]:
    problems = []
    for mirror in Mirror.objects.filter(state=Mirror.State.ACTIVE).select_related("project"):
        try:
            problem = drift_problem(mirror)
        except Exception as exc:
            problem = f"could not check: {exc.__class__.__name__}: {exc}"
        if problem:
            run = SyncRun.objects.create(project=mirror.project, trigger="drift-check")
            run_finished(run, SyncRun.Status.FAILED, error=problem)
            problems.append((mirror.project_id, problem))
    return problems
