"""Publishing an approved disclosure to GitHub: repository, history, map, released.

`disclosure_publish` converges: re-run after an interruption at any point, it reuses the
repository (ours: the Mirror row is written before the repository is created), recomputes the
same public copy (the rewrite is deterministic), pushes only when GitHub is not there yet, and
moves the disclosure to released last. Nothing is public until the guard let the push through.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from federation import fastexport, git, lease, outbound, repos, rewrite, rules, tags
from federation.forges import errors as forge_errors
from federation.models import CommitMap, Mirror, SyncRun
from federation.runs import run_failed, run_finished
from projects.models import Project

log = logging.getLogger(__name__)
_TOPIC = re.compile(r"[^a-z0-9-]+")
_NAME = re.compile(r"[^A-Za-z0-9._-]+")
LICENSE_NAMES = ("license", "licence", "copying", "unlicense")


class PublishError(Exception):
    """Publishing cannot go on without a person (the repository holds someone else's history,
    the approved commit is not on GitLab, ...)."""


def github():
    """The GitHub adapter; GITHUB_SECONDS_BETWEEN_REQUESTS/_WRITES override PyGithub's own
    throttling (0.25 s / 1 s) where the forge does not need it (localforge, tests)."""
    from federation.forges.github import get_github

    kwargs = {}
    for name, setting in (
        ("seconds_between_requests", "GITHUB_SECONDS_BETWEEN_REQUESTS"),
        ("seconds_between_writes", "GITHUB_SECONDS_BETWEEN_WRITES"),
    ):
        value = getattr(settings, setting, None)
        if value is not None:
            kwargs[name] = float(value) or None
    return get_github(**kwargs)


def repo_name(disclosure, project) -> str:
    raw = (disclosure.target_repo or project.name or project.path.rpartition("/")[2]).strip()
    name = _NAME.sub("-", raw).strip(".-") or f"project-{project.pk}"
    return name[:100]


def topics_of(project) -> list[str]:
    out = []
    for t in project.topics or ():
        topic = _TOPIC.sub("-", str(t).lower()).strip("-")[:50]
        if topic and topic not in out:
            out.append(topic)
    return out[:20]


def map_record(project, mapping: dict[str, str], source=CommitMap.Source.PUBLISH) -> None:
    """Record internal -> public copies (existing rows are kept). One multi-row statement per
    batch: a first publish of a long history writes tens of thousands of rows."""
    if not mapping:
        return
    table = CommitMap._meta.db_table
    now = timezone.now()
    sql = (
        f"INSERT INTO {table} (project_id, internal_sha, public_sha, source, created_at) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (project_id, internal_sha) DO NOTHING"
    )
    rows = [(project.pk, i, p, source, now) for i, p in mapping.items()]
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def parents_for(project, shas) -> dict[str, str]:
    """The recorded public copies of `shas` (internal -> public)."""
    shas = list(shas)
    out = {}
    for i in range(0, len(shas), 500):
        out.update(
            CommitMap.objects.filter(
                project=project, internal_sha__in=shas[i : i + 500]
            ).values_list("internal_sha", "public_sha")
        )
    return out


class Copies(Mapping):
    """The project's recorded copies, internal -> public (or public -> internal with
    `reverse=True`), read from the database one sha at a time as the rewrite asks."""

    def __init__(self, project, *, reverse: bool = False):
        self.project, self.reverse = project, reverse
        self._cache: dict[str, str | None] = {}

    def __getitem__(self, sha: str) -> str:
        if sha not in self._cache:
            key, value = (
                ("public_sha", "internal_sha") if self.reverse else ("internal_sha", "public_sha")
            )
            self._cache[sha] = (
                CommitMap.objects.filter(project=self.project, **{key: sha})
                .values_list(value, flat=True)
                .first()
            )
        found = self._cache[sha]
        if found is None:
            raise KeyError(sha)
        return found

    def __iter__(self):
        return iter(k for k, v in self._cache.items() if v is not None)

    def __len__(self) -> int:
        return sum(1 for v in self._cache.values() if v is not None)


def all_copies(project) -> Copies:
    return Copies(project)


# -- the service ---------------------------------------------------------------------------


def disclosure_publish(*, disclosure_id: int, attempt: int = 1, final: bool = True) -> Mirror:
    """Publish an approved (or interrupted: publishing) disclosure; a released one is a no-op.

    On failure the run is recorded as failed; when this is the `final` attempt (or the error is
    not worth retrying) the disclosure goes back to approved with the reason.
    """
    from review import services as review_services
    from review.models import Disclosure

    d = Disclosure.objects.select_related("project").get(pk=disclosure_id)
    project = d.project
    if d.state == Disclosure.State.RELEASED:
        return Mirror.objects.get(project=project)
    if d.state not in (Disclosure.State.APPROVED, Disclosure.State.PUBLISHING):
        raise PublishError(f"disclosure {d.pk} is {d.state}, not approved")
    run = SyncRun.objects.create(
        project=project, trigger="publish", attempt=attempt, detail={"disclosure": d.pk}
    )
    try:
        with lease.held(project.pk):
            if d.state == Disclosure.State.APPROVED:
                d = review_services.disclosure_publishing_start(disclosure=d)
            mirror = _publish(project, d, run)
            review_services.disclosure_released(disclosure=d, public_url=mirror.web_url)
    except Exception as exc:
        run_failed(run, exc)
        transient = isinstance(exc, transient_errors())
        d.refresh_from_db()
        if (final or not transient) and d.state == Disclosure.State.PUBLISHING:
            review_services.disclosure_publishing_failed(disclosure=d, error=str(exc)[:500])
        raise
    run_finished(run, SyncRun.Status.SUCCEEDED)
    return mirror


def transient_errors() -> tuple[type[BaseException], ...]:
    return (
        forge_errors.Unavailable,
        forge_errors.RateLimited,
        outbound.TransientGitError,
        git.GitTimeout,
        git.RepoLocked,
        lease.Busy,
    )


class _Stopwatch(dict):
    """Seconds per stage, kept in the run's detail (where did a slow publish spend its time)."""

    def __init__(self):
        super().__init__()
        self._last = time.monotonic()

    def lap(self, stage: str) -> None:
        now = time.monotonic()
        self[stage] = round(now - self._last, 3)
        self._last = now


