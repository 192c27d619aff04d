"""Webhook receivers. Read the raw body first, refuse anything unsigned or mis-signed with no
work done, deduplicate by delivery id, answer fast, and queue the work after commit."""

import hashlib
import hmac
import logging

from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from federation.forges.errors import PayloadError
from federation.forges.payloads import (
    parse_github_pull_request,
    parse_github_push,
    parse_gitlab_merge_request,
    parse_gitlab_push,
)
from federation.models import Mirror, WebhookDelivery
from projects.models import Project

log = logging.getLogger(__name__)
MAX_BODY = 5 * 1024 * 1024
GITLAB_EVENTS = {"Push Hook", "Tag Push Hook", "Merge Request Hook"}
GITHUB_EVENTS = {"push", "pull_request", "ping"}
PR_ACTIONS = {"opened", "reopened", "synchronize", "edited", "closed"}
HOOK_FIELDS = ("pk", "key", "path", "hook_secret", "gitlab_id", "default_branch")


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


def record(*, forge, delivery_id, event, project, outcome, detail) -> int | None:
    """Store the delivery; its id, or None when this id was seen before (a replay or a retry).

    One statement, `INSERT ... ON CONFLICT DO NOTHING RETURNING id`, on the unique (forge,
    delivery id): no savepoint, no exception, no second query for a replay (the hot path of a
    burst of deliveries)."""
    values = {"forge": forge, "delivery_id": delivery_id[:100], "event": event[:60],
              "project_id": project.pk if project else None, "outcome": outcome,
              "detail": detail, "received_at": timezone.now()}  # fmt: skip
    meta = WebhookDelivery._meta
    columns = [meta.get_field(name).column for name in values]
    params = [meta.get_field(n).get_db_prep_save(v, connection) for n, v in values.items()]
    sql = (
        f"INSERT INTO {meta.db_table} ({', '.join(columns)}) "  # noqa: S608 (names from the model)
        f"VALUES ({', '.join(['%s'] * len(columns))}) "
        "ON CONFLICT (forge, delivery_id) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return row[0] if row else None


@csrf_exempt
@require_POST
def gitlab_hook(request, key: str):
    body = read_body(request)
    if body is None:
        return refuse(413, "Body over 5 MB.")
    project = Project.objects.filter(key=key).only(*HOOK_FIELDS).first()
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
    try:  # the parsers read the raw body (and refuse bodies json cannot read, nested or not)
        parsed = (
            parse_gitlab_merge_request(body)
            if event == "Merge Request Hook"
            else parse_gitlab_push(body)
        )
    except (ValueError, PayloadError) as exc:
        return refuse(400, f"Malformed payload: {exc}")
    if parsed.project_id is not None and parsed.project_id != project.gitlab_id:
        return refuse(400, "The payload is for another project.")
    delivery_id = request.headers.get("X-Gitlab-Event-UUID") or hashlib.sha256(body).hexdigest()
    wanted = event != "Merge Request Hook" and parsed.ref == f"refs/heads/{project.default_branch}"
    if event != "Merge Request Hook" and parsed.is_tag:
        wanted = _tag_mirrored(project, parsed.short_ref)
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
    return JsonResponse({"detail": outcome, "delivery": delivery}, status=202)


def _tag_mirrored(project, name: str) -> bool:
    from federation.models import PublishRules

    rules = PublishRules.objects.filter(project=project).only("tag_pattern").first()
    if rules is None or not rules.tag_pattern:
        return False
    import fnmatch

    released = Mirror.objects.filter(project=project, state=Mirror.State.ACTIVE).exists()
    return released and fnmatch.fnmatchcase(name, rules.tag_pattern)


def github_signature_ok(secret: str, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256: "sha256=" + HMAC-SHA256(secret, raw body), compared in constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), header.strip().encode())


@csrf_exempt
@require_POST
def github_hook(request):
    """GitHub deliveries for the public repositories (push, pull_request, ping)."""
    secret = getattr(settings, "GITHUB_WEBHOOK_SECRET", "")
    if not secret:
        return refuse(403, "No webhook secret is configured; GitHub deliveries are refused.")
    body = read_body(request)
    if body is None:
        return refuse(413, "Body over 5 MB.")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature:
        return refuse(401, "Missing X-Hub-Signature-256.")
    if not github_signature_ok(secret, body, signature):
        log.warning("github hook: wrong signature")
        return refuse(403, "Wrong X-Hub-Signature-256.")
    event = request.headers.get("X-GitHub-Event", "")
    delivery_id = request.headers.get("X-GitHub-Delivery") or hashlib.sha256(body).hexdigest()
    if event not in GITHUB_EVENTS:
        return refuse(400, f"Unsupported event {event!r}.")
    if event == "ping":
        return JsonResponse({"detail": "pong"}, status=200)
    try:
        parsed = parse_github_push(body) if event == "push" else parse_github_pull_request(body)
    except (ValueError, PayloadError) as exc:
        return refuse(400, f"Malformed payload: {exc}")
    mirror = (
        Mirror.objects.filter(github_path__iexact=parsed.project_path, state=Mirror.State.ACTIVE)
        .select_related("project")
        .first()
    )
    work, detail = _github_work(event, parsed, mirror)
    outcome = WebhookDelivery.Outcome.QUEUED if work else WebhookDelivery.Outcome.IGNORED
    with transaction.atomic():
        delivery = record(
            forge="github", delivery_id=delivery_id, event=event,
            project=mirror.project if mirror else None, outcome=outcome, detail=detail,
        )  # fmt: skip
        if delivery is None:
            return JsonResponse({"detail": "Duplicate delivery; already handled."}, status=200)
        if work:
            transaction.on_commit(work)
    return JsonResponse({"detail": outcome, "delivery": delivery}, status=202)


def _github_work(event, parsed, mirror):
    """(what to queue after the commit or None, what to record)."""
    if mirror is None:
        return None, {"repository": parsed.project_path, "why": "not a mirror we keep"}
    project_id = mirror.project_id
    if event == "push":
        detail = {"ref": parsed.ref, "after": parsed.after}
        ours = parsed.after == mirror.public_sha or parsed.ref != f"refs/heads/{mirror.branch}"
        if ours:  # our own push coming back, or a ref we do not mirror
            return None, detail

        def check():
            from federation.tasks import sync_project

            sync_project.delay(project_id, trigger="github-push")

        return check, detail
    detail = {"number": parsed.number, "action": parsed.action, "head": parsed.head_sha}
    if parsed.action not in PR_ACTIONS or parsed.target_branch != mirror.branch:
        return None, detail
    number = parsed.number

    def import_pr():
        from federation.tasks import import_pull_request

        import_pull_request.delay(project_id, number)

    return import_pr, detail
