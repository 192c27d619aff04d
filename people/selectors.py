"""Reads of the org directory."""

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet

from people import orgcsv
from people.models import Identity, Membership, Person, Team


def team_tree() -> QuerySet[Team]:
    today = dt.date.today()
    active = Q(memberships__start__lte=today) & (
        Q(memberships__end__isnull=True) | Q(memberships__end__gte=today)
    )
    return Team.objects.annotate(member_count=Count("memberships", filter=active)).order_by("path")


def people_directory(*, search: str = "", team: Team | None = None) -> QuerySet[Person]:
    today = dt.date.today()
    current = Membership.objects.active_on(today).select_related("team")
    qs = Person.objects.prefetch_related(
        Prefetch("memberships", queryset=current, to_attr="current_memberships"),
        "identities",
    )
    if search:
        qs = qs.filter(
            Q(name__icontains=search)
            | Q(email__icontains=search)
            | Q(identities__value__icontains=search.lower())
        ).distinct()
    if team is not None:
        members = Membership.objects.active_on(today).filter(
            Q(team=team) | Q(team__path__startswith=f"{team.path}/")
        )
        qs = qs.filter(id__in=members.values("person_id"))
    return qs.order_by("name")


def org_export_rows() -> list[dict]:
    """Rows for the org CSV: one per membership, with the person's forge identities."""
    idents = {}
    for ident in Identity.objects.filter(
        person__isnull=False, kind__in=[Identity.Kind.GITLAB, Identity.Kind.GITHUB]
    ).order_by("id"):
        idents.setdefault((ident.person_id, ident.kind), ident.value)
    rows = []
    for m in Membership.objects.select_related("person", "team").order_by(
        "person__email", "start", "team__path"
    ):
        rows.append(
            {
                "email": m.person.email,
                "name": m.person.name,
                "team_path": m.team.path,
                "start": m.start.isoformat(),
                "end": m.end.isoformat() if m.end else "",
                "gitlab_username": idents.get((m.person_id, Identity.Kind.GITLAB), ""),
                "github_login": idents.get((m.person_id, Identity.Kind.GITHUB), ""),
            }
        )
    return rows


def org_export_csv() -> str:
    return orgcsv.render(org_export_rows())


def person_of(user) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Person.objects.filter(user=user).first()


def person_current_team(user) -> Team | None:
    """The user's current team (the most recently joined, if several)."""
    person = person_of(user)
    if person is None:
        return None
    m = (
        Membership.objects.active_on(dt.date.today())
        .filter(person=person)
        .select_related("team")
        .order_by("-start")
        .first()
    )
    return m.team if m else None


def forge_username(user, kind: str) -> str | None:
    """The user's username on a forge: their Identity, else their linked social account."""
    person = person_of(user)
    if person is not None:
        ident = person.identities.filter(kind=kind).order_by("id").first()
        if ident is not None:
            return ident.value
    from allauth.socialaccount.models import SocialAccount

    account = SocialAccount.objects.filter(user=user, provider=kind).first()
    if account is not None:
        return (
            account.extra_data.get("username") or account.extra_data.get("login") or ""
        ).lower() or None
    return None
