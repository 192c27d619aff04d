"""A real `celery worker` process against the configured broker runs a task that writes to the DB."""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection

from people import services
from people.models import OrgImport, Person

ORG = (
    "email,name,team_path,start,end,gitlab_username,github_login\n"
    "worker@institute.example,Worker Test,Ops/Runners,2025-01-01,,,\n"
)


@pytest.fixture
def celery_worker_process(broker_url, postgres, transactional_db):
    env = dict(os.environ)
    db = connection.settings_dict
    env["DATABASE_URL"] = (
        f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env["CELERY_BROKER_URL"] = broker_url
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            "default,git",
            "--pool",
            "solo",
            "--concurrency",
            "1",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.mark.services
@pytest.mark.real_worker
def test_real_worker_runs_org_import(celery_worker_process):
    from config.celery import app

    assert not app.conf.task_always_eager
    record = services.org_import_queue(text=ORG, filename="org.csv", create_teams=True, by=None)
    # transactional_db: on_commit fired immediately, so the task is on the broker now.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        record.refresh_from_db()
        if record.state != OrgImport.State.QUEUED:
            break
        assert celery_worker_process.poll() is None, celery_worker_process.stdout.read().decode()
        time.sleep(0.2)
    assert record.state == OrgImport.State.DONE, record.errors
    assert (
        Person.objects.get(email="worker@institute.example").memberships.get().team.path
        == "Ops/Runners"
    )
