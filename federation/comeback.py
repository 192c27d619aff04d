"""Coming back: public pull requests become GitLab merge requests, and are closed with a link
once their merge is published. Also the "import" choice of a divergence.

A pull request's commits sit on public commits. When the mirror rewrites, they are copied onto
the internal originals (the reverse map; no rules, no trailer: the author stays the author)
with one fast-export/fast-import; without rewriting they are pushed as they are. The copy goes
to GitLab as branch `github/pr-<n>` (force-pushed again on every update of the PR).
"""

from __future__ import annotations

import contextlib
import logging

from django.db import transaction

from federation import divergence, fastexport, git, lease, outbound, repos, rewrite
from federation.forges import errors as forge_errors
from federation.models import CommitMap, Divergence, Mirror, PullRequestLink
from federation.publish import Copies, github, map_record
from federation.rules import Rules

log = logging.getLogger(__name__)
NO_RULES = Rules()


class ComebackError(Exception):
    pass


def gitlab():
    from federation.registration import gitlab as registration_gitlab

    return registration_gitlab()


def branch_for(number: int) -> str:
    return f"github/pr-{number}"


def _internal_copy(project, mirror, repo, public_head: str, *, ref: str) -> tuple[str, dict]:
    """The internal copy of public commits up to `public_head`: {public: internal} of the
    copied commits too (empty when nothing needed copying)."""
    if not mirror.rewrites:
        return public_head, {}
    known = Copies(project, reverse=True)
    if public_head in known:
        return known[public_head], {}
    result = fastexport.rewrite_range(
        repo,
        tip=public_head,
        exclude=[mirror.public_sha],
        parents=known,
        rules=NO_RULES,
        ref=ref,
        trailer=False,
    )
    return result.tip, result.mapping


def pull_request_import(*, project, number: int) -> PullRequestLink | None:
    """Import (or update) public pull request `number` as a GitLab merge request."""
    mirror = Mirror.objects.get(project=project, state=Mirror.State.ACTIVE)
    pr = github().get_merge_request(mirror.github_path, number)
    if pr.target_branch != mirror.branch:
        log.info("PR #%s of %s targets %s: not imported", number, project, pr.target_branch)
        return None
    link = PullRequestLink.objects.filter(project=project, number=number).first()
    if pr.state != "open":
        if link is not None and link.state == PullRequestLink.State.OPEN and pr.state == "closed":
            _close_mr(project, link)
        return link
    repo = repos.mirror_path(project.key)
    fetched = f"refs/osp/github/pull/{number}"
    with lease.held(project.pk):
        try:
            outbound.fetch_public(project, mirror, [f"+refs/pull/{number}/head:{fetched}"])
        except git.RefNotFound:
            _fetch_fork(project, pr, fetched)
        head = git.run(["rev-parse", "--verify", f"{fetched}^{{commit}}"], repo=repo).text.strip()
        internal, _ = _internal_copy(
            project, mirror, repo, head, ref=rewrite.scratch_ref("imports", f"pr-{number}")
        )
        branch = branch_for(number)
        outbound.push_internal(project, [f"{internal}:refs/heads/{branch}"], force=True)
    identity = _contributor(pr.author)
    with transaction.atomic():
        link, _ = PullRequestLink.objects.get_or_create(
            project=project,
            number=number,
            defaults={"branch": branch, "head_sha": head, "imported_sha": internal},
        )
        link.url, link.title, link.author = pr.web_url, pr.title[:300], pr.author
        link.from_fork = pr.source_project or "" if pr.source_project != mirror.github_path else ""
        link.head_sha, link.imported_sha, link.branch = head, internal, branch
        link.save()
    if link.mr_iid is None:
        mr = gitlab().open_merge_request(
            project.gitlab_id,
            source_branch=branch,
            target_branch=project.default_branch,
            title=f"{pr.title} (GitHub #{number})"[:255],
            description=_description(pr, identity),
        )
        PullRequestLink.objects.filter(pk=link.pk).update(mr_iid=mr.number, mr_url=mr.web_url)
        link.refresh_from_db()
    return link


def _fetch_fork(project, pr, fetched: str) -> None:
    """Fallback when the base repository has no refs/pull/<n>/head: the fork's branch."""
    if not pr.source_project:
        raise ComebackError(f"pull request #{pr.number}: its head is gone (fork deleted)")
    fork = Mirror(github_path=pr.source_project, clone_url="")
    spec = f"+refs/heads/{git.validate_ref(pr.source_branch)}:{fetched}"
    outbound.fetch_public(project, fork, [spec])


