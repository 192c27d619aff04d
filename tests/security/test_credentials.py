"""Credentials at rest: webhook secrets are Fernet tokens in the database, still usable by the
service, re-encrypted by the rotation command, and never shown in the admin, the API, logs,
exceptions or Celery task arguments."""

import json
import logging
import re
import traceback

import pytest
from celery.signals import task_prerun
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from config import crypto
from federation import registration
from people.models import Identity
from people.roles import RESEARCHER
from people.services import team_ensure_path
from projects.models import Project
from tests.factories import MembershipFactory, PersonFactory, ProjectFactory, UserFactory
from tests.paths import FORGE_FIXTURES

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def raw_secret(project) -> str:
    with connection.cursor() as cur:
        cur.execute("SELECT hook_secret FROM projects_project WHERE id = %s", [project.pk])
        return cur.fetchone()[0]


def push_payload(project) -> bytes:
    """GitLab's documented push payload, pointed at the project's default branch."""
    payload = json.loads((FORGE_FIXTURES / "gitlab" / "webhooks" / "push.json").read_text())
    payload.update(project_id=project.gitlab_id, ref=f"refs/heads/{project.default_branch}")
    payload["project"]["id"] = project.gitlab_id
    return json.dumps(payload).encode()


def push_hook(client, project, token):
    return client.post(
        f"/hooks/gitlab/{project.key}/",
        data=push_payload(project),
        content_type="application/json",
        HTTP_X_GITLAB_EVENT="Push Hook",
        HTTP_X_GITLAB_EVENT_UUID=f"uuid-{token[:6]}",
        HTTP_X_GITLAB_TOKEN=token,
    )


@pytest.mark.django_db
def test_the_column_holds_a_token_not_the_secret():
    project = ProjectFactory()
    secret = Project.objects.get(pk=project.pk).hook_secret
    stored = raw_secret(project)
    assert len(secret) >= 40
    assert secret not in stored
    assert stored.startswith(crypto.TOKEN_PREFIX)
    assert crypto.decrypt(stored) == secret
    # Each write encrypts afresh (random IV): two equal secrets are two different tokens.
    other = ProjectFactory(hook_secret=secret)
    assert raw_secret(other) != stored


@pytest.mark.django_db
def test_the_webhook_finds_the_project_by_key_and_checks_the_secret(client):
    project = ProjectFactory(default_branch="main")
    secret = Project.objects.get(pk=project.pk).hook_secret
    assert push_hook(client, project, secret).status_code == 202
    assert push_hook(client, project, secret[:-1] + "x").status_code == 403
    assert push_hook(client, project, crypto.encrypt(secret)).status_code == 403


@pytest.mark.django_db
def test_the_encrypted_field_refuses_lookups_that_could_never_match():
    project = ProjectFactory()
    with pytest.raises(FieldError, match="encrypted"):
        Project.objects.filter(hook_secret=project.hook_secret).exists()
    with pytest.raises(FieldError):
        Project.objects.filter(hook_secret__startswith="a").exists()
    assert Project.objects.filter(hook_secret__isnull=False).count() == 1


