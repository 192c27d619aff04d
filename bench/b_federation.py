"""Federation: publishing a long history (against a plain `git push` of the same refs), the
latency from a GitLab push webhook to GitHub (real Celery worker), and a no-op reconcile of
many released projects. Every forge is a localforge started for the run (both sides, HTTP)."""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench._fastimport import git_env
from bench.registry import BenchContext, benchmark, percentile

TOKEN = f"bench-{secrets.token_hex(12)}"
_FORGE: dict = {}


# -- a localforge for the run ------------------------------------------------------------------


class Forge:
    def __init__(self, data: Path):
        import requests

        env = dict(os.environ, LOCALFORGE_TOKEN=TOKEN)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "localforge", "--data", str(data), "--host", "127.0.0.1",
             "--gitlab-port", "0", "--github-port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
            cwd=Path(__file__).resolve().parents[1],
        )  # fmt: skip
        info = json.loads(self.proc.stdout.readline())
        self.gitlab_url, self.github_url = info["gitlab_url"], info["github_url"]
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.headers["Authorization"] = f"Bearer {TOKEN}"
        atexit.register(self.stop)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def call(self, side: str, method: str, route: str, /, **body):
        base = self.gitlab_url if side == "gitlab" else self.github_url
        r = self.http.request(method, base + route, json=body or None, timeout=60)
        if r.status_code >= 300:
            raise RuntimeError(f"{method} {route}: {r.status_code} {r.text[:200]}")
        return r.json() if r.content else None

    def org(self, login: str) -> str:
        self.call("github", "POST", "/-/localforge/orgs", login=login, admins=[], members=[])
        return login

    def gitlab_project(self, group: str, name: str, *, readme: bool = False) -> dict:
        grp = self._groups.get(group)
        if grp is None:
            grp = self._groups[group] = self.call(
                "gitlab", "POST", "/api/v4/groups", name=group, path=group
            )
        return self.call("gitlab", "POST", "/api/v4/projects", name=name, path=name,
                         namespace_id=grp["id"], initialize_with_readme=readme)  # fmt: skip

    _groups: dict = {}

    def header(self) -> str:
        import base64

        return "Authorization: Basic " + base64.b64encode(f"x:{TOKEN}".encode()).decode()

    def git(self, *args, cwd=None, check=True):
        return subprocess.run(["git", "-c", f"http.extraHeader={self.header()}", *args], cwd=cwd,
                              env=git_env(), capture_output=True, check=check)  # fmt: skip


def forge(ctx: BenchContext) -> Forge:
    if "forge" not in _FORGE:
        _FORGE["forge"] = Forge(ctx.scratch_dir / "localforge")
    return _FORGE["forge"]


def configure(ctx: BenchContext, f: Forge, org: str) -> None:
    from django.conf import settings

    settings.GITLAB_URL, settings.GITLAB_TOKEN = f.gitlab_url, TOKEN
    settings.GITHUB_API_URL, settings.GITHUB_TOKEN = f.github_url, TOKEN
    settings.GITHUB_ORG = org
    settings.GIT_CACHE_DIR = str(ctx.scratch_dir / "git-cache")
    settings.GITHUB_SECONDS_BETWEEN_REQUESTS = settings.GITHUB_SECONDS_BETWEEN_WRITES = 0
    settings.GITHUB_WEBHOOK_SECRET = secrets.token_hex(16)
    settings.SERVICE_URL = "http://127.0.0.1:9"  # deliveries fail fast; the bench replays them


def released_project(name: str, glp: dict, key: str):
    from federation.models import PublishRules
    from projects.models import Project

    project = Project.objects.create(
        gitlab_id=glp["id"], path=glp["path_with_namespace"], name=name, web_url=glp["web_url"],
        clone_url=glp["http_url_to_repo"], created_on="2024-01-01", summary=f"bench {name}",
        key=key,
    )  # fmt: skip
    PublishRules.objects.create(project=project)
    return project


