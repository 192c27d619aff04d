"""The federation test kit: a GitLab project on localforge, its registry row, people, an
approval, and helpers to push, publish, sync, and replay the forges' webhook deliveries through
the real endpoints. Other test modules import the fixtures from here:

    from tests.federation.test_publish_kit import fed, fed_settings  # noqa: F401
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import timezone

from federation import repos
from federation.models import Mirror, PublishRules, SyncRun
from people.models import Identity
from people.services import team_ensure_path
from review.models import Disclosure
from tests.factories import PersonFactory, ProjectFactory
from tests.localforge.helpers import git, head
from tests.review.screening_helpers import clean_files

SECRET = "gh-hook-secret-for-tests"


def _publish_task():
    from federation.tasks import publish_disclosure

    return publish_disclosure._get_current_object()  # the task itself, not the name's proxy


PUBLISH_TASK = _publish_task()  # taken at collection, before any test can unregister it
ALICE = ("Alice Kim", "alice@institute.example")
OUTSIDER = ("Olga Outside", "olga@example.net")
FILES = {
    **clean_files(),
    "internal/notes.md": "Internal only: the cluster is gpu01.\n",
    ".gitlab-ci.yml": "test:\n  script: make test\n",
}


@pytest.fixture
def fed_settings(forge_settings, localforge, settings):
    # Review's approval finds the publish task by name in the app's registry; a test elsewhere
    # that registers a stand-in under that name may have popped ours.
    from celery import current_app

    if current_app.tasks.get(PUBLISH_TASK.name) is not PUBLISH_TASK:
        current_app.tasks.register(PUBLISH_TASK)
    org = localforge.unique("org")
    localforge.create_org(org)
    settings.GITHUB_ORG = org
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.SERVICE_URL = "http://testserver"
    settings.GITHUB_SECONDS_BETWEEN_REQUESTS = 0
    settings.GITHUB_SECONDS_BETWEEN_WRITES = 0
    settings.NOREPLY_DOMAIN = "users.noreply.institute.example"
    settings.RELEASE_IDENTITY = "Institute OSPO <ospo@institute.example>"
    settings.FORGE_MAX_RETRY_WAIT = 2
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return settings


@dataclass
class Fed:
    localforge: object
    settings: object
    glp: object
    project: object
    work: Path
    tmp: Path
    disclosures: list = field(default_factory=list)

    # -- GitLab side ---------------------------------------------------------------------

    def commit(self, files=None, *, delete=(), message="change", author=ALICE, push=True) -> str:
        for name, content in (files or {}).items():
            path = self.work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        for name in delete:
            git("rm", "-q", "-r", "--", name, cwd=self.work)
        git("add", "-A", cwd=self.work)
        env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
               "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]}  # fmt: skip
        git("commit", "-q", "--allow-empty", "-m", message, cwd=self.work, env=env)
        if push:
            self.push()
        return head(self.work)

    def mirror_head(self) -> str:
        """The tip of the work repository (what GitLab's main has)."""
        return head(self.work)

    def push(self, *, force=False, ref="main", rev="HEAD"):
        args = ["push", "-q"] + (["--force"] if force else [])
        git(*args, self.glp.http_url, f"{rev}:refs/heads/{ref}", cwd=self.work,
            header=self.glp.header)  # fmt: skip

    def glp_unprotect(self) -> None:
        """localforge protects only GitLab's default branch: make another one the default, so
        `main` (the project's branch for us) can be force-pushed like on a real GitLab."""
        import gitlab

        git("push", "-q", self.glp.http_url, "HEAD:refs/heads/protected-default", cwd=self.work,
            header=self.glp.header)  # fmt: skip
        gl = gitlab.Gitlab(self.localforge.gitlab_url, private_token=self.localforge.token)
        gl.projects.update(self.glp.id, {"default_branch": "protected-default"})

    def tag(self, name: str, rev: str = "HEAD") -> None:
        git("tag", name, rev, cwd=self.work)
        git("push", "-q", self.glp.http_url, f"refs/tags/{name}", cwd=self.work,
            header=self.glp.header)  # fmt: skip

    # -- review side (test data) ---------------------------------------------------------

    def approve(self, sha: str, *, mode="full_history", target_repo=None) -> Disclosure:
        Disclosure.objects.filter(project=self.project, state="released").update(state="archived")
        d = Disclosure.objects.create(
            project=self.project,
            state=Disclosure.State.APPROVED,
            sha=sha,
            approved_sha=sha,
            approved_at=timezone.now(),
            mode=mode,
            outbound_license="Apache-2.0",
            target_repo=target_repo or self.project.name,
        )
        self.disclosures.append(d)
        return d

    def publish(self, d: Disclosure):
        from federation.tasks import publish_disclosure

        publish_disclosure.delay(d.pk)
        return Mirror.objects.get(project=self.project)

    def release(self, sha=None, **kw) -> Mirror:
        return self.publish(self.approve(sha or head(self.work), **kw))

    def sync(self, trigger="push") -> SyncRun:
        from federation.tasks import sync_project

        sync_project.delay(self.project.pk, trigger=trigger)
        return SyncRun.objects.filter(project=self.project).order_by("-pk").first()

    # -- GitHub side -----------------------------------------------------------------------

    @property
    def mirror(self) -> Mirror:
        return Mirror.objects.get(project=self.project)

    def github(self):
        from federation.publish import github

        return github()

    def org_repos(self) -> list[str]:
        org = self.settings.GITHUB_ORG
        response = self.localforge.session.get(
            f"{self.localforge.github_url}/orgs/{org}/repos",
            headers={"Authorization": f"token {self.localforge.token}"},
        )
        response.raise_for_status()
        return sorted(r["full_name"] for r in response.json())

    def public_refs(self) -> dict[str, str]:
        from federation import outbound

        return outbound.ls_public(self.mirror)

    def public_clone(self) -> Path:
        """A fresh clone of the public repository, fetched from GitHub (not from our cache)."""
        dest = self.tmp / f"public-{secrets.token_hex(4)}"
        header = self.localforge.git_auth_header(self.localforge.token)
        git("clone", "-q", "--mirror", self.mirror.clone_url, str(dest), header=header)
        return dest

    def github_clone(self, url=None, token=None) -> Path:
        """A working clone of a GitHub repository (the mirror by default), as `token`."""
        dest = self.tmp / f"gh-work-{secrets.token_hex(4)}"
        header = self.localforge.git_auth_header(token or self.localforge.token)
        git("clone", "-q", url or self.mirror.clone_url, str(dest), header=header)
        return dest

    def github_commit(self, work: Path, files, message, *, branch="main", author=OUTSIDER,
                      token=None, url=None) -> str:  # fmt: skip
        """Commit in a GitHub working clone and push `branch` (directly, like an outsider)."""
        if git("rev-parse", "--abbrev-ref", "HEAD", cwd=work).stdout.strip() != branch:
            git("checkout", "-q", "-B", branch, cwd=work)
        for name, content in files.items():
            (work / name).parent.mkdir(parents=True, exist_ok=True)
            (work / name).write_text(content)
        git("add", "-A", cwd=work)
        env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
               "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1]}  # fmt: skip
        git("commit", "-q", "-m", message, cwd=work, env=env)
        header = self.localforge.git_auth_header(token or self.localforge.token)
        git("push", "-q", url or self.mirror.clone_url, f"HEAD:refs/heads/{branch}", cwd=work,
            header=header)  # fmt: skip
        return head(work)

    def github_api(self, method, path, token=None, **json_body):
        response = self.localforge.session.request(
            method,
            f"{self.localforge.github_url}{path}",
            headers={"Authorization": f"token {token or self.localforge.token}"},
            json=json_body or None,
        )
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    def open_pr(self, head_ref, title, *, token=None, body="Please merge") -> int:
        path = self.mirror.github_path
        pr = self.github_api("POST", f"/repos/{path}/pulls", token=token, title=title,
                             head=head_ref, base=self.mirror.branch, body=body)  # fmt: skip
        return pr["number"]

    def public_files(self, rev=None) -> set[str]:
        clone = self.public_clone()
        rev = rev or f"refs/heads/{self.mirror.branch}"
        out = git("ls-tree", "-r", "--name-only", rev, cwd=clone).stdout
        return set(out.split("\n")) - {""}

    def public_log(self, fmt="%H %ae%n%B%x00") -> list[str]:
        clone = self.public_clone()
        out = git("log", f"--format={fmt}", f"refs/heads/{self.mirror.branch}", cwd=clone)
        return [x.strip() for x in out.stdout.split("\0") if x.strip()]

    def mirror_git(self, *args) -> str:
        path = repos.mirror_path(self.project.key)
        return subprocess.run(
            ["git", f"--git-dir={path}", *args], capture_output=True, text=True, check=True
        ).stdout.strip()

    # -- webhooks replayed through the endpoints ---------------------------------------------

    def gitlab_deliveries(self, event: str) -> list[dict]:
        return [
            d
            for d in self.localforge.deliveries("gitlab", event=event)
            if (d.get("payload") or {}).get("project", {}).get("id") == self.glp.id
        ]

    def deliver_gitlab(self, client, delivery: dict):
        headers = delivery["request_headers"]
        return client.post(
            f"/hooks/gitlab/{self.project.key}/",
            data=json.dumps(delivery["payload"]).encode(),
            content_type="application/json",
            HTTP_X_GITLAB_EVENT=headers.get("X-Gitlab-Event", ""),
            HTTP_X_GITLAB_EVENT_UUID=headers.get("X-Gitlab-Event-UUID", delivery["guid"]),
            HTTP_X_GITLAB_TOKEN=self.project.hook_secret,
        )

    def wait_gitlab(self, event: str, predicate=lambda d: True, timeout=10) -> dict:
        return _wait(lambda: [d for d in self.gitlab_deliveries(event) if predicate(d)], timeout)

    def github_deliveries(self, event: str) -> list[dict]:
        path = self.mirror.github_path
        return [
            d
            for d in self.localforge.deliveries("github", event=event)
            if (d.get("payload") or {}).get("repository", {}).get("full_name") == path
        ]

    def wait_github(self, event: str, predicate=lambda d: True, timeout=10) -> dict:
        return _wait(lambda: [d for d in self.github_deliveries(event) if predicate(d)], timeout)

    def deliver_github(self, client, delivery: dict):
        body = json.dumps(delivery["payload"]).encode()
        return post_github(client, body, delivery["event"], delivery["guid"])


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post_github(client, body: bytes, event: str, delivery_id: str, *, signature=None):
    headers = {"HTTP_X_GITHUB_EVENT": event, "HTTP_X_GITHUB_DELIVERY": delivery_id}
    signature = sign(body) if signature is None else signature
    if signature:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post("/hooks/github/", data=body, content_type="application/json", **headers)


def _wait(found, timeout):
    deadline = time.monotonic() + timeout
    while True:
        items = found()
        if items:
            return items[-1]
        if time.monotonic() > deadline:
            raise AssertionError("no such webhook delivery")
        time.sleep(0.05)


@pytest.fixture
def fed(fed_settings, localforge, gitlab_project, tmp_path):
    """A registered GitLab project with FILES committed by Alice (a known person whose public
    address is her noreply one), not released yet."""
    name = localforge.unique("alice")
    _, token = localforge.create_user(name, email=ALICE[1])
    glp = gitlab_project(owner=(name, token), files={"README.md": "# Demo\n"})
    team = team_ensure_path(path="AI/Vision")
    project = ProjectFactory(
        gitlab_id=glp.id,
        path=glp.path,
        name=glp.path.rpartition("/")[2],
        web_url=glp.web_url,
        clone_url=glp.http_url,
        default_branch="main",
        key=f"k{secrets.token_hex(8)}",
        owner=team,
        topics=["Vision", "object detection"],
        summary="A detector for small things",
    )
    person = PersonFactory(name=ALICE[0], email=ALICE[1])
    Identity.objects.create(person=person, kind="email", value=ALICE[1])
    Identity.objects.create(person=person, kind="github", value="alice-gh")
    PublishRules.objects.create(project=project, tag_pattern="v*")
    from federation import pipeline

    pipeline.hooks_install(project=project)
    f = Fed(localforge, fed_settings, glp, project, glp.work, tmp_path)
    f.commit(FILES, message="Import the demo tool")
    return f


# -- the kit's own checks --------------------------------------------------------------------

pytestmark = pytest.mark.django_db(transaction=True)


def test_kit_pushes_to_gitlab_and_replays_the_push_hook(fed, client, monkeypatch):
    sha = fed.commit({"src/demo/extra.py": "X = 1\n"}, message="Add extra")
    delivery = fed.wait_gitlab("Push Hook", lambda d: d["payload"]["after"] == sha)
    queued = []
    from federation import tasks

    monkeypatch.setattr(tasks.sync_project, "delay", lambda *a, **k: queued.append(a))
    response = fed.deliver_gitlab(client, delivery)
    assert response.status_code == 202
    assert queued == [(fed.project.pk,)]
