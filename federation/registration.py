"""Registering a GitLab project: the forge checks, then the registry write, then the webhook
and the first sync (queued after commit). Orchestration: it calls across apps."""

import datetime as dt
import logging
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from federation import git
from federation.forges import errors as forge_errors
from federation.forges.base import ForgeProject
from people.selectors import forge_username
from projects import services as project_services
from projects.models import Project

log = logging.getLogger(__name__)


class RegistrationError(Exception):
    """Why a registration cannot go ahead; `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Candidate:
    id: int
    path: str
    name: str
    registered: bool


def gitlab():
    from federation.forges.gitlab import get_gitlab

    return get_gitlab()


def forge_failure(exc: forge_errors.ForgeError) -> RegistrationError:
    if isinstance(exc, forge_errors.RateLimited):
        return RegistrationError(
            f"GitLab is rate limiting us; try again in {max(1, round(exc.retry_after))} s. Nothing was saved."
        )
    if isinstance(exc, forge_errors.Unavailable):
        return RegistrationError(
            "GitLab cannot be reached right now; nothing was saved. Try again later."
        )
    return RegistrationError(f"GitLab refused the request ({exc.__class__.__name__}).")


def parse_gitlab_ref(value: str) -> int | str:
    """A project id, a path, or a web address on the configured GitLab (anything else refused)."""
    value = value.strip()
    if value.isdigit():
        return int(value)
    if "://" in value:
        base = urlsplit(settings.GITLAB_URL)
        url = urlsplit(value)
        prefix = base.path.rstrip("/") + "/"
        if (url.scheme, url.netloc) != (base.scheme, base.netloc) or not url.path.startswith(
            prefix
        ):
            raise RegistrationError(
                "That address is not on the institute's GitLab "
                f"({settings.GITLAB_URL}); only internal projects can be registered.",
                field="gitlab_project",
            )
        value = url.path[len(prefix) :]
        value = value.split("/-/")[0].removesuffix(".git")
    value = unquote(value).strip("/")
    if not value or ".." in value or value.count("/") < 1:
        raise RegistrationError(
            "Give the project's path (group/name), id, or web address.", field="gitlab_project"
        )
    return value


def user_gitlab_username(user) -> str:
    username = forge_username(user, "gitlab")
    if not username:
        raise RegistrationError(
            "Your account has no GitLab username on record; sign in with GitLab once, "
            "or ask the OSPO to add it to the directory."
        )
    return username


def registrable_projects(user) -> list[Candidate]:
    """The GitLab projects the user maintains (read with the service token), marked when
    already registered."""
    username = user_gitlab_username(user)
    try:
        found = gitlab().list_projects(user=username, maintained_only=True)
    except forge_errors.ForgeError as exc:
        raise forge_failure(exc) from exc
    registered = set(
        Project.objects.filter(gitlab_id__in=[p.id for p in found]).values_list(
            "gitlab_id", flat=True
        )
    )
    return [Candidate(p.id, p.path, p.name, p.id in registered) for p in found]


def facts_of(fp: ForgeProject) -> project_services.GitLabFacts:
    created = getattr(fp, "created_at", None)
    created_on = timezone.localdate()
    if created:
        created_on = timezone.localtime(
            dt.datetime.fromisoformat(str(created).replace("Z", "+00:00"))
        ).date()
    return project_services.GitLabFacts(
        gitlab_id=fp.id,
        path=fp.path,
        name=fp.name,
        web_url=fp.web_url,
        clone_url=fp.clone_url,
        default_branch=fp.default_branch or "main",
        created_on=created_on,
    )


def register(*, user, gitlab_ref: str, team, **details) -> tuple[Project, bool]:
    """Check on GitLab that the user maintains the project, store it, then install the
    webhook and queue the first sync once the transaction commits."""
    ref = parse_gitlab_ref(gitlab_ref)
    username = user_gitlab_username(user)
    forge = gitlab()
    try:
        fp = forge.get_project(ref)
        maintainer = forge.is_maintainer(fp.id, username)
    except forge_errors.NotFound:
        raise RegistrationError(
            f"GitLab has no project {gitlab_ref!r}.", field="gitlab_project"
        ) from None
    except forge_errors.ForgeError as exc:
        raise forge_failure(exc) from exc
    if not maintainer:
        raise RegistrationError(
            f"You ({username}) are not a maintainer of {fp.path} on GitLab.", field="gitlab_project"
        )
    _check_forge_facts(fp)
    try:
        with transaction.atomic():
            project, created = project_services.project_register(
                facts=facts_of(fp), team=team, by=user, **details
            )
            if created:
                transaction.on_commit(lambda: queue_after_registration(project.pk))
    except project_services.RegistryError as exc:
        raise RegistrationError(str(exc)) from exc
    return project, created


def _check_forge_facts(fp: ForgeProject) -> None:
    """What GitLab's API says about the project must stay on the configured forge: the clone
    URL git will fetch (with our token) and the default branch it will read."""
    try:
        git.validate_remote_url(fp.clone_url)
        if fp.default_branch:
            git.validate_ref(fp.default_branch)
    except (git.DisallowedURL, git.InvalidRef) as exc:
        log.warning("registration of GitLab project %s refused: %s", fp.id, exc)
        raise RegistrationError(
            f"GitLab describes {fp.path} with a clone address or branch this service will not "
            f"use ({exc}); ask the OSPO to check the GitLab configuration.",
            field="gitlab_project",
        ) from None


def queue_after_registration(project_id: int) -> None:
    """Queue the webhook install and the first sync. With a broker they retry on their own;
    in eager mode (no broker) a failure is logged and the registration stands: the hook stays
    pending and the project page says so."""
    from federation import tasks

    for task, kwargs in (
        (tasks.project_hooks_install, {}),
        (tasks.sync_project, {"trigger": "registration"}),
    ):
        try:
            task.delay(project_id, **kwargs)
        except Exception:
            log.exception("%s for project %s failed; it will be retried", task.name, project_id)


def hook_url(project: Project) -> str:
    return f"{settings.SERVICE_URL}/hooks/gitlab/{project.key}/"