def approve(project, sha: str, target: str):
    from django.utils import timezone

    from review.models import Disclosure

    return Disclosure.objects.create(
        project=project, state="approved", sha=sha, approved_sha=sha, approved_at=timezone.now(),
        mode="full_history", outbound_license="Apache-2.0", target_repo=target,
    )  # fmt: skip


# -- publish_ratio -------------------------------------------------------------------------------


@benchmark(
    "publish_ratio",
    unit="s",
    target="ratio <= 1.2",
    needs=("db", "git"),
    description="Publish a generated history to localforge's GitHub vs git push of the same refs",
)
def publish_ratio(ctx: BenchContext):
    from federation import pipeline, repos
    from federation.models import CommitMap, Mirror, SyncRun
    from federation.publish import disclosure_publish
    from people.services import org_import
    from review.models import Disclosure

    commits = ctx.size(full=20_000, quick=2_000)
    h = ctx.history(commits, authors=ctx.size(120, 40), teams=ctx.size(10, 6))
    f = forge(ctx)
    org = f.org(f"pub{secrets.token_hex(3)}")
    configure(ctx, f, org)
    org_import(text=Path(h.org_csv).read_text(encoding="utf-8"), create_teams=True)
    glp = f.gitlab_project(f"g{secrets.token_hex(3)}", "history")
    f.git("push", "-q", glp["http_url_to_repo"], "refs/heads/main:refs/heads/main",
          cwd=h.repo_path)  # fmt: skip
    project = released_project("history", glp, f"kpub{secrets.token_hex(6)}")
    template = ctx.scratch_dir / "publish-template.git"
    pipeline.fetch(project=project)  # the mirror the registration's first sync would have made
    shutil.copytree(repos.mirror_path(project.key), template)
    tip = h.head_sha
    in_range = int(f.git("rev-list", "--count", tip, cwd=h.repo_path).stdout)

    def fresh_mirror():
        path = repos.mirror_path(project.key)
        shutil.rmtree(path)
        shutil.copytree(template, path)

    ours, base, counts, stages = [], [], [], []
    for i in range(ctx.size(3, 3)):
        fresh_mirror()  # untimed: the same starting point every time
        Mirror.objects.filter(project=project).delete()
        CommitMap.objects.filter(project=project).delete()
        Disclosure.objects.filter(project=project).update(state="archived")
        # (The sync history is append-only: the run of this round is the newest one.)
        d = approve(project, tip, f"pub-{i}")
        f.call("github", "POST", f"/orgs/{org}/repos", name=f"base-{i}")
        base_url = f"{f.github_url}/{org}/base-{i}.git"

        def publish(d=d):
            disclosure_publish(disclosure_id=d.pk)

        def plain(url=base_url):
            f.git("push", "-q", url, "refs/heads/main:refs/heads/main", cwd=template)

        for samples, fn in ([(ours, publish), (base, plain)] if i % 2 == 0 else
                            [(base, plain), (ours, publish)]):  # fmt: skip
            t0 = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - t0)
        publish_run = SyncRun.objects.filter(project=project, trigger="publish").first()
        counts.append(publish_run.commits_published)
        stages.append(publish_run.detail.get("seconds"))
    if set(counts) != {in_range}:
        raise AssertionError(f"published {counts} commits, expected {in_range}")
    median, base_median = sorted(ours)[len(ours) // 2], sorted(base)[len(base) // 2]
    return ctx.figure(
        round(median, 3),
        baseline_name="git_push_same_refs_s",
        baseline_value=round(base_median, 3),
        params={
            "commits": in_range,
            "publish_s": [round(s, 3) for s in ours],
            "git_push_s": [round(s, 3) for s in base],
            "publish_stages_s": stages,
            "rules": "default exclusions (internal/, .gitlab-ci.yml), author mapping",
            "baseline_command": "git push <fresh localforge GitHub repo> refs/heads/main",
        },
    )


# -- push_to_public_p95_ms -----------------------------------------------------------------------


@benchmark(
    "push_to_public_p95_ms",
    unit="ms",
    target="<= 2000 ms",
    needs=("db", "git"),
    description="GitLab push webhook -> GitHub branch updated, one commit, real Celery worker",
)
def push_to_public(ctx: BenchContext):
    from django.conf import settings

    if not settings.CELERY_BROKER_URL:
        return ctx.figure(None, params={"skipped": "CELERY_BROKER_URL is unset: no real worker"})
    from django.test import Client

    from federation.models import Mirror, SyncRun
    from federation.publish import disclosure_publish

    f = forge(ctx)
    org = f.org(f"lat{secrets.token_hex(3)}")
    configure(ctx, f, org)
    glp = f.gitlab_project(f"g{secrets.token_hex(3)}", "latency")
    from tests.review.screening_helpers import clean_files  # a tree the screening passes

    work = ctx.scratch_dir / "latency-work"
    f.git("clone", "-q", glp["http_url_to_repo"], str(work))
    for name, content in clean_files().items():
        _commit(f, work, name, content, push=False)
    _commit(f, work, "internal/notes.md", "internal\n")
    project = released_project("latency", glp, f"klat{secrets.token_hex(6)}")
    head = f.git("rev-parse", "HEAD", cwd=work).stdout.decode().strip()
    disclosure_publish(disclosure_id=approve(project, head, "latency").pk)
    hook_id = f.call("gitlab", "POST", f"/api/v4/projects/{glp['id']}/hooks",
                     url=f"{settings.SERVICE_URL}/hooks/gitlab/{project.key}/",
                     token=project.hook_secret, push_events=True)["id"]  # fmt: skip
    env = ctx.subprocess_env(
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL, GITLAB_URL=f.gitlab_url, GITLAB_TOKEN=TOKEN,
        GITHUB_API_URL=f.github_url, GITHUB_TOKEN=TOKEN, GITHUB_ORG=org,
        GIT_CACHE_DIR=settings.GIT_CACHE_DIR, SERVICE_URL=settings.SERVICE_URL,
    )  # fmt: skip
    log_path = ctx.scratch_dir / "latency-worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "default,git",
         "--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    client, samples = Client(), []
    path = Mirror.objects.get(project=project).github_path
    try:
        for i in range(-1, ctx.size(20, 10)):  # one warm-up push
            sha = _commit(f, work, f"src/demo/f{i}.py", f"X = {i}\n")
            delivery = _delivery(f, hook_id, sha)
            before = _public_tip(f, path)
            t0 = time.perf_counter()
            response = client.post(
                f"/hooks/gitlab/{project.key}/", data=json.dumps(delivery["payload"]),
                content_type="application/json", HTTP_X_GITLAB_EVENT="Push Hook",
                HTTP_X_GITLAB_EVENT_UUID=delivery["guid"], HTTP_X_GITLAB_TOKEN=project.hook_secret,
            )  # fmt: skip
            if response.status_code != 202:
                raise AssertionError(f"webhook answered {response.status_code}")
            while _public_tip(f, path) == before:
                if time.perf_counter() - t0 > 60 or worker.poll() is not None:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise AssertionError(f"GitHub was not updated; the worker said:\n{tail}")
                time.sleep(0.01)
            if i >= 0:
                samples.append(time.perf_counter() - t0)
            _until_idle(project, SyncRun)
    finally:
        worker.terminate()
        worker.wait(20)
    ordered = sorted(samples)
    return ctx.figure(
        round(1000 * percentile(ordered, 95), 1),
        params={"median_ms": round(1000 * statistics.median(ordered), 1),
                "min_ms": round(1000 * ordered[0], 1), "max_ms": round(1000 * ordered[-1], 1),
                "n": len(samples), "worker": "celery -Q default,git --pool solo"},
    )  # fmt: skip


def _commit(f: Forge, work: Path, name: str, content: str, push: bool = True) -> str:
    (work / name).parent.mkdir(parents=True, exist_ok=True)
    (work / name).write_text(content)
    env = {**git_env(), "GIT_AUTHOR_NAME": "B", "GIT_AUTHOR_EMAIL": "b@inst.example",
           "GIT_COMMITTER_NAME": "B", "GIT_COMMITTER_EMAIL": "b@inst.example"}  # fmt: skip
    subprocess.run(["git", "add", "-A"], cwd=work, env=env, check=True)
    subprocess.run(["git", "commit", "-q", "-m", f"add {name}"], cwd=work, env=env, check=True)
    if push:
        f.git("push", "-q", "origin", "HEAD:refs/heads/main", cwd=work)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=work, capture_output=True,
                          check=True).stdout.decode().strip()  # fmt: skip


