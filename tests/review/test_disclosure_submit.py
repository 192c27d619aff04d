"""Bad input is refused with a message, and nothing is created."""

import shutil

import pytest

from federation import repos
from review import services, validation
from review.errors import InvalidInput
from review.models import AuditEntry, Disclosure, Screening
from tests.review import workflow_fixtures
from tests.review.workflow_fixtures import PLAN

world = workflow_fixtures.world
pytestmark = pytest.mark.django_db


def request(world, sha=None, **plan):
    return services.disclosure_request(
        project=world.project, by=world.researcher, sha=sha or world.sha, **{**PLAN, **plan}
    )


def refused(world, field, match, **kwargs):
    with pytest.raises(InvalidInput, match=match) as err:
        request(world, **kwargs)
    assert err.value.field == field
    assert not Disclosure.objects.exists()
    assert not Screening.objects.exists()
    assert not AuditEntry.objects.exists()


def test_unknown_sha(world):
    refused(world, "sha", "not in the repository", sha="1" * 40)


@pytest.mark.parametrize("sha", ["abc123", "HEAD", "main", "--upload-pack=x", "g" * 40, ""])
def test_not_a_full_sha(world, sha):
    refused(world, "sha", "full 40-character", sha=sha or " ")


def test_sha_not_on_the_default_branch(world):
    repo = world.repo
    repo.git("checkout", "--quiet", "-b", "feature")
    side = repo.commit({"feature.txt": "wip\n"})
    repo.git("checkout", "--quiet", "main")
    repo.publish(world.project)
    refused(world, "sha", "not on the default branch main", sha=side)


def test_older_commit_of_the_default_branch_is_fine(world):
    first = world.sha
    world.commit({"later.txt": "later\n"})
    d = request(world, sha=first)
    assert d.sha == first


def test_sha_of_a_tree_is_not_a_commit(world):
    tree = world.repo.git("rev-parse", "HEAD^{tree}").strip()
    refused(world, "sha", "not in the repository", sha=tree)


def test_no_mirror_yet(world):
    shutil.rmtree(repos.mirror_path(world.project.key))
    refused(world, "sha", "no copy of this repository")


@pytest.mark.parametrize("expr", ["Apache 2", "GPL", "MIT AND", "Not-A-License", "", "apache"])
def test_invalid_spdx(world, expr):
    refused(world, "outbound_license", "SPDX", outbound_license=expr)


@pytest.mark.parametrize(
    "expr, canonical",
    [("mit", "MIT"), ("apache-2.0 OR mit", "Apache-2.0 OR MIT"), ("GPL-3.0-only", "GPL-3.0-only")],
)
def test_valid_spdx_is_canonical(expr, canonical):
    assert validation.license_validate(expr) == canonical


@pytest.mark.parametrize("name", ["", "has space", "a/b", ".", "..", "x" * 101, "demo.git", "ö"])
def test_invalid_repository_name(world, name):
    refused(world, "target_repo", "GitHub repository name", target_repo=name)


@pytest.mark.parametrize("maintainers", [[], ["-bad"], ["bad--login-"], ["a" * 40]])
def test_invalid_maintainers(world, maintainers):
    refused(world, "maintainers", "maintainer|GitHub login", maintainers=maintainers)


def test_unknown_mode(world):
    refused(world, "mode", "full_history or snapshot", mode="everything")


def test_maintainers_accept_a_comma_list():
    assert validation.maintainers_validate("@alice, bob  alice") == ["alice", "bob"]
