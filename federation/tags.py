"""Release tags: a GitLab tag matching the project's pattern goes out as a lightweight tag on
the public copy of its commit, once that commit is published. Public tags are never moved or
deleted (a release stays where it was); a tag that would move is reported instead."""

from __future__ import annotations

import logging

from federation import git, outbound

log = logging.getLogger(__name__)


def tag_targets(repo) -> dict[str, str]:
    """{tag name: commit sha} of the mirror's tags (annotated tags peeled)."""
    out = git.run(
        ["for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)", "refs/tags"],
        repo=repo,
    ).text
    targets = {}
    for line in out.splitlines():
        ref, obj, peeled = (line.split("\0") + ["", ""])[:3]
        targets[ref.removeprefix("refs/tags/")] = peeled or obj
    return targets


def push_tags(project, mirror, rules, repo, remote: dict[str, str]) -> dict[str, str]:
    """Push the wanted tags whose commit is published; returns {tag: what happened}."""
    from federation.publish import parents_for

    if not rules.tag_pattern or not mirror.published_sha:
        return {}
    wanted = {n: c for n, c in tag_targets(repo).items() if rules.tag_wanted(n)}
    if not wanted:
        return {}
    copies = parents_for(project, set(wanted.values())) if mirror.rewrites else {}
    updates, report = [], {}
    for name, commit in sorted(wanted.items()):
        public = copies.get(commit) if mirror.rewrites else commit
        if public is None or not outbound.is_ancestor(repo, commit, mirror.published_sha):
            report[name] = "not published yet"
            continue
        ref = f"refs/tags/{name}"
        there = remote.get(ref)
        if there == public:
            continue
        if there is not None:
            report[name] = f"kept: GitHub has it at {there[:12]}"
            continue
        updates.append(outbound.RefUpdate(ref, commit, public))
        report[name] = "pushed"
    if updates:
        outbound.push_public(
            project=project, mirror=mirror, updates=updates, tag_pattern=rules.tag_pattern
        )
    return report
