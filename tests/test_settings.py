"""Settings come from the environment; production refuses the development defaults."""

import os
import subprocess
import sys

from django.conf import settings

SERVICE_VARS = (
    "DJANGO_",
    "OSP_",
    "FIELD_ENCRYPTION_KEYS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "GITLAB_OAUTH",
)


def read(expression: str, **env) -> subprocess.CompletedProcess:
    """Evaluate `expression` on a freshly imported config.settings (`s`) under `env` only."""
    child = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_VARS)}
    child.update(env)
    return subprocess.run(
        [sys.executable, "-c", f"import config.settings as s; print(repr(({expression})))"],
        cwd=settings.BASE_DIR, env=child, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_production_refuses_the_development_secret_key():
    proc = read("s.SECRET_KEY", OSP_PRODUCTION="true", DJANGO_DEBUG="false")
    assert proc.returncode != 0 and "DJANGO_SECRET_KEY" in proc.stderr


def test_production_refuses_debug():
    proc = read("s.DEBUG", OSP_PRODUCTION="true", DJANGO_SECRET_KEY="x" * 50, DJANGO_DEBUG="true")
    assert proc.returncode != 0 and "DJANGO_DEBUG=false" in proc.stderr


def test_production_with_a_real_secret_loads_with_secure_cookies():
    proc = read(
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE",
        OSP_PRODUCTION="true", DJANGO_SECRET_KEY="x" * 50, DJANGO_DEBUG="false",
        FIELD_ENCRYPTION_KEYS="c2VjdXJpdHktdGVzdC1maWVsZC1rZXktMDAwMDAwMDA=",
    )  # fmt: skip
    assert proc.stdout.strip() == "(True, True)", proc.stderr


def test_embedded_defaults_sqlite_and_eager_celery():
    proc = read("s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER", OSP_VAR_DIR="/tmp")
    assert proc.stdout.strip() == "('django.db.backends.sqlite3', True)", proc.stderr


def test_database_and_broker_urls_are_read():
    proc = read(
        "s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.CELERY_TASK_ALWAYS_EAGER",
        DATABASE_URL="postgres://u@127.0.0.1:5432/osp", CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )  # fmt: skip
    assert proc.stdout.strip() == "('django.db.backends.postgresql', 'osp', False)", proc.stderr


def test_gitlab_sign_in_follows_a_self_hosted_url():
    proc = read(
        "s.SOCIALACCOUNT_PROVIDERS['gitlab']['GITLAB_URL'], len(s.SOCIALACCOUNT_PROVIDERS['gitlab']['APPS'])",
        GITLAB_OAUTH_URL="https://gitlab.institute.example/gitlab",
        GITLAB_OAUTH_CLIENT_ID="cid", GITLAB_OAUTH_SECRET="sec",
    )  # fmt: skip
    assert proc.stdout.strip() == "('https://gitlab.institute.example/gitlab', 1)", proc.stderr
