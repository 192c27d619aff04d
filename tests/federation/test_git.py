"""federation.git and federation.gitrefs: validation, environment, errors, streaming, locks."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from federation import git, repos
from federation.gitrefs import git_host_for_api

from .conftest import make_commit, make_history, seed_mirror

# -- validate_ref --------------------------------------------------------------------------

VALID_REFS = ["main", "refs/heads/main", "feature/x-1", "v1.0.0", "a/-x", "HEAD", "a@b", "é/ü"]
INVALID_REFS = [
    "",
    "--upload-pack=touch pwned",
    "-x",
    "@",
    "a@{1}",
    "a..b",
    "a b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[",
    "a\\b",
    "a\x01",
    "a\x7f",
    "a\x00b",
    "/a",
    "a/",
    "a//b",
    "a.",
    ".a",
    "a/.b",
    "a.lock",
    "x.lock/y",
]


@pytest.mark.parametrize("name", VALID_REFS)
def test_validate_ref_accepts(name):
    assert git.validate_ref(name) == name


@pytest.mark.parametrize("name", INVALID_REFS)
def test_validate_ref_refuses(name):
    with pytest.raises(git.InvalidRef):
        git.validate_ref(name)


def test_validate_ref_onelevel():
    with pytest.raises(git.InvalidRef):
        git.validate_ref("main", allow_onelevel=False)
    assert git.validate_ref("heads/main", allow_onelevel=False)


def _git_accepts(name: str) -> bool:
    proc = subprocess.run(
        ["git", "check-ref-format", "--allow-onelevel", name], capture_output=True, check=False
    )
    assert proc.returncode in (0, 1), proc.stderr
    return proc.returncode == 0


_PIECES = ["a", "b", "/", ".", "..", ".lock", "@", "{", "}", "-", "*", " ", "~", "^", ":"]
_PIECES += ["?", "[", "\\", "\x01", "\x7f", "é", "refs", "heads"]


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), min_size=1, max_size=8).map("".join))
@example("refs/heads/x.lock")
@example("a/@")
@example("@a")
def test_validate_ref_agrees_with_git(name):
    if name.startswith("-"):  # git would read it as an option; we always refuse it
        with pytest.raises(git.InvalidRef):
            git.validate_ref(name)
        return
    try:
        git.validate_ref(name)
        ours = True
    except git.InvalidRef:
        ours = False
    assert ours == _git_accepts(name), name


@given(st.text(max_size=30))
def test_validate_ref_only_raises_invalidref(name):
    try:
        git.validate_ref(name)
    except git.InvalidRef:
        return
    assert not name.startswith("-") and ".." not in name and "@{" not in name


# -- validate_sha / validate_refspec --------------------------------------------------------


def test_validate_sha():
    assert git.validate_sha("A" * 40) == "a" * 40
    assert git.validate_sha("b" * 64) == "b" * 64
    for bad in ["", "a" * 39, "a" * 41, "g" * 40, "abc", "-" + "a" * 39, None, "a" * 40 + "\n"]:
        with pytest.raises(git.InvalidSha):
            git.validate_sha(bad)


@pytest.mark.parametrize(
    "spec",
    ["refs/heads/main:refs/heads/main", "+refs/heads/*:refs/heads/*", "a" * 40 + ":refs/heads/x"],
)
def test_validate_refspec_accepts(spec):
    assert git.validate_refspec(spec) == spec


@pytest.mark.parametrize(
    "spec",
    [
        "--upload-pack=touch pwned",
        "--receive-pack=x:refs/heads/x",
        "main",
        "main:main",
        "refs/heads/*:refs/heads/x",
        "-x:refs/heads/x",
        "a..b:refs/heads/x",
        "refs/heads/a:refs/heads/b c",
    ],
)
def test_validate_refspec_refuses(spec):
    with pytest.raises(git.InvalidRef):
        git.validate_refspec(spec)


# -- validate_remote_url -------------------------------------------------------------------


@pytest.fixture
def example_forges(settings):
    settings.GITLAB_URL = "https://git.institute.example/gitlab"
    settings.GITHUB_API_URL = "https://api.github.com"
    return settings


@pytest.mark.parametrize(
    "url",
    [
        "https://git.institute.example/gitlab/group/project.git",
        "https://git.institute.example:443/gitlab/group/sub/project.git",
        "https://github.com/institute-oss/repo.git",
        "https://GitHub.com/institute-oss/repo",
    ],
)
def test_remote_url_allowed(example_forges, url):
    assert git.validate_remote_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "/srv/git/repo.git",
        "ext::sh -c touch% /tmp/pwned",
        "ext::sh",
        "fd::17",
        "ssh://git@github.com/o/r.git",
        "git@github.com:o/r.git",
        "git://github.com/o/r.git",
        "https://user:token@github.com/o/r.git",
        "https://token@github.com/o/r.git",
        "https://evil.example/o/r.git",
        "https://github.com.evil.example/o/r.git",
        "https://github.com:8443/o/r.git",
        "http://github.com/o/r.git",
        "https://api.github.com/repos/o/r",
        "https://github.com/o/r.git?x=1",
        "https://github.com/o/r.git#frag",
        "https://github.com/o r.git",
        "https://github.com/o/r\n.git",
        "-uhttps://github.com/o/r.git",
        "--upload-pack=touch pwned",
        "",
        "https://",
        "https://github.com:notaport/x",
        "https://github.com\\@evil.example/o/r.git",
        "https://evil.example\\.github.com/o/r.git",
    ],
)
def test_remote_url_refused(example_forges, url):
    with pytest.raises(git.DisallowedURL):
        git.validate_remote_url(url)


_URL_PIECES = ["https://", "http://", "file://", "ext::", "ssh://", "git@", "github.com", ":443"]
_URL_PIECES += [":8443", "/", "o/r.git", "@", "?", "#", " ", "\n", "-", "evil.example", "::", "%40"]


@given(st.lists(st.sampled_from(_URL_PIECES), max_size=8).map("".join) | st.text(max_size=40))
def test_remote_url_property(url):
    """Whatever comes in, what passes is plain http(s) on an allowed host:port, no userinfo."""
    allowed = {"github.com:443"}
    try:
        git.validate_remote_url(url, allowed_hosts=allowed)
    except git.DisallowedURL:
        return
    parts = urlsplit(url)
    assert parts.scheme in ("http", "https")
    assert f"{parts.hostname}:{parts.port or 443}" in allowed and parts.scheme == "https"
    assert "@" not in parts.netloc and not parts.query and not parts.fragment
    assert not any(c.isspace() for c in url) and not url.startswith("-")


def test_git_host_for_api():
    assert git_host_for_api("https://api.github.com") == "github.com:443"
    assert git_host_for_api("https://ghe.corp.example/api/v3") == "ghe.corp.example:443"
    assert git_host_for_api("http://127.0.0.1:8930") == "127.0.0.1:8930"
    assert git_host_for_api("https://host.example/gitlab") == "host.example:443"


def test_github_enterprise_url(settings):
    settings.GITHUB_API_URL = "https://ghe.corp.example/api/v3"
    assert git.validate_remote_url("https://ghe.corp.example/org/repo.git")
    with pytest.raises(git.DisallowedURL):
        git.validate_remote_url("https://github.com/org/repo.git")


# -- environment and scrubbing -------------------------------------------------------------


def test_env_is_sealed_and_carries_credentials(monkeypatch):
    monkeypatch.setenv("GIT_DIR", "/tmp/elsewhere")
    monkeypatch.setenv("GIT_SSH_COMMAND", "touch /tmp/pwned")
    monkeypatch.setenv("SECRET_THING", "x")
    env = git.git_env(git.GitCredentials("oauth2", "tok-123"))
    assert env["GIT_TERMINAL_PROMPT"] == "0"
    assert env["GIT_ASKPASS"] == ""
    assert env["LC_ALL"] == "C"
    assert env["GIT_CONFIG_NOSYSTEM"] == "1"
    assert env["GIT_CONFIG_GLOBAL"] == "/dev/null"
    assert env["GIT_ALLOW_PROTOCOL"] == "http:https"
    assert not {"GIT_DIR", "GIT_SSH_COMMAND", "SECRET_THING"} & set(env)
    pairs = {
        env[f"GIT_CONFIG_KEY_{i}"]: env[f"GIT_CONFIG_VALUE_{i}"]
        for i in range(int(env["GIT_CONFIG_COUNT"]))
    }
    assert pairs["http.extraHeader"] == "Authorization: Basic b2F1dGgyOnRvay0xMjM="
    assert pairs["credential.helper"] == ""
    assert "tok-123" not in repr(git.GitCredentials("oauth2", "tok-123"))


def test_env_extra_is_allowlisted():
    with pytest.raises(ValueError):
        git.git_env(extra={"GIT_SSH_COMMAND": "x"})
    with pytest.raises(ValueError):
        git.run(["version"], env={"LD_PRELOAD": "x"})


def test_scrub():
    creds = git.GitCredentials("oauth2", "s3cret")
    text = (
        "fatal: https://oauth2:s3cret@host/x Authorization: Basic b2F1dGgyOnMzY3JldA== s3cret "
        "b2F1dGgyOnMzY3JldA=="
    )
    out = git.scrub(text, creds)
    assert "s3cret" not in out and "b2F1dGgyOnMzY3JldA==" not in out


def test_file_transport_is_disabled(tmp_path, bare_repo):
    with pytest.raises(git.GitError) as exc:
        git.run(["ls-remote", "--end-of-options", str(bare_repo)])
    assert "not allowed" in exc.value.stderr


def test_argv_must_start_with_subcommand():
    with pytest.raises(ValueError):
        git.run(["--upload-pack=touch pwned", "ls-remote"])
    with pytest.raises(ValueError):
        git.run(["log", "a\x00b"])
    with pytest.raises(TypeError):
        git.run([])


# -- typed errors, timeout -----------------------------------------------------------------


def test_ref_not_found(bare_repo):
    make_commit(bare_repo, {"a": b"1"})
    with pytest.raises(git.RefNotFound):
        git.run(
            ["rev-parse", "--verify", "--end-of-options", "refs/heads/nope^{commit}"],
            repo=bare_repo,
        )


def test_not_a_repository(tmp_path):
    with pytest.raises(git.GitNotFound):
        git.run(["log"], repo=tmp_path / "missing.git")


def test_check_false_returns_result(bare_repo):
    result = git.run(["rev-parse", "--verify", "--quiet", "nope"], repo=bare_repo, check=False)
    assert result.returncode != 0
    with pytest.raises(git.GitError):
        result.check()


def test_timeout_kills_git():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    try:
        started = time.monotonic()
        with pytest.raises(git.GitTimeout):
            git.run(
                ["ls-remote", "--end-of-options", f"http://127.0.0.1:{port}/x.git"], timeout=0.5
            )
        assert time.monotonic() - started < 5
    finally:
        server.close()


def test_timeout_must_be_positive():
    with pytest.raises(ValueError):
        git.run(["version"], timeout=0)


# -- streaming -----------------------------------------------------------------------------


def test_stream_yields_lines(bare_repo):
    head = make_history(bare_repo, 30)
    lines = list(git.stream(["log", "--format=%H", "--end-of-options", head], repo=bare_repo))
    assert len(lines) == 30 and lines[0].strip().decode() == head


def test_stream_early_close_kills_git(bare_repo):
    head = make_history(bare_repo, 30)
    gen = git.stream(["log", "--format=%H", "--end-of-options", head], repo=bare_repo)
    first = next(gen)
    gen.close()
    assert first.strip().decode() == head


def test_stream_raises_typed_error(bare_repo):
    make_commit(bare_repo, {"a": b"1"})
    with pytest.raises(git.RefNotFound):
        list(git.stream(["log", "--end-of-options", "nope"], repo=bare_repo))


def test_stream_refuses_writes(bare_repo):
    with pytest.raises(ValueError):
        git.stream(["gc"], repo=bare_repo)


def test_stream_timeout(bare_repo):
    head = make_history(bare_repo, 5)
    gen = git.stream(["log", "--end-of-options", head], repo=bare_repo, timeout=0.3)
    next(gen)
    time.sleep(0.6)
    with pytest.raises(git.GitTimeout):
        list(gen)


# -- locks ---------------------------------------------------------------------------------


def test_lock_blocks_other_threads_not_other_repos(git_cache):
    holding = threading.Event()
    release = threading.Event()

    def hold():
        with repos.lock("gitlab/1"):
            holding.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert holding.wait(5)
        with pytest.raises(git.RepoLocked), repos.lock("gitlab/1", timeout=0.2):
            pass
        with repos.lock("gitlab/2", timeout=0.2):
            pass
    finally:
        release.set()
        t.join()
    with repos.lock("gitlab/1", timeout=0.2), repos.lock("gitlab/1", timeout=0.2):
        pass  # re-entrant within a thread


def test_lock_excludes_other_processes(git_cache, bare_repo):
    lock_file = git._lock_path(bare_repo.resolve())
    code = (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({str(lock_file)!r}, os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "time.sleep(3)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "locked"
        with pytest.raises(git.RepoLocked), git.repo_lock(bare_repo, timeout=0.2):
            pass
        # a read does not need the lock; a write does
        git.run(["for-each-ref"], repo=bare_repo)
        started = time.monotonic()
        with pytest.raises(git.RepoLocked):
            _locked_write(bare_repo)
        assert time.monotonic() - started < 2
    finally:
        child.kill()
        child.wait()


def _locked_write(repo):
    from django.test import override_settings

    with override_settings(GIT_LOCK_TIMEOUT=0.2):
        git.run(["config", "core.x", "1"], repo=repo)


# -- repos: key validation and local-only checks ----------------------------------------------


def test_mirror_path(git_cache):
    assert repos.mirror_path("gitlab/42") == git_cache / "gitlab" / "42.git"
    for bad in ["", "../x", "a/../b", ".hidden", "-x", "a//b", "a/b/", "a b", None]:
        with pytest.raises(ValueError):
            repos.mirror_path(bad)


def test_push_and_fetch_refuse_bad_input(git_cache, settings):
    settings.GITHUB_API_URL = "https://api.github.com"
    with pytest.raises(git.DisallowedURL):
        repos.ensure_mirror("gitlab/1", "file:///etc", None)
    with pytest.raises(git.DisallowedURL):
        repos.push("gitlab/1", "ext::sh -c id", None, ["refs/heads/main:refs/heads/main"])
    with pytest.raises(git.InvalidRef):
        repos.push("gitlab/1", "https://github.com/o/r.git", None, ["--upload-pack=touch pwned"])
    assert not (git_cache / "gitlab").exists()


def test_gc_and_list_refs_local(git_cache):
    path = repos.mirror_path("local/one")
    repos._init(path)
    head = make_history(path, 3)
    assert repos.list_refs("local/one") == {"refs/heads/main": head}
    repos.gc("local/one")
    assert repos.list_refs("local/one") == {"refs/heads/main": head}


# -- over localforge HTTP --------------------------------------------------------------------


def _descendants(root: int) -> dict[int, bytes]:
    """{pid: cmdline} of every live descendant of `root`, read from /proc."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    stat = f.read()
                parents[int(entry)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                continue
    found, frontier = {}, {root}
    while frontier:
        children = {pid for pid, ppid in parents.items() if ppid in frontier} - set(found)
        for pid in children:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    found[pid] = f.read()
            except OSError:
                found[pid] = b""
        frontier = children
    return found


@pytest.fixture
def gitlab_project(localforge, forge_settings):
    from federation.forges.gitlab import GitLabForge

    forge = GitLabForge(localforge.gitlab_url, localforge.token)
    group = localforge.create_group(localforge.unique("gitgrp"))["full_path"]
    project = forge.create_project(group, localforge.unique("gitproj"))
    return forge.clone_info(project.id)


def test_fetch_and_push_between_bare_repos_over_http(gitlab_project, git_cache):
    clone = gitlab_project
    src, head = seed_mirror("local/source", 5, tags=["v1"])
    repos.push(
        "local/source", clone.url, clone, ["refs/heads/*:refs/heads/*", "refs/tags/*:refs/tags/*"]
    )
    update = repos.ensure_mirror("remote/copy", clone.url, clone)
    assert update.new == repos.list_refs(src) == {"refs/heads/main": head, "refs/tags/v1": head}
    assert git.run(["symbolic-ref", "HEAD"], repo=update.path).text.strip() == "refs/heads/main"
    # a branch deleted upstream is pruned from the mirror
    repos.push("local/source", clone.url, clone, [f"{head}:refs/heads/tmp"])
    assert "refs/heads/tmp" in repos.ensure_mirror("remote/copy", clone.url, clone).new
    repos.push("local/source", clone.url, clone, [":refs/heads/tmp"])
    pruned = repos.ensure_mirror("remote/copy", clone.url, clone)
    assert [(c.ref, c.new) for c in pruned.changes] == [("refs/heads/tmp", None)]


def test_token_never_in_a_git_command_line(gitlab_project, git_cache):
    clone = gitlab_project
    path = repos.mirror_path("local/big")
    repos._init(path)
    blob = os.urandom(6 * 1024 * 1024)
    make_commit(path, {"big.bin": blob})
    repos.push("local/big", clone.url, clone, ["refs/heads/main:refs/heads/main"])
    secrets = [clone.token.encode(), git._auth_header(clone).split()[-1].encode()]

    seen: dict[int, bytes] = {}
    for attempt in range(5):
        done = threading.Event()
        errors = []

        def fetch(key=f"remote/big{attempt}", done=done, errors=errors):
            try:
                repos.ensure_mirror(key, clone.url, clone)
            except Exception as exc:  # surfaced below
                errors.append(exc)
            finally:
                done.set()

        worker = threading.Thread(target=fetch)
        worker.start()
        while not done.is_set():
            seen.update(_descendants(os.getpid()))
        worker.join()
        assert not errors
        if any(b"fetch" in c or b"remote-http" in c for c in seen.values()):
            break
    clients = [c for c in seen.values() if b"fetch" in c or b"remote-http" in c]
    assert clients, "never caught a git child process running"
    for cmdline in seen.values():
        for secret in secrets:
            assert secret not in cmdline


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are a Linux feature")
def test_streamed_output_gets_a_wide_pipe():
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as stream:
        os.close(write_end)
        before = fcntl.fcntl(stream.fileno(), fcntl.F_GETPIPE_SZ)
        git._widen_pipe(stream)
        assert before < git.PIPE_SIZE == fcntl.fcntl(stream.fileno(), fcntl.F_GETPIPE_SZ)
