"""Forge and URL safety, attacked: git and the forge adapters talk only to the configured
forges. Other hosts, loopback or private aliases, `file://`, `ext::`, `ssh://` with options, a
redirect elsewhere or a pagination link elsewhere are refused before anything is sent there, and
a ref named `--upload-pack=touch pwned` never runs anything.

tests/federation/test_git.py covers the validators one value at a time; here the values come in
through the service's own doors (registration, webhooks, the come-back path, the mirror and the
adapters), against localforge and tiny loopback servers.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from federation import git, outbound, refcheck, registration, repos
from federation.forges.errors import ForgeError
from federation.forges.github import GitHubForge
from federation.forges.gitlab import GitLabForge
from federation.models import Mirror
from tests.factories import ProjectFactory

PWNED = "pwned"
ATTACK_REF = "--upload-pack=touch pwned"


# -- tiny loopback servers -------------------------------------------------------------------


class Loopback:
    """An HTTP server on 127.0.0.1 that records every request and answers with `respond`."""

    def __init__(self, respond):
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                outer.requests.append({"path": self.path, "headers": dict(self.headers)})
                status, headers, body = respond(self.path, outer)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_HEAD = _any  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def elsewhere():
    """Another host (another port on loopback) that must never be contacted."""
    server = Loopback(lambda path, s: (200, {"Content-Type": "application/json"}, b"[]"))
    yield server
    server.close()


@pytest.fixture
def redirector(elsewhere):
    """The configured forge, answering every request with a 302 to `elsewhere`."""
    server = Loopback(lambda path, s: (302, {"Location": elsewhere.url + path}, b""))
    yield server
    server.close()


@pytest.fixture
def forges_at(settings, tmp_path):
    def point(gitlab_url, github_url=None):
        settings.GITLAB_URL = gitlab_url
        settings.GITHUB_API_URL = github_url or gitlab_url
        settings.GITLAB_TOKEN = settings.GITHUB_TOKEN = "tok-for-the-forge"
        settings.FORGE_MAX_RETRIES = 0
        settings.GIT_CACHE_DIR = str(tmp_path / "cache")
        return settings

    return point


def _no_token_left_home(elsewhere):
    assert elsewhere.requests == [], f"contacted another host: {elsewhere.requests}"


# -- redirects -------------------------------------------------------------------------------


def test_gitlab_adapter_refuses_a_redirect_to_another_host(redirector, elsewhere):
    forge = GitLabForge(redirector.url, "tok-secret", max_retries=0)
    with pytest.raises(ForgeError):
        forge.get_project("group/name")
    with pytest.raises(ForgeError):
        forge.list_projects(user="alice", maintained_only=True)
    assert redirector.requests, "the configured forge was asked"
    _no_token_left_home(elsewhere)


def test_github_adapter_refuses_a_redirect_to_another_host(redirector, elsewhere):
    forge = GitHubForge(redirector.url, "tok-secret", max_retries=0, seconds_between_requests=None)
    with pytest.raises(Exception):  # noqa: B017 - refused in PyGithub or translated: either way
        forge.get_project("org/name")
    assert redirector.requests
    _no_token_left_home(elsewhere)


def test_git_does_not_follow_a_redirect(forges_at, redirector, elsewhere):
    forges_at(redirector.url)
    creds = git.GitCredentials("oauth2", "tok-secret")
    with pytest.raises(git.GitError):
        repos.ensure_mirror("redirect/one", f"{redirector.url}/group/name.git", creds)
    with pytest.raises(git.GitError):
        repos.ls_remote(f"{redirector.url}/group/name.git", creds)
    with pytest.raises(git.GitError):
        refcheck.advertised_refs(f"{redirector.url}/group/name.git", creds)
    assert redirector.requests
    _no_token_left_home(elsewhere)


def test_gitlab_pagination_link_to_another_host_is_not_followed(elsewhere):
    """The forge (or someone in between) names another host in the `Link: next` header."""

    def respond(path, server):
        if "page=2" in path:
            return 200, {"Content-Type": "application/json"}, b"[]"
        link = f'<{elsewhere.url}/api/v4/projects?page=2&per_page=100>; rel="next"'
        body = json.dumps([{"id": 1, "path_with_namespace": "g/a", "name": "a"}]).encode()
        return 200, {"Content-Type": "application/json", "Link": link}, body

    forge_server = Loopback(respond)
    try:
        forge = GitLabForge(forge_server.url, "tok-secret", max_retries=0)
        found = forge.list_projects()
        assert [p.path for p in found] == ["g/a"]
    finally:
        forge_server.close()
    _no_token_left_home(elsewhere)


# -- URLs from outside: project URLs, API fields, payloads ------------------------------------

HOSTILE_URLS = [
    "file:///etc/passwd",
    "file://{host}/group/name.git",
    "ext::sh -c touch% pwned",
    "ext::git-remote-http {url}/group/name.git",
    "ssh://-oProxyCommand=touch%20pwned/x",
    "ssh://-oProxyCommand=touch pwned@{host}/x",
    "ssh://git@{host}:22/group/name.git",
    "git+ssh://{host}/group/name.git",
    "{host}:group/name.git",
    "http://localhost:{port}/group/name.git",  # the same forge under another name
    "http://127.1:{port}/group/name.git",
    "http://2130706433:{port}/group/name.git",
    "http://0x7f.0.0.1:{port}/group/name.git",
    "http://[::1]:{port}/group/name.git",
    "http://127.0.0.2:{port}/group/name.git",
    "http://127.0.0.1:{other}/group/name.git",  # loopback, another port
    "http://10.0.0.5/group/name.git",
    "http://192.168.1.1:{port}/group/name.git",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:{port}@evil.example/group/name.git",
    "http://evil.example#@127.0.0.1:{port}/group/name.git",
]


def _fill(template: str, localforge) -> str:
    parts = urlsplit(localforge.gitlab_url)
    return template.format(
        host=parts.hostname, port=parts.port, url=localforge.gitlab_url, other=parts.port + 1
    )


@pytest.mark.parametrize(
    "url", ["http://github.com:443/o/r.git", "http://ghe.corp.example:443/o/r.git"]
)
def test_a_url_cannot_downgrade_an_https_forge_to_http(settings, url):
    """Same host and port as the configured https forge, but plain http: the token would
    cross the network in clear text to whoever answers."""
    settings.GITHUB_API_URL = "https://api.github.com"
    settings.GITLAB_URL = "https://ghe.corp.example/gitlab"
    with pytest.raises(git.DisallowedURL):
        git.validate_remote_url(url)
    assert git.validate_remote_url(url.replace("http://", "https://"))


@pytest.mark.parametrize("template", HOSTILE_URLS)
def test_git_entry_points_refuse_hostile_urls(template, localforge, forge_settings, tmp_path):
    url = _fill(template, localforge)
    with pytest.raises(git.DisallowedURL):
        repos.ensure_mirror("hostile/one", url, None)
    with pytest.raises(git.DisallowedURL):
        repos.ls_remote(url, None)
    with pytest.raises(git.DisallowedURL):
        refcheck.advertised_refs(url, None)
    assert not repos.mirror_path("hostile/one").exists()
    assert not (tmp_path / PWNED).exists()


def test_the_configured_forge_itself_is_allowed(localforge, forge_settings, gitlab_project):
    """The positive control: the same calls work on localforge's loopback address."""
    made = gitlab_project(files={"README.md": "hi\n"})
    creds = git.GitCredentials(made.owner, made.owner_token)
    refs = repos.ls_remote(made.http_url, creds)
    assert set(refs) == {"refs/heads/main"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "ref",
    [
        "http://localhost:{port}/group/name",
        "http://127.0.0.1:{other}/group/name",
        "http://10.0.0.5/group/name",
        "file:///srv/git/group/name",
        "ssh://-oProxyCommand=touch%20pwned/group/name",
        "https://gitlab.com/group/name",
        "--upload-pack=touch pwned",
        "../../etc/passwd",
    ],
)
def test_registration_refuses_urls_off_the_configured_gitlab(ref, localforge, forge_settings):
    with pytest.raises(registration.RegistrationError):
        registration.parse_gitlab_ref(_fill(ref, localforge))


