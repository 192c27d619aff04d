import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from people.models import Identity, Membership, Person, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("path",)

    name = factory.Sequence(lambda n: f"Team {n}")
    path = factory.LazyAttribute(
        lambda t: f"{t.parent.path}/{t.name}" if t.parent and t.parent.path else t.name
    )
    kind = Team.Kind.TEAM
    parent = None


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@institute.example")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-123")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if extracted:
            self.groups.set(Group.objects.filter(name__in=extracted))
        if create:
            self.save()


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"person{n}@institute.example")


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    person = factory.SubFactory(PersonFactory)
    kind = Identity.Kind.EMAIL
    value = factory.LazyAttribute(lambda i: i.person.email)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    person = factory.SubFactory(PersonFactory)
    team = factory.SubFactory(TeamFactory)
    start = dt.date(2025, 1, 1)
    end = None


class ProjectFactory(factory.django.DjangoModelFactory):
    """A registered project owned by `owner` (a Team) since `created_on`."""

    class Meta:
        model = "projects.Project"
        skip_postgeneration_save = True

    gitlab_id = factory.Sequence(lambda n: 1000 + n)
    name = factory.Sequence(lambda n: f"project-{n}")
    path = factory.LazyAttribute(lambda p: f"group/{p.name}")
    web_url = factory.LazyAttribute(lambda p: f"http://gitlab.example/{p.path}")
    clone_url = factory.LazyAttribute(lambda p: f"http://gitlab.example/{p.path}.git")
    created_on = dt.date(2025, 1, 1)
    summary = factory.LazyAttribute(lambda p: f"Summary of {p.name}")

    @factory.post_generation
    def owner(self, create, extracted, **kwargs):
        if create and extracted is not None:
            from projects.models import Ownership

            Ownership.objects.create(project=self, team=extracted, start=self.created_on)
