"""Webhook receivers. Read the raw body first, refuse anything unsigned or mis-signed with no
work done, deduplicate by delivery id, answer fast, and queue the work after commit."""

import hashlib
import hmac
import json
import logging

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from federation.forges.errors import PayloadError
from federation.forges.payloads import parse_gitlab_merge_request, parse_gitlab_push
from federation.models import WebhookDelivery
from projects.models import Project

log = logging.getLogger(__name__)
MAX_BODY = 5 * 1024 * 1024
GITLAB_EVENTS = {"Push Hook", "Tag Push Hook", "Merge Request Hook"}


def refuse(status: int, message: str) -> JsonResponse:
    return JsonResponse({"detail": message}, status=status)


def read_body(request) -> bytes | None:
    """The raw body, or None when it is over the limit (checked before reading it all)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if declared > MAX_BODY:
        return None
    body = request.read(MAX_BODY + 1)
    return None if len(body) > MAX_BODY else body


def record(*, forge, delivery_id, event, project, outcome, detail) -> WebhookDelivery | None:
    """Store the delivery; None when this id was seen before (a replay or a retry)."""
    try:
        with transaction.atomic():
            return WebhookDelivery.objects.create(
                forge=forge,
                delivery_id=delivery_id[:100],
                event=event[:60],
                project=project,
                outcome=outcome,
                detail=detail,
            )
    except IntegrityError:
        return None


@csrf_exempt
@require_POST
def gitlab_hook(request, key: str):
    body = read_body(request)
    if body is None:
        return refuse(413, "Body over 5 MB.")
    project = Project.objects.filter(key=key).first()
    token = request.headers.get("X-Gitlab-Token", "")
    if project is None:
        return refuse(404, "Unknown hook.")
    if not token:
        return refuse(401, "Missing X-Gitlab-Token.")
    if not hmac.compare_digest(token.encode(), project.hook_secret.encode()):
        log.warning("gitlab hook for %s: wrong token", project.path)
        return refuse(403, "Wrong X-Gitlab-Token.")
    event = request.headers.get("X-Gitlab-Event", "")
    if event not in GITLAB_EVENTS:
        return refuse(400, f"Unsupported event {event!r}.")
    try:
        payload = json.loads(body)
        parsed = (
            parse_gitlab_merge_request(payload)
            if event == "Merge Request Hook"
            else parse_gitlab_push(payload)
        )
    except (ValueError, PayloadError) as exc:
        return refuse(400, f"Malformed payload: {exc}")
    if parsed.project_id is not None and parsed.project_id != project.gitlab_id:
        return refuse(400, "The payload is for another project.")
    delivery_id = request.headers.get("X-Gitlab-Event-UUID") or hashlib.sha256(body).hexdigest()
    wanted = event != "Merge Request Hook" and parsed.ref == f"refs/heads/{project.default_branch}"
    if event == "Merge Request Hook":
        wanted = parsed.state == "merged" and parsed.target_branch == project.default_branch
    detail = {"ref": getattr(parsed, "ref", None), "after": getattr(parsed, "after", None)}
    outcome = WebhookDelivery.Outcome.QUEUED if wanted else WebhookDelivery.Outcome.IGNORED
    with transaction.atomic():
        delivery = record(
            forge="gitlab", delivery_id=delivery_id, event=event, project=project,
            outcome=outcome, detail=detail,
        )  # fmt: skip
        if delivery is None:
            return JsonResponse({"detail": "Duplicate delivery; already handled."}, status=200)
        if wanted:
            from federation.tasks import sync_project

            transaction.on_commit(lambda: sync_project.delay(project.pk, trigger="push"))
    return JsonResponse({"detail": outcome, "delivery": delivery.pk}, status=202)
