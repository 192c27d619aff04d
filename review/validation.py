"""Checks of what a researcher submits: the commit, the license and the release plan."""

from __future__ import annotations

import functools
import re

from django.utils.translation import gettext as _
from license_expression import get_spdx_licensing

from federation import git, repos
from review.errors import InvalidInput

# GitHub: letters, digits, '-', '_' and '.', at most 100; not '.' or '..'.
_REPO_NAME = re.compile(r"\A[A-Za-z0-9._-]{1,100}\Z")
# GitHub logins: letters, digits and single inner hyphens, at most 39.
_LOGIN = re.compile(r"\A[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\Z")


@functools.cache
def _spdx():
    return get_spdx_licensing()


def license_validate(expression: str) -> str:
    """The SPDX expression in canonical spelling; raises InvalidInput otherwise.

    Ids must be SPDX ids (any case), not the aliases license-expression also knows: "GPL" would
    silently become GPL-1.0-or-later, which is rarely what anyone means.
    """
    expression = (expression or "").strip()
    if not expression:
        raise InvalidInput(_("Give the outbound license as an SPDX id."), field="outbound_license")
    bad = InvalidInput(
        _(
            "%r is not a valid SPDX license expression "
            "(for example Apache-2.0 or MIT OR Apache-2.0)."
        )
        % expression,
        field="outbound_license",
    )
    try:
        info = _spdx().validate(expression, strict=True)
    except Exception:  # the library raises on some malformed input instead of reporting it
        raise bad from None
    if info.errors or not info.normalized_expression:
        raise bad
    canonical = info.normalized_expression
    given = {t.lower() for t in _TOKENS.findall(expression)} - _OPERATORS
    known = {t.lower() for t in _TOKENS.findall(canonical)} - _OPERATORS
    if not given <= known:
        raise InvalidInput(
            _("%(given)r is not an SPDX id; did you mean %(canonical)s?")
            % {"given": expression, "canonical": canonical},
            field="outbound_license",
        )
    return canonical


_TOKENS = re.compile(r"[^\s()]+")
_OPERATORS = {"and", "or", "with"}


def repo_name_validate(name: str) -> str:
    name = (name or "").strip()
    if not _REPO_NAME.match(name) or name in {".", ".."} or name.lower().endswith(".git"):
        raise InvalidInput(
            "A GitHub repository name uses letters, digits, '-', '_' and '.' "
            "(at most 100, not ending in .git).",
            field="target_repo",
        )
    return name


def maintainers_validate(maintainers) -> list[str]:
    if isinstance(maintainers, str):
        maintainers = re.split(r"[,\s]+", maintainers)
    out: list[str] = []
    for login in maintainers or ():
        login = str(login).strip().lstrip("@")
        if not login:
            continue
        if not _LOGIN.match(login):
            raise InvalidInput(_("%r is not a GitHub login.") % login, field="maintainers")
        if login.lower() not in (m.lower() for m in out):
            out.append(login)
    if not out:
        raise InvalidInput(_("Name at least one maintainer (GitHub login)."), field="maintainers")
    if len(out) > 20:
        raise InvalidInput(_("At most 20 maintainers."), field="maintainers")
    return out


def sha_validate(project, sha: str) -> str:
    """A full sha of a commit on the project's default branch, checked on the bare mirror."""
    try:
        sha = git.validate_sha((sha or "").strip())
    except git.InvalidSha:
        raise InvalidInput(_("Give the full 40-character commit sha."), field="sha") from None
    path = repos.mirror_path(project.key)
    if not (path / "HEAD").is_file():
        raise InvalidInput(
            _("The service has no copy of this repository yet; wait for the next sync."),
            field="sha",
        )
    exists = git.run(["cat-file", "-e", f"{sha}^{{commit}}"], repo=path, check=False, timeout=30)
    if exists.returncode != 0:
        raise InvalidInput(_("Commit %s is not in the repository.") % sha[:12], field="sha")
    branch = f"refs/heads/{project.default_branch}"
    try:
        git.validate_ref(branch)
    except git.InvalidRef:
        raise InvalidInput(
            _("The project's default branch name is not valid."), field="sha"
        ) from None
    on_branch = git.run(
        ["merge-base", "--is-ancestor", sha, branch], repo=path, check=False, timeout=60
    )
    if on_branch.returncode == 1:
        raise InvalidInput(
            _("Commit %(sha)s is not on the default branch %(branch)s.")
            % {"sha": sha[:12], "branch": project.default_branch},
            field="sha",
        )
    if on_branch.returncode != 0:
        raise InvalidInput(
            _("Could not check commit %(sha)s against %(branch)s: %(error)s")
            % {
                "sha": sha[:12],
                "branch": project.default_branch,
                "error": on_branch.stderr.strip()[:200],
            },
            field="sha",
        )
    return sha