@pytest.mark.django_db
def test_a_value_under_an_unknown_key_fails_without_echoing_it(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    project = ProjectFactory()
    secret = Project.objects.get(pk=project.pk).hook_secret
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(crypto.DecryptionError) as caught:
        Project.objects.get(pk=project.pk)
    text = "".join(traceback.format_exception(caught.value))
    assert secret not in text and raw_secret(project) not in text


@pytest.mark.django_db
def test_rotation_re_encrypts_every_secret_under_the_new_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    projects = [ProjectFactory() for _ in range(3)]
    secrets = {p.pk: Project.objects.get(pk=p.pk).hook_secret for p in projects}
    before = {p.pk: raw_secret(p) for p in projects}

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("rotate_encryption_key", "--dry-run", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert {p.pk: raw_secret(p) for p in projects} == before  # a dry run writes nothing
    call_command("rotate_encryption_key", stdout=open("/dev/null", "w"))  # noqa: SIM115

    for p in projects:
        token = raw_secret(p)
        assert token != before[p.pk]
        assert Fernet(NEW_KEY.encode()).decrypt(token.encode()).decode() == secrets[p.pk]
    # The old key can go now: everything still reads.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert {p.pk: p.hook_secret for p in Project.objects.all()} == secrets


@pytest.mark.django_db
def test_rotation_stops_when_a_value_cannot_be_decrypted(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    project = ProjectFactory()
    before = raw_secret(project)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old key was dropped too early
    with pytest.raises(CommandError, match="projects.Project.hook_secret"):
        call_command("rotate_encryption_key", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert raw_secret(project) == before


def test_a_key_that_is_not_a_fernet_key_is_refused(settings):
    settings.FIELD_ENCRYPTION_KEYS = ["short"]
    with pytest.raises(Exception, match=r"FIELD_ENCRYPTION_KEYS\[0\] is not a Fernet key"):
        crypto.encrypt("x")


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_existing_plain_text_rows():
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("projects", "0001_initial")])
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO projects_project (gitlab_id, path, name, web_url, clone_url,"
            " default_branch, created_on, summary, description, topics, license, contact,"
            " sharing, language, key, hook_secret, hook_state, has_readme, has_contributing,"
            " contributing_text, public_url, recent_commits, contributors,"
            " cross_team_contributors, activity_score, registered_at, updated_at)"
            " VALUES (7, 'g/p', 'p', 'http://x/g/p', 'http://x/g/p.git', 'main', '2025-01-01',"
            " 's', '', '[]', '', '', 'internal', '', 'abc123', 'legacy-plain-secret', 'pending',"
            " false, false, '', '', 0, 0, 0, 0.0, '2025-01-01 00:00:00+00',"
            " '2025-01-01 00:00:00+00')"
        )
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    project = Project.objects.get(gitlab_id=7)
    assert project.hook_secret == "legacy-plain-secret"
    assert raw_secret(project).startswith(crypto.TOKEN_PREFIX)
    assert "legacy-plain-secret" not in raw_secret(project)


# --- Where a secret must never show ---------------------------------------------------------


@pytest.fixture
def researcher(localforge):
    username = localforge.unique("sec")
    _, token = localforge.create_user(username, email=f"{username}@institute.example")
    user = UserFactory(username=username, roles=[RESEARCHER])
    person = PersonFactory(user=user, email=f"{username}@institute.example")
    Identity.objects.create(person=person, kind="gitlab", value=username)
    MembershipFactory(person=person, team=team_ensure_path(path="Sec/Team"))
    user.gitlab_token = token
    return user


@pytest.fixture
def task_calls():
    calls = []

    def record(sender=None, task_id=None, task=None, args=None, kwargs=None, **_):
        calls.append((task.name, repr(args), repr(kwargs)))

    task_prerun.connect(record, weak=False)
    yield calls
    task_prerun.disconnect(record)


@pytest.mark.django_db(transaction=True)
def test_secrets_stay_out_of_tasks_logs_api_and_admin(
    forge_settings, localforge, gitlab_project, researcher, task_calls, caplog, client
):
    caplog.set_level(logging.DEBUG)
    glp = gitlab_project(owner=(researcher.username, researcher.gitlab_token))
    project, _ = registration.register(
        user=researcher, gitlab_ref=glp.path, team=team_ensure_path(path="Sec/Team"),
        summary="s", topics=[], license="MIT", sharing="internal",
    )  # fmt: skip
    secret = Project.objects.get(pk=project.pk).hook_secret
    assert push_hook(client, project, secret).status_code == 202
    assert push_hook(client, project, "wrong-" + secret).status_code == 403

    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@x.example", "pw-root-123")
    client.force_login(admin)
    pages = {
        url: client.get(url)
        for url in (
            f"/api/v1/projects/{project.pk}/",
            "/api/v1/projects/",
            f"/admin/projects/project/{project.pk}/change/",
            "/admin/projects/project/",
            f"/projects/{project.pk}/",
        )
    }
    assert {url: r.status_code for url, r in pages.items()} == dict.fromkeys(pages, 200)

    task_names = {name for name, _, _ in task_calls}
    assert {"federation.tasks.project_hooks_install", "federation.tasks.sync_project"} <= task_names
    credentials = {
        "hook secret": secret,
        "hook secret token": raw_secret(project),
        "forge token": localforge.token,
        "researcher's token": researcher.gitlab_token,
    }
    for what, value in credentials.items():
        assert not [c for c in task_calls if value in c[1] or value in c[2]], what
        assert value not in caplog.text, what
        for url, response in pages.items():
            assert value.encode() not in response.content, (what, url)


@pytest.mark.django_db
def test_a_failed_hook_install_does_not_put_the_secret_in_the_error(settings):
    from federation import pipeline

    settings.GITLAB_URL = "http://127.0.0.1:9"  # nothing listens on the discard port
    settings.FORGE_MAX_RETRIES = 0
    project = ProjectFactory()
    secret = Project.objects.get(pk=project.pk).hook_secret
    with pytest.raises(Exception) as caught:  # noqa: B017 (whatever the client raises)
        pipeline.hooks_install(project=project)
    text = "".join(traceback.format_exception(caught.value))
    assert secret not in text
    assert settings.GITLAB_TOKEN not in text


# Every column whose name says secret, token, password or key: encrypted, or here with the
# reason it is not. A new credential column fails this test until it is one or the other.
NOT_ENCRYPTED = {
    "auth.User.password": "a salted hash (Django's hashers), never the password",
    "sessions.Session.session_key": "the cookie's own value; the row expires with the session",
    "authtoken.Token.key": "DRF looks tokens up by key; accepted limit in docs/security.md",
    "authtoken.TokenProxy.key": "the same table as authtoken.Token",
    "account.EmailConfirmation.key": "a one-time confirmation code (not used: verification off)",
    "socialaccount.SocialApp.secret": "empty: OAuth apps come from settings, not the database",
    "socialaccount.SocialApp.key": "empty: OAuth apps come from settings, not the database",
    "socialaccount.SocialToken.token": "empty: SOCIALACCOUNT_STORE_TOKENS is off",
    "socialaccount.SocialToken.token_secret": "empty: SOCIALACCOUNT_STORE_TOKENS is off",
    "projects.Project.key": "public: it is in the webhook URL, the secret is hook_secret",
    "review.Patent.keywords": "not a credential (search keywords)",
    "federation.SyncLease.token": "a lock owner's random id, compared in an UPDATE; no access",
}


def test_every_credential_column_is_encrypted_or_explained(settings):
    from django.apps import apps

    assert settings.SOCIALACCOUNT_STORE_TOKENS is False
    seen = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if re.search(r"secret|token|password|key|credential", field.name, re.I):
                seen[f"{model._meta.label}.{field.name}"] = field
    plain = {name for name, f in seen.items() if not isinstance(f, crypto.EncryptedTextField)}
    assert plain == set(NOT_ENCRYPTED)
    assert isinstance(seen["projects.Project.hook_secret"], crypto.EncryptedTextField)
