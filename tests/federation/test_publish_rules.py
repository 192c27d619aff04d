"""Publish rules as values: which paths stay inside, and each person's public identity."""

import pytest

from federation.models import PublishRules
from federation.rules import Rules, path_excluded, release_identity, rules_for
from people.models import Identity
from tests.factories import PersonFactory, ProjectFactory


@pytest.mark.parametrize(
    ("path", "excluded"),
    [
        ("internal/notes.md", True),
        ("internal", False),  # a file called "internal" is not the folder
        ("src/internal/x.py", False),  # anchored at the root
        (".gitlab-ci.yml", True),
        ("docs/.gitlab-ci.yml", False),
        ("secrets/a.pem", True),
        ("keys/deep/b.pem", True),  # a glob's * crosses folders
        ("keys/deep/b.pem.txt", False),
        ("config/local.yml", True),
        ("config/local.yml.sample", False),
        ("config/localx", False),
    ],
)
def test_path_patterns(path, excluded):
    patterns = ["internal/", ".gitlab-ci.yml", "secrets/", "keys/*.pem", "/config/local.yml"]
    assert path_excluded(path, patterns) is excluded


@pytest.mark.django_db
def test_each_person_is_published_as_they_chose(settings):
    settings.NOREPLY_DOMAIN = "noreply.example.org"
    chose = PersonFactory(
        name="Chose Public", email="chose@inst.example", public_email="me@pub.dev"
    )
    gh = PersonFactory(name="Has Login", email="gh@inst.example")
    Identity.objects.create(person=gh, kind="github", value="has-login")
    Identity.objects.create(person=gh, kind="email", value="old.gh@inst.example")
    plain = PersonFactory(name="No Login", email="plain@inst.example")
    project = ProjectFactory()
    rules = rules_for(project)
    assert rules.rewrites and rules.excluded == ("internal/", ".gitlab-ci.yml")
    assert rules.identity("C", "Chose@Inst.Example") == ("Chose Public", "me@pub.dev")
    assert rules.identity("x", "old.gh@inst.example") == (
        "Has Login",
        "has-login@users.noreply.github.com",
    )
    assert rules.identity("x", "plain@inst.example") == (
        "No Login",
        f"{plain.pk}+no-login@noreply.example.org",
    )
    # unknown but internal: never out as it is; an outside address stays
    name, email = rules.identity("Ghost", "ghost@inst.example")
    assert name == "Ghost" and email.endswith("@noreply.example.org") and "ghost" not in email
    assert rules.identity("Olga", "olga@example.net") == ("Olga", "olga@example.net")
    assert chose.pk


@pytest.mark.django_db
def test_rules_can_be_switched_off_per_project():
    project = ProjectFactory()
    PublishRules.objects.create(project=project, excluded_paths=[], map_authors=False)
    rules = rules_for(project)
    assert not rules.rewrites
    assert rules.identity("A", "a@inst.example") == ("A", "a@inst.example")


def test_release_identity(settings):
    settings.RELEASE_IDENTITY = "Release Bot <release@example.org>"
    assert release_identity() == ("Release Bot", "release@example.org")
    settings.RELEASE_IDENTITY = "no address"
    with pytest.raises(ValueError, match="RELEASE_IDENTITY"):
        release_identity()
    assert Rules(tag_pattern="v*").tag_wanted("v1.2") and not Rules().tag_wanted("v1.2")