def _publish(project: Project, d, run: SyncRun) -> Mirror:
    watch = _Stopwatch()
    the_rules = rules.rules_for(project)
    sha = git.validate_sha(d.approved_sha)
    from federation import pipeline

    update = pipeline.fetch(project=project)
    run.refs_before = update.old
    run.refs_after = update.new
    repo = update.path
    if not outbound.has_commit(repo, sha):
        raise PublishError(f"the approved commit {sha} is not on GitLab")
    watch.lap("fetch")
    mirror = _mirror_row(project, d, the_rules)
    gh = github()
    existing = _existing_repository(gh, mirror)
    if existing is None:  # recorded first: a retry then knows the repository is ours
        Mirror.objects.filter(pk=mirror.pk).update(repo_created=True)
        mirror.repo_created = True
    has_license = _tree_has_license(repo, sha)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The forge's API calls (create or update, webhook) go on while git copies history.
        forge_side = pool.submit(_forge_side, gh, mirror, d, project, has_license, existing)
        public_sha, mapping = _public_copy(project, mirror, d, the_rules, sha, repo)
        watch.lap("copy")
        project_info = _remember(mirror, forge_side.result())
        watch.lap("repository")
    map_record(project, {sha: public_sha})  # the tip's row first: the guard looks for it
    ref = f"refs/heads/{mirror.branch}"
    remote = outbound.ls_public(mirror)
    current = remote.get(ref)
    run.detail = {**run.detail, "public_before": current, "public_after": public_sha}
    if current == public_sha:  # an earlier attempt pushed it already
        map_record(project, mapping)
    else:
        force = _may_replace(mirror, current, repo, public_sha)
        with ThreadPoolExecutor(max_workers=1) as pool:
            writing = []  # the rest of the map is written while git pushes (after the guard)
            outbound.push_public(
                project=project,
                mirror=mirror,
                updates=[outbound.RefUpdate(ref, sha, public_sha)],
                force=force,
                before_send=lambda: writing.append(pool.submit(_map_in_thread, project, mapping)),
            )
            watch.lap("push")
            for done in writing:
                done.result()
    watch.lap("map")
    run.commits_published = len(mapping) or (0 if current == public_sha else 1)
    mirror.published_sha, mirror.public_sha = sha, public_sha
    pushed_tags = tags.push_tags(project, mirror, the_rules, repo, remote)
    run.detail["tags"] = pushed_tags
    watch.lap("tags")
    run.detail["seconds"] = watch
    now = timezone.now()
    with transaction.atomic():
        Mirror.objects.filter(pk=mirror.pk).update(
            state=Mirror.State.ACTIVE,
            disclosure=d,
            published_sha=sha,
            public_sha=public_sha,
            seen_sha=sha,
            web_url=project_info.web_url or mirror.web_url,
            clone_url=project_info.clone_url or mirror.clone_url,
            released_at=mirror.released_at or now,
            synced_at=now,
        )
        # The lead may replace this with a projects service (project_public_url_set).
        Project.objects.filter(pk=project.pk).update(public_url=project_info.web_url)
    mirror.refresh_from_db()
    log.info("published %s at %s as %s", project.path, sha[:12], mirror.github_path)
    return mirror


