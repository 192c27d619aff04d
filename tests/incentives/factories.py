import datetime as dt
from decimal import Decimal

import factory

from incentives.models import Award, Change
from incentives.policies import policy_default
from incentives.rollup import rollup_refresh
from tests.factories import PersonFactory, ProjectFactory


class ChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Change

    project = factory.SubFactory(ProjectFactory)
    sha = factory.Sequence(lambda n: f"{n:040x}")
    landed_on = dt.date(2025, 3, 3)
    landed_at = factory.LazyAttribute(
        lambda c: dt.datetime.combine(c.landed_on, dt.time(1), tzinfo=dt.UTC)
    )
    authored_at = factory.SelfAttribute("landed_at")
    committed_at = factory.SelfAttribute("landed_at")
    landing = Change.Landing.HISTORY
    lines_added = 9


class AwardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Award
        skip_postgeneration_save = True

    landed_on = dt.date(2025, 3, 3)
    change = factory.SubFactory(ChangeFactory, landed_on=factory.SelfAttribute("..landed_on"))
    person = factory.SubFactory(PersonFactory)
    kind = Award.Kind.AWARD
    points = Decimal("10.00")
    change_count = 1
    policy = factory.LazyFunction(policy_default)
    project = factory.SelfAttribute("change.project")
    from_team = None
    to_team = None
    facts = factory.LazyFunction(dict)

    @factory.post_generation
    def rollup(obj, create, extracted, **kwargs):
        """Like every ledger writer, keep the monthly rollup current."""
        if create:
            rollup_refresh(touched=[(obj.person_id, obj.landed_on, obj.project_id)])