def _contributor(login: str):
    """The outside author as a known GitHub identity (no person, no team)."""
    from people.models import Identity

    if not login:
        return None
    identity, _ = Identity.objects.get_or_create(
        kind=Identity.Kind.GITHUB, value=login.lower(), defaults={"display_name": login}
    )
    return identity


def _description(pr, identity) -> str:
    by = f"@{pr.author} on GitHub" if pr.author else "an outside contributor"
    fork = f" (from the fork {pr.source_project})" if pr.source_project else ""
    return (
        f"Imported from the public pull request {pr.web_url}, opened by {by}{fork}.\n\n"
        f"{pr.description}\n\n---\n"
        "The commits keep their author. Merging this publishes them with the next sync, and the "
        "public pull request is then closed with a link to the published commit."
    )


def _close_mr(project, link: PullRequestLink) -> None:
    if link.mr_iid:
        with contextlib.suppress(forge_errors.Conflict):  # already closed or merged
            gitlab().close_merge_request(project.gitlab_id, link.mr_iid)
    PullRequestLink.objects.filter(pk=link.pk).update(state=PullRequestLink.State.CLOSED)


def close_merged(*, project, mirror: Mirror) -> dict[int, str]:
    """Close the public pull requests whose merge request merged and went out; {number: what}."""
    links = list(
        PullRequestLink.objects.filter(
            project=project, state=PullRequestLink.State.OPEN, mr_iid__isnull=False
        )
    )
    if not links:
        return {}
    repo = repos.mirror_path(project.key)
    report = {}
    for link in links:
        mr = gitlab().get_merge_request(project.gitlab_id, link.mr_iid)
        if mr.state == "closed":
            PullRequestLink.objects.filter(pk=link.pk).update(state=PullRequestLink.State.CLOSED)
            report[link.number] = "merge request closed"
            continue
        if mr.state != "merged" or not mr.merge_sha or not outbound.has_commit(repo, mr.merge_sha):
            continue
        if not outbound.is_ancestor(repo, mr.merge_sha, mirror.published_sha):
            report[link.number] = "merged, not published yet"
            continue
        public = Copies(project).get(mr.merge_sha) if mirror.rewrites else mr.merge_sha
        public = public or mirror.public_sha
        url = f"{mirror.web_url}/commit/{public}"
        gh = github()
        gh.comment_merge_request(
            mirror.github_path,
            link.number,
            f"Thank you! This was merged and is published as {url}.",
        )
        gh.close_merge_request(mirror.github_path, link.number)
        PullRequestLink.objects.filter(pk=link.pk).update(
            state=PullRequestLink.State.MERGED, merged_sha=mr.merge_sha, published_sha=public
        )
        report[link.number] = f"closed, published as {public}"
    return report


def divergence_import_run(*, divergence_id: int) -> str:
    """The "import" choice: GitHub's extra commits as a GitLab merge request."""
    d = Divergence.objects.select_related("project").get(pk=divergence_id)
    if d.state != Divergence.State.IMPORTED or d.merge_request_url:
        return d.merge_request_url
    project = d.project
    mirror = Mirror.objects.get(project=project)
    repo = repos.mirror_path(project.key)
    fetched = "refs/osp/github/diverged"
    with lease.held(project.pk):
        outbound.fetch_public(project, mirror, [f"+refs/heads/{mirror.branch}:{fetched}"])
        head = git.run(["rev-parse", "--verify", fetched], repo=repo).text.strip()
        internal, copies = _internal_copy(
            project, mirror, repo, head, ref=rewrite.scratch_ref("imports", f"divergence-{d.pk}")
        )
        branch = f"github/direct-{head[:10]}"
        outbound.push_internal(project, [f"{internal}:refs/heads/{branch}"], force=True)
        # GitHub already has these commits: their internal copies map back to them.
        map_record(
            project, {i: p for p, i in copies.items()} or {internal: head}, CommitMap.Source.IMPORT
        )
    mr = gitlab().open_merge_request(
        project.gitlab_id,
        source_branch=branch,
        target_branch=project.default_branch,
        title=f"Commits pushed directly to GitHub ({head[:10]})",
        description=(
            f"These commits were pushed to {mirror.web_url} directly, past the review. "
            f"Divergence #{d.pk}. Merging them lets the mirror continue on top of them."
        ),
    )
    Divergence.objects.filter(pk=d.pk).update(merge_request_url=mr.web_url)
    divergence.current(project)
    return mr.web_url