def _mirror_row(project, d, the_rules) -> Mirror:
    org = settings.GITHUB_ORG
    mirror = Mirror.objects.filter(project=project).first()
    if mirror is None:
        mirror, _ = Mirror.objects.get_or_create(
            project=project,
            defaults={
                "github_path": f"{org}/{repo_name(d, project)}",
                "disclosure": d,
                "branch": project.default_branch or "main",
                "mode": d.mode,
                "rewrites": the_rules.rewrites or d.mode == "snapshot",
            },
        )
    return mirror


def _existing_repository(gh, mirror: Mirror):
    try:
        return gh.get_project(mirror.github_path)
    except forge_errors.NotFound:
        return None


def _forge_side(gh, mirror: Mirror, d, project, has_license: bool, existing):
    """The repository with the approved metadata, and our webhook on it. API calls only (no
    database): it runs beside the rewrite."""
    org, _, name = mirror.github_path.partition("/")
    meta = {
        "description": (project.summary or "")[:350],
        "homepage": getattr(d, "homepage", "") or "",
        "topics": topics_of(project),
    }
    info = existing
    if info is None:
        license_ = None if has_license else (d.outbound_license or None)
        try:
            info = gh.create_project(org, name, visibility="public", license=license_, **meta)
        except forge_errors.Conflict:  # an earlier attempt got there after all
            info = gh.get_project(mirror.github_path)
    elif (info.description, info.homepage, tuple(info.topics)) != (
        meta["description"],
        meta["homepage"],
        tuple(meta["topics"]),
    ):
        info = gh.update_project(mirror.github_path, **meta)
    _ensure_hook(gh, mirror)
    return info


def _map_in_thread(project, mapping) -> None:
    try:
        map_record(project, mapping)
    finally:
        connection.close()


def _remember(mirror: Mirror, info):
    Mirror.objects.filter(pk=mirror.pk).update(web_url=info.web_url, clone_url=info.clone_url)
    mirror.web_url, mirror.clone_url = info.web_url, info.clone_url
    return info


def _ensure_hook(gh, mirror: Mirror) -> None:
    secret = getattr(settings, "GITHUB_WEBHOOK_SECRET", "")
    if not secret:
        log.warning("GITHUB_WEBHOOK_SECRET is not set: no webhook on %s", mirror.github_path)
        return
    gh.ensure_hook(
        mirror.github_path,
        f"{settings.SERVICE_URL}/hooks/github/",
        secret,
        events=("push", "merge_request"),
    )


def _public_copy(project, mirror: Mirror, d, the_rules, sha: str, repo):
    """(public sha, {internal: public} of the commits copied now)."""
    ref = rewrite.scratch_ref("public/heads", mirror.branch)
    if mirror.mode == "snapshot" and not mirror.published_sha:
        name, email = rules.release_identity()
        message = f"{project.name}: public release\n\nSnapshot of the approved tree."
        public = fastexport.snapshot(
            repo, sha=sha, rules=the_rules, identity=(name, email), message=message, ref=ref
        )
        return public, {sha: public}
    if not mirror.rewrites:
        return sha, {}
    exclude = [mirror.published_sha] if mirror.published_sha else []
    outbound.ensure_public_history(project, mirror, repo)
    if exclude and not outbound.is_ancestor(repo, exclude[0], sha):
        raise PublishError("the approved commit does not descend from the published one")
    parents = all_copies(project) if exclude else {}
    fallback = mirror.public_sha if mirror.mode == "snapshot" else None
    result = rewrite.copy_history(
        repo,
        tip=sha,
        exclude=exclude,
        parents=parents,
        rules=the_rules,
        ref=ref,
        fallback_parent=fallback,
    )
    return result.tip, result.mapping


def _may_replace(mirror: Mirror, current: str | None, repo, public_sha: str) -> bool:
    """Whether the first push may replace what GitHub has: only the initial commit GitHub made
    itself (license template) in a repository we created for this release."""
    if current is None:
        return False
    if mirror.published_sha:
        if current == mirror.public_sha:
            return False
        raise PublishError(
            f"{mirror.github_path} moved since our last push ({current[:12]}): a divergence"
        )
    if mirror.repo_created:
        return True
    raise PublishError(f"{mirror.github_path} already holds history we did not publish")


def _tree_has_license(repo, sha: str) -> bool:
    names = git.run(["ls-tree", "--name-only", sha], repo=repo).text.split("\n")
    return any(n.lower().startswith(LICENSE_NAMES) for n in names)


def mirror_path_exists(project) -> bool:
    return (repos.mirror_path(project.key) / "HEAD").is_file()
