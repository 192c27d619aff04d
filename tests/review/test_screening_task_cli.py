"""`manage.py screen`: exit codes and the JSON shape, run as a real process without a database."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.review.screening_helpers import GITLAB_TOKEN, RSA_KEY, clean_files
from tests.review.workflow_fixtures import WorkRepo

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"check", "rule", "severity", "path", "line", "commit", "fingerprint", "message"}


def screen(*args):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    # Any database access would fail: the command needs settings only.
    env["DATABASE_URL"] = "sqlite:////nonexistent-dir/never.sqlite3"
    return subprocess.run(
        [sys.executable, "manage.py", "screen", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def repo(tmp_path_factory):
    r = WorkRepo(tmp_path_factory.mktemp("cli") / "work")
    clean = r.commit(clean_files(), message="initial")
    r.commit({"deploy/settings.yml": f"token: {GITLAB_TOKEN}\n"}, message="deploy")
    r.remove("deploy/settings.yml")
    history_only = r.commit(message="remove the token")
    r.git("tag", "clean", clean)
    return r, clean, history_only


def test_clean_commit_exits_0_with_json(repo):
    r, clean, _ = repo
    out = screen(r.path, "--rev", "clean", "--format", "json", "--license", "apache-2.0")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"findings", "summary"}
    assert all(set(f) == FIELDS for f in data["findings"])
    assert data["summary"]["blocking"] is False and data["summary"]["sha"] == clean
    assert not [f for f in data["findings"] if f["severity"] == "blocker"]


def test_blocking_finding_exits_1(repo):
    r, _, head = repo
    out = screen(r.path, "--rev", head, "--format", "json")
    assert out.returncode == 1, out.stderr
    data = json.loads(out.stdout)
    token = [f for f in data["findings"] if f["rule"] == "gitlab-token"]
    assert len(token) == 1
    f = token[0]
    assert set(f) == FIELDS
    assert (f["check"], f["severity"], f["path"], f["line"]) == (
        "secrets",
        "blocker",
        "deploy/settings.yml",
        1,
    )
    assert len(f["fingerprint"]) == 64 and f["commit"] != head
    assert GITLAB_TOKEN not in out.stdout  # the secret itself is never printed
    assert data["summary"]["blocking"] is True and data["summary"]["blocking_count"] == 1


def test_snapshot_mode_does_not_see_history(repo):
    r, _, head = repo
    out = screen(r.path / ".git", "--rev", head, "--mode", "snapshot", "--format", "json")
    assert out.returncode == 0, out.stdout + out.stderr
    assert not [f for f in json.loads(out.stdout)["findings"] if f["rule"] == "gitlab-token"]


def test_text_format(tmp_path):
    r = WorkRepo(tmp_path / "work")
    r.commit({**clean_files(), "certs/server.pem": RSA_KEY})
    out = screen(r.path, "--rev", "HEAD")
    assert out.returncode == 1
    assert "BLOCKING BLOCKER  secrets/private-key certs/server.pem:1" in out.stdout
    assert "blocking finding(s) remain." in out.stdout.splitlines()[-1]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rev", "no-such-branch"], "no such commit"),
        (["--rev", "HEAD", "--license", "GPL"], "not an SPDX id"),
        (["--rev=--output=/tmp/x"], "no such commit"),
    ],
)
def test_errors_exit_2(repo, args, message):
    r, _, _ = repo
    out = screen(r.path, *args)
    assert out.returncode == 2
    assert message in out.stderr


def test_not_a_repository_exits_2(tmp_path):
    out = screen(tmp_path, "--rev", "HEAD")
    assert out.returncode == 2 and "not a git repository" in out.stderr
