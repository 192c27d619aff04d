"""Coming back: a public pull request (same repository or a fork) becomes a GitLab merge request
from `github/pr-<n>`, updates follow, the outside author becomes a known GitHub identity, and
the pull request is closed with a link once its merge is published."""

import gitlab
import pytest

from federation.models import PullRequestLink
from people.models import Identity
from tests.federation import test_publish_kit as kit
from tests.localforge.helpers import git

fed, fed_settings = kit.fed, kit.fed_settings
pytestmark = pytest.mark.django_db(transaction=True)


def gl(fed):
    return gitlab.Gitlab(fed.localforge.gitlab_url, private_token=fed.localforge.token)


def mr_of(fed, link):
    return gl(fed).projects.get(fed.glp.id).mergerequests.get(link.mr_iid)


def branch_tip(fed, branch):
    out = git("ls-remote", fed.glp.http_url, f"refs/heads/{branch}", header=fed.glp.header)
    return out.stdout.split()[0]


@pytest.fixture
def outsider(fed):
    login = fed.localforge.unique("olga")
    _, token = fed.localforge.create_user(login, email=kit.OUTSIDER[1], name=kit.OUTSIDER[0])
    return login, token


def test_a_fork_pull_request_becomes_a_merge_request_and_is_closed_after_publishing(
    fed, client, outsider
):
    login, token = outsider
    fed.release()
    path = fed.mirror.github_path
    fork = fed.github_api("POST", f"/repos/{path}/forks", token=token)
    work = fed.github_clone(url=fork["clone_url"], token=token)
    first = fed.github_commit(work, {"src/demo/contrib.py": "C = 1\n"}, "Contribute",
                              branch="feature", token=token, url=fork["clone_url"])  # fmt: skip
    number = fed.open_pr(f"{login}:feature", "Add a contribution", token=token)
    delivery = fed.wait_github("pull_request", lambda d: d["payload"]["action"] == "opened")
    assert fed.deliver_github(client, delivery).status_code == 202  # eager: imported on commit

    link = PullRequestLink.objects.get(project=fed.project, number=number)
    assert (link.branch, link.author, link.from_fork) == (
        f"github/pr-{number}", login, fork["full_name"])  # fmt: skip
    mr = mr_of(fed, link)
    assert mr.source_branch == f"github/pr-{number}" and mr.target_branch == "main"
    assert link.url in mr.description and f"@{login}" in mr.description
    # The branch holds the contribution on top of the internal history, author kept.
    tip = branch_tip(fed, link.branch)
    assert tip == link.imported_sha and link.head_sha == first
    assert fed.mirror_git("log", "-1", "--format=%ae", tip) == kit.OUTSIDER[1]
    assert "internal/notes.md" in fed.mirror_git("ls-tree", "-r", "--name-only", tip)
    identity = Identity.objects.get(kind="github", value=login.lower())
    assert identity.person is None

    # An update of the pull request moves the merge request's branch.
    second = fed.github_commit(work, {"src/demo/contrib.py": "C = 2\n"}, "Fix review",
                               branch="feature", token=token, url=fork["clone_url"])  # fmt: skip
    sync = fed.wait_github(
        "pull_request",
        lambda d: (
            d["payload"]["action"] == "synchronize"
            and d["payload"]["pull_request"]["head"]["sha"] == second
        ),
    )
    assert fed.deliver_github(client, sync).status_code == 202
    link.refresh_from_db()
    assert link.head_sha == second and branch_tip(fed, link.branch) == link.imported_sha
    assert PullRequestLink.objects.filter(project=fed.project).count() == 1

    # Merged internally -> published -> the public pull request is closed with a link.
    from federation.comeback import gitlab as adapter

    merged = adapter().merge_merge_request(fed.project.gitlab_id, link.mr_iid)
    hook = fed.wait_gitlab("Merge Request Hook", lambda d: d["payload"]["object_attributes"]
                           ["action"] == "merge")  # fmt: skip
    assert fed.deliver_gitlab(client, hook).status_code == 202
    link.refresh_from_db()
    assert link.state == "merged" and link.merged_sha == merged.merge_sha
    mirror = fed.mirror
    assert link.published_sha == mirror.public_sha
    pr = fed.github().get_merge_request(mirror.github_path, number)
    assert pr.state == "closed"
    comments = fed.github_api("GET", f"/repos/{path}/issues/{number}/comments")
    assert any(f"{mirror.web_url}/commit/{mirror.public_sha}" in c["body"] for c in comments)
    assert "src/demo/contrib.py" in fed.public_files()
    log = fed.public_log("%ae%x00")
    assert kit.OUTSIDER[1] in log  # the contributor is credited in the public history


def test_a_same_repository_pull_request_and_a_closed_one(fed, client, outsider):
    fed.release()
    work = fed.github_clone()
    fed.github_commit(work, {"docs/more.md": "more\n"}, "Docs", branch="docs-fix")
    number = fed.open_pr("docs-fix", "Better docs")
    delivery = fed.wait_github("pull_request", lambda d: d["payload"]["number"] == number)
    fed.deliver_github(client, delivery)
    link = PullRequestLink.objects.get(project=fed.project, number=number)
    assert link.from_fork == "" and mr_of(fed, link).state == "opened"
    # Closed on GitHub without merging: the merge request closes too.
    path = fed.mirror.github_path
    fed.github_api("PATCH", f"/repos/{path}/pulls/{number}", state="closed")
    closed = fed.wait_github("pull_request", lambda d: d["payload"]["action"] == "closed")
    fed.deliver_github(client, closed)
    link.refresh_from_db()
    assert link.state == "closed" and mr_of(fed, link).state == "closed"


def test_pull_requests_to_other_branches_are_not_imported(fed, client):
    fed.release()
    work = fed.github_clone()
    fed.github_commit(work, {"x.md": "x\n"}, "x", branch="base2")
    fed.github_commit(work, {"y.md": "y\n"}, "y", branch="topic")
    path = fed.mirror.github_path
    fed.github_api("POST", f"/repos/{path}/pulls", title="t", head="topic", base="base2")
    delivery = fed.wait_github("pull_request", lambda d: d["payload"]["action"] == "opened")
    response = fed.deliver_github(client, delivery)
    assert response.json()["detail"] == "ignored"
    assert not PullRequestLink.objects.exists()