def _delivery(f: Forge, hook_id: int, sha: str) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for d in f.http.get(f"{f.gitlab_url}/-/localforge/deliveries",
                            params={"hook_id": hook_id}).json():  # fmt: skip
            if (d.get("payload") or {}).get("after") == sha:
                return d
        time.sleep(0.05)
    raise AssertionError("GitLab did not send the push hook")


def _public_tip(f: Forge, path: str) -> str | None:
    r = f.http.get(f"{f.github_url}/repos/{path}/git/ref/heads/main")
    return r.json()["object"]["sha"] if r.status_code == 200 else None


def _until_idle(project, SyncRun, timeout=60) -> None:
    deadline = time.monotonic() + timeout
    while SyncRun.objects.filter(project=project, status="running").exists():
        if time.monotonic() > deadline:
            raise AssertionError("a sync never finished")
        time.sleep(0.02)


# -- reconcile_500_s -----------------------------------------------------------------------------


@benchmark(
    "reconcile_500_s",
    unit="s",
    target="<= 10 s",
    needs=("db", "git"),
    description="A no-op reconcile of 500 released projects (ls-remote on both forges)",
)
def reconcile_500(ctx: BenchContext):
    from concurrent.futures import ThreadPoolExecutor

    from federation.models import Mirror
    from federation.reconcile import reconcile_all

    n = ctx.size(full=500, quick=30)
    f = forge(ctx)
    org = f.org(f"rec{secrets.token_hex(3)}")
    configure(ctx, f, org)
    group = f"g{secrets.token_hex(3)}"

    def make(i: int):
        glp = f.gitlab_project(group, f"p{i}", readme=True)
        repo = f.call("github", "POST", f"/orgs/{org}/repos", name=f"p{i}", auto_init=True)
        internal = f.call("gitlab", "GET", f"/api/v4/projects/{glp['id']}/repository/branches/main")
        public = f.call("github", "GET", f"/repos/{org}/p{i}/git/ref/heads/main")
        return i, glp, repo, internal["commit"]["id"], public["object"]["sha"]

    f.gitlab_project(group, "warm")  # the group exists before the threads start
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(make, range(n)))
    for i, glp, repo, internal, public in made:
        project = released_project(f"p{i}", glp, f"krec{i}{secrets.token_hex(4)}")
        Mirror.objects.create(
            project=project, github_path=repo["full_name"], web_url=repo["html_url"],
            clone_url=repo["clone_url"], state="active", branch="main", published_sha=internal,
            seen_sha=internal, public_sha=public,
        )  # fmt: skip
    reconcile_all(queue=False)  # warm-up, untimed
    samples, reports = [], []
    for _ in range(ctx.size(3, 2)):
        t0 = time.perf_counter()
        reports.append(reconcile_all(queue=False))
        samples.append(time.perf_counter() - t0)
    last = reports[-1]
    if last.checked < n or last.queued or last.errors:  # (other benchmarks' mirrors count too)
        raise AssertionError(f"not a no-op: {last.summary()} {list(last.errors.values())[:2]}")
    median = sorted(samples)[len(samples) // 2]
    return ctx.figure(
        round(median * 500 / n, 3),  # quick mode measures fewer projects: scaled to 500
        params={"projects": n, "seconds": [round(s, 3) for s in samples],
                "scaled_to_500": n != 500, "ls_remote_calls": 2 * n, "report": last.summary()},
    )  # fmt: skip