@pytest.mark.django_db
def test_registration_refuses_a_clone_url_on_another_host(
    localforge, forge_settings, gitlab_project, settings
):
    """GitLab's API answers with `http_url_to_repo` on a host that is not the configured forge
    (here: the forge is configured as `localhost`, its answers name 127.0.0.1). Nothing is
    stored that git would later be pointed at."""
    from people.roles import RESEARCHER
    from projects.models import Project
    from tests.review.workflow_fixtures import make_user

    made = gitlab_project(files={"README.md": "hi\n"})
    port = urlsplit(localforge.gitlab_url).port
    settings.GITLAB_URL = f"http://localhost:{port}"
    user = make_user("maint", [RESEARCHER])
    from people.models import Identity

    Identity.objects.create(person=user.person, kind=Identity.Kind.GITLAB, value=made.owner)
    from people.services import team_ensure_path

    team = team_ensure_path(path="Lab/Team")
    with pytest.raises(registration.RegistrationError):
        registration.register(user=user, gitlab_ref=made.path, team=team, summary="s")
    assert not Project.objects.exists()


# -- `--upload-pack=touch pwned` and friends --------------------------------------------------


@pytest.fixture
def in_scratch(tmp_path, monkeypatch):
    """Run from an empty folder, and list every place a `touch pwned` could land."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    places = [cwd, Path(tempfile.gettempdir()), Path(git._neutral_home()), tmp_path]
    for place in places:
        (place / PWNED).unlink(missing_ok=True)
    yield places
    found = [str(p / PWNED) for p in places if (p / PWNED).exists()]
    cache = Path(tmp_path / "cache")
    if cache.exists():
        found += [str(p) for p in cache.rglob(PWNED)]
    assert not found, f"the attack ran: {found}"


def test_the_canary_works_against_bare_git(tmp_path, in_scratch):
    """Control: plain git, handed the same ref as an argument, does run the command; so the
    file checks below can fail."""
    bare = tmp_path / "victim.git"
    subprocess.run(["git", "init", "--bare", "--quiet", str(bare)], check=True)
    subprocess.run(["git", "ls-remote", ATTACK_REF, str(bare)], capture_output=True)
    created = Path.cwd() / PWNED
    assert created.exists()
    created.unlink()


@pytest.mark.django_db
def test_attack_ref_through_every_door(
    in_scratch, localforge, forge_settings, gitlab_project, settings
):
    from federation.forges.errors import PayloadError
    from federation.forges.payloads import (
        parse_github_pull_request,
        parse_github_push,
        parse_gitlab_merge_request,
        parse_gitlab_push,
    )

    made = gitlab_project(files={"README.md": "hi\n"})
    creds = git.GitCredentials(made.owner, made.owner_token)
    project = ProjectFactory(clone_url=made.http_url, key="attack1")
    repos.ensure_mirror(project.key, made.http_url, creds)

    # git itself, through the mirror cache
    with pytest.raises((git.DisallowedURL, git.InvalidRef, ValueError)):
        repos.ensure_mirror(project.key, ATTACK_REF, creds)
    with pytest.raises((git.DisallowedURL, git.InvalidRef)):
        repos.push(project.key, made.http_url, creds, [ATTACK_REF])
    with pytest.raises(git.InvalidRef):
        repos.push(project.key, made.http_url, creds, [f"{ATTACK_REF}:refs/heads/x"])
    with pytest.raises(git.InvalidRef):
        repos.push(project.key, made.http_url, creds, [f"refs/heads/main:{ATTACK_REF}"])
    with pytest.raises(ValueError):
        git.run([ATTACK_REF, made.http_url])
    # a public branch name recorded on the mirror
    mirror = Mirror(project=project, github_path="org/x", branch=ATTACK_REF, public_sha="a" * 40)
    with pytest.raises(git.InvalidRef):
        outbound.ensure_public_history(project, mirror, repos.mirror_path(project.key))
    # the public fork of a pull request
    fork = Mirror(github_path=ATTACK_REF, clone_url="")
    with pytest.raises((git.DisallowedURL, git.InvalidRef)):
        outbound.fetch_public(project, fork, ["+refs/heads/main:refs/osp/pull/1"])
    # webhook payloads naming the ref
    sha = "1" * 40
    for parse, body in (
        (parse_gitlab_push, {"object_kind": "push", "ref": f"refs/heads/{ATTACK_REF}",
                             "before": sha, "after": sha,
                             "project": {"path_with_namespace": "g/p"}}),
        (parse_github_push, {"ref": ATTACK_REF, "before": sha, "after": sha,
                             "repository": {"full_name": "o/r"}}),
        (parse_gitlab_merge_request, {"object_kind": "merge_request",
                                      "project": {"path_with_namespace": "g/p"},
                                      "object_attributes": {"id": 1, "iid": 1, "state": "opened",
                                                            "source_branch": ATTACK_REF,
                                                            "target_branch": "main"}}),
        (parse_github_pull_request, {"action": "opened", "repository": {"full_name": "o/r"},
                                     "pull_request": {"id": 1, "number": 1, "state": "open",
                                                      "head": {"ref": ATTACK_REF, "sha": sha},
                                                      "base": {"ref": "main"}}}),
    ):  # fmt: skip
        with pytest.raises(PayloadError):
            parse(body)
    # the mirror still works, and nothing ran
    assert set(repos.ls_remote(made.http_url, creds)) == {"refs/heads/main"}


@pytest.mark.django_db
def test_every_git_argv_ends_options_before_urls_and_paths(
    localforge, forge_settings, gitlab_project, monkeypatch
):
    """Spy on the argv of every git process the plumbing starts while it fetches, lists and
    pushes for real: a URL always comes after `--end-of-options` (or `--`), and so does any
    path given to `init`."""
    seen: list[list[str]] = []
    real = git._run

    def spy(argv, *args, **kwargs):
        seen.append(list(argv))
        return real(argv, *args, **kwargs)

    monkeypatch.setattr(git, "_run", spy)
    made = gitlab_project(files={"README.md": "hi\n"})
    creds = git.GitCredentials(made.owner, made.owner_token)
    repos.ensure_mirror("argv/one", made.http_url, creds)
    repos.ls_remote(made.http_url, creds)
    repos.push("argv/one", made.http_url, creds, ["refs/heads/main:refs/heads/copy"])
    network = [a for a in seen if any("://" in x for x in a)]
    assert len(network) >= 3, seen
    for argv in seen:
        for i, arg in enumerate(argv):
            if "://" in arg or (argv[1] == "init" and arg.startswith("/")):
                before = argv[:i]
                assert "--end-of-options" in before or "--" in before, argv


def test_an_inherited_environment_does_not_reach_git(monkeypatch, tmp_path, in_scratch):
    """GIT_SSH_COMMAND, GIT_PROXY_COMMAND, GIT_CONFIG_PARAMETERS... set in the worker's
    environment never reach git: a sneaky `core.sshCommand` or upload-pack stays unused."""
    for name in ("GIT_SSH_COMMAND", "GIT_PROXY_COMMAND", "GIT_EXEC_PATH_EXTRA", "GIT_SSH"):
        monkeypatch.setenv(name, f"touch {tmp_path / PWNED}")
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'remote.x.uploadpack'='touch {PWNED}'")
    env = git.git_env()
    assert not {k for k in env if k.startswith(("GIT_SSH", "GIT_PROXY", "GIT_CONFIG_PARAM"))}
    assert env["GIT_ALLOW_PROTOCOL"] == "http:https"


def test_environment_file_transport_is_off_even_for_local_paths(tmp_path, in_scratch):
    bare = tmp_path / "victim.git"
    subprocess.run(["git", "init", "--bare", "--quiet", str(bare)], check=True)
    with pytest.raises(git.GitError):
        git.run(["ls-remote", "--end-of-options", f"file://{bare}"])
    with pytest.raises(git.GitError):
        git.run(["ls-remote", "--end-of-options", f"ext::sh -c touch% {PWNED}"])


@pytest.mark.parametrize(
    "github_path",
    ["@evil.example/x", "evil.example:80/x", "../../../evil", "//evil.example/x", "x/y#@evil"],
)
def test_a_fork_path_from_a_payload_stays_on_the_configured_github(
    github_path, localforge, forge_settings
):
    """A pull request's `head.repo.full_name` becomes a fork URL on the configured GitHub:
    whatever it says, the URL is refused or still points at that host and port."""
    url = outbound.public_url(Mirror(github_path=github_path, clone_url=""))
    try:
        git.validate_remote_url(url)
    except git.DisallowedURL:
        return
    assert urlsplit(url).netloc == urlsplit(localforge.github_url).netloc
