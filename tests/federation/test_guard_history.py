"""The guard as a property on real repositories: random sequences of pushes (clean commits,
planted secrets, merged side branches, direct pushes to GitHub, syncs) against localforge, a
fresh project per example. After every sync, nothing we pushed to GitHub carries a planted
secret or comes from outside the approved and screened history, and what others pushed to
GitHub directly is never overwritten.

Screening is the real pipeline's, with the engine replaced by a fast stand-in that blocks any
commit adding a `secret-*` file (the real engine is exercised in test_sync.py)."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation import mirror as mirror_module
from federation import pipeline
from federation.models import PublishRules, SyncRun
from review.models import Finding, Screening
from tests.factories import ProjectFactory
from tests.federation import test_publish_kit as kit
from tests.localforge.helpers import git

fed_settings = kit.fed_settings
pytestmark = pytest.mark.django_db(transaction=True)

OPS = st.lists(
    st.sampled_from(["clean", "dirty", "side-clean", "side-dirty", "github", "sync"]),
    min_size=3,
    max_size=8,
)


def fake_screen(*, project, old_sha, new_sha):
    """A finished Screening with a blocking finding on every commit adding a secret-* file."""
    repo = pipeline.repos.mirror_path(project.key)
    screening = Screening.objects.create(
        project=project, kind=Screening.Kind.DELTA, sha=new_sha, base_sha=old_sha,
        state=Screening.State.DONE,
    )  # fmt: skip
    out = git("log", "--format=%x00%H", "--name-only", "--diff-filter=A", new_sha, f"^{old_sha}",
              cwd=repo).stdout  # fmt: skip
    for block in out.split("\0")[1:]:
        lines = block.strip().split("\n")
        for path in lines[1:]:
            if path.rpartition("/")[2].startswith("secret-"):
                Finding.objects.create(
                    screening=screening, check_name="secrets", rule="planted",
                    severity="blocker", path=path, commit=lines[0], message="planted",
                    fingerprint=f"fp-{lines[0]}-{path}", blocking=True,
                )  # fmt: skip
    return screening


class World:
    def __init__(self, localforge, settings, gitlab_project, tmp_path):
        name = localforge.unique("hyp")
        _, token = localforge.create_user(name, email=f"{name}@institute.example")
        glp = gitlab_project(owner=(name, token), files={"README.md": "# h\n"})
        project = ProjectFactory(
            gitlab_id=glp.id, path=glp.path, name=glp.path.rpartition("/")[2],
            clone_url=glp.http_url, web_url=glp.web_url, key=f"k{secrets.token_hex(8)}",
        )  # fmt: skip
        PublishRules.objects.create(project=project)
        self.fed = kit.Fed(localforge, settings, glp, project, glp.work, tmp_path)
        self.n = 0
        self.dirty: set[str] = set()
        self.github_pushed: list[str] = []
        self.gh_work = None

    def step(self, op: str) -> None:
        f = self.fed
        self.n += 1
        if op == "clean":
            f.commit({f"src/c{self.n}.py": f"C = {self.n}\n"}, message=f"clean {self.n}")
        elif op == "dirty":
            self.dirty.add(f.commit({f"secret-{self.n}.txt": "key\n"}, message=f"dirty {self.n}"))
        elif op.startswith("side"):
            git("checkout", "-q", "-b", f"side{self.n}", cwd=f.work)
            name = f"secret-{self.n}.txt" if op == "side-dirty" else f"side{self.n}.txt"
            sha = f.commit({name: "x\n"}, message=f"{op} {self.n}", push=False)
            if op == "side-dirty":
                self.dirty.add(sha)
            git("checkout", "-q", "main", cwd=f.work)
            f.commit({f"m{self.n}.txt": "m\n"}, message=f"main {self.n}", push=False)
            git(
                "merge",
                "-q",
                "--no-ff",
                "-m",
                f"merge {self.n}",
                f"side{self.n}",
                cwd=f.work,
                env={"GIT_COMMITTER_EMAIL": kit.ALICE[1], "GIT_AUTHOR_EMAIL": kit.ALICE[1]},
            )
            f.push()
        elif op == "github":
            self.gh_work = self.gh_work or f.github_clone()
            git("pull", "-q", "--no-rebase", f.mirror.clone_url, "main", cwd=self.gh_work,
                header=f.localforge.git_auth_header(f.localforge.token))  # fmt: skip
            self.github_pushed.append(
                f.github_commit(self.gh_work, {f"gh{self.n}.md": "x\n"}, f"direct {self.n}")
            )
        elif op == "sync":
            f.sync()
            self.check()

    def check(self) -> None:
        f = self.fed
        clone = f.public_clone()
        log = git("log", "--format=%x00%H%n%B", "refs/heads/main", cwd=clone).stdout
        public = {}
        for entry in log.split("\0")[1:]:
            sha, _, body = entry.partition("\n")
            public[sha] = body
        files = git("ls-tree", "-r", "--name-only", "refs/heads/main", cwd=clone).stdout
        assert "secret-" not in files
        repo = pipeline.repos.mirror_path(f.project.key)
        for sha, body in public.items():
            origin = [ln[17:] for ln in body.splitlines() if ln.startswith("Internal-Commit: ")]
            if not origin:
                assert sha in self.github_pushed or sha == f.mirror.public_sha, sha
                continue
            internal = origin[-1]
            assert internal not in self.dirty
            # the origin is on GitLab's main, in or below what was approved and screened
            assert git("merge-base", "--is-ancestor", internal, "refs/heads/main", cwd=repo,
                       check=False).returncode == 0  # fmt: skip
        for pushed in self.github_pushed:  # never overwritten without a decision
            assert pushed in public


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=OPS)
def test_random_pushes_never_leak(fed_settings, localforge, gitlab_project, tmp_path_factory,
                                  monkeypatch, ops):  # fmt: skip
    monkeypatch.setattr(mirror_module, "screen_delta", fake_screen)
    world = World(localforge, fed_settings, gitlab_project, tmp_path_factory.mktemp("hyp"))
    world.step("clean")
    world.fed.release()
    for op in [*ops, "sync"]:
        world.step(op)
    runs = SyncRun.objects.filter(project=world.fed.project).exclude(trigger="publish")
    assert runs.exists() and not runs.filter(status="failed").exists(), [
        r.error for r in runs.filter(status="failed")
    ]
