"""Git smart HTTP details: chunked and gzip bodies, URL forms, anonymous reads, the CLI."""

import json
import os
import signal
import subprocess
import sys

import requests

from tests.fixtures.localforge import ROOT
from tests.localforge.helpers import commit, git, head, make_repo


def _new_project(localforge, visibility="private"):
    http = requests.Session()
    http.trust_env = False
    response = http.post(
        f"{localforge.gitlab_url}/api/v4/projects",
        json={"name": localforge.unique("gitproj"), "visibility": visibility},
        headers={"PRIVATE-TOKEN": localforge.token},
        timeout=30,
    )
    response.raise_for_status()
    return response.json()


def test_chunked_push_and_gzip_fetch(localforge, tmp_path):
    project = _new_project(localforge)
    header = localforge.git_auth_header(localforge.token)
    work = make_repo(tmp_path / "work", commits=1)
    (work / "big.bin").write_bytes(os.urandom(1024 * 1024))
    big = commit(work, "big.bin", "", "placeholder")
    (work / "big.bin").write_bytes(os.urandom(1024 * 1024))
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "Big binary", cwd=work)
    # A post buffer smaller than the pack makes git send a chunked request body.
    git(
        "-c",
        "http.postBuffer=65536",
        "push",
        project["http_url_to_repo"],
        "main",
        cwd=work,
        header=header,
    )

    clone = tmp_path / "clone"
    git("clone", "-q", project["http_url_to_repo"].removesuffix(".git"), str(clone), header=header)
    assert head(clone) == head(work) and big in git("log", "--format=%H", cwd=clone).stdout
    # Enough local commits that every negotiation round's request passes git's gzip threshold.
    for i in range(160):
        git("commit", "-q", "--allow-empty", "-m", f"local {i}", cwd=clone)
    commit(work, "server.txt", "s\n", "Server side")
    git("push", project["http_url_to_repo"], "main", cwd=work, header=header)
    # Many local commits make the negotiation request big enough for git to gzip it.
    traced = git("fetch", "origin", cwd=clone, header=header, env={"GIT_TRACE_CURL": "1"})
    assert "Content-Encoding: gzip" in traced.stderr
    assert git("rev-parse", "origin/main", cwd=clone).stdout.strip() == head(work)


def test_public_repos_read_anonymously_but_never_written(localforge, tmp_path):
    project = _new_project(localforge, visibility="public")
    work = make_repo(tmp_path / "work", commits=2)
    git(
        "push",
        project["http_url_to_repo"],
        "main",
        cwd=work,
        header=localforge.git_auth_header(localforge.token),
    )
    listing = git("ls-remote", project["http_url_to_repo"], cwd=work)
    assert head(work) in listing.stdout
    denied = git("push", project["http_url_to_repo"], "main:other", cwd=work, check=False)
    assert denied.returncode != 0
    bad = git(
        "ls-remote",
        project["http_url_to_repo"],
        cwd=work,
        header=localforge.git_auth_header("nope"),
        check=False,
    )
    assert bad.returncode != 0
    http = requests.Session()
    http.trust_env = False
    refs = http.get(f"{project['http_url_to_repo']}/info/refs?service=git-receive-pack", timeout=30)
    assert refs.status_code == 401 and refs.headers["WWW-Authenticate"].startswith("Basic")


def test_cli_seed_json_line_and_sigterm(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "users": [{"username": "sam", "email": "sam@example.com", "token": "sam-token"}],
                "groups": [{"path": "lab", "members": {"sam": 40}}, {"path": "lab/team"}],
                "orgs": [{"login": "lab-org", "admins": ["sam"]}],
            }
        )
    )
    env = dict(os.environ, LOCALFORGE_TOKEN="seed-admin")
    cmd = [sys.executable, "-m", "localforge", "--data", str(tmp_path / "d"), "--seed", str(seed)]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=str(ROOT)
    )
    try:
        info = json.loads(proc.stdout.readline())
        assert set(info) == {"gitlab_url", "github_url", "pid"} and info["pid"] == proc.pid
        http = requests.Session()
        http.trust_env = False
        me = http.get(
            f"{info['gitlab_url']}/api/v4/user", headers={"PRIVATE-TOKEN": "sam-token"}, timeout=10
        )
        assert me.json()["username"] == "sam"
        team = http.get(
            f"{info['gitlab_url']}/api/v4/groups/lab%2Fteam",
            headers={"PRIVATE-TOKEN": "sam-token"},
            timeout=10,
        )
        assert team.status_code == 200 and team.json()["full_path"] == "lab/team"
        org = http.get(
            f"{info['github_url']}/orgs/lab-org/memberships/sam",
            headers={"Authorization": "token sam-token"},
            timeout=10,
        )
        assert org.json()["role"] == "admin"
        gh_me = http.get(
            f"{info['github_url']}/api/v3/user",
            headers={"Authorization": "Bearer sam-token"},
            timeout=10,
        )
        assert gh_me.json()["login"] == "sam" and gh_me.json()["url"].startswith(
            f"{info['github_url']}/api/v3/"
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
        proc.stdout.close()
        proc.stderr.close()
