"""Writes to the org directory. Keyword-only functions named <thing>_<verb>."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from people import orgcsv
from people.models import Identity, Membership, Person, Team, periods_overlap
from people.orgcsv import OrgImportError, RowError
from people.signals import memberships_changed


class DirectoryError(Exception):
    """A write to the directory that is not allowed, with a message for people."""


def team_root() -> Team:
    root, _ = Team.objects.get_or_create(
        path="", defaults={"name": "Institute", "kind": Team.Kind.INSTITUTE}
    )
    return root


def team_ensure_path(*, path: str) -> Team:
    """Get or create every team along `path` ("Division/Team"), below the institute root."""
    path = orgcsv.normalise_team_path(path)
    parent = team_root()
    parts = path.split("/")
    for depth, name in enumerate(parts, start=1):
        kind = Team.Kind.DIVISION if depth == 1 else Team.Kind.TEAM
        parent, _ = Team.objects.get_or_create(
            path="/".join(parts[:depth]), defaults={"name": name, "parent": parent, "kind": kind}
        )
    return parent


def membership_add(*, person: Person, team: Team, start: dt.date, end: dt.date | None = None):
    """Add a period; refuses one that overlaps the person's other periods in the same team."""
    if end is not None and end < start:
        raise DirectoryError(f"End {end} is before start {start}.")
    with transaction.atomic():
        for other in Membership.objects.select_for_update().filter(person=person, team=team):
            if other.overlaps(start, end):
                raise DirectoryError(
                    f"{person.name} already belongs to {team} from {other.start} to "
                    f"{other.end or 'now'}, which overlaps {start} to {end or 'now'}."
                )
        return Membership.objects.create(person=person, team=team, start=start, end=end)


@dataclass
class ImportReport:
    people_created: int = 0
    people_updated: int = 0
    memberships_created: int = 0
    memberships_closed: int = 0
    memberships_changed: int = 0
    identities_created: int = 0
    changed_membership_ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.people_created,
                self.people_updated,
                self.memberships_created,
                self.memberships_closed,
                self.memberships_changed,
                self.identities_created,
            )
        )

    def summary(self) -> str:
        return (
            f"{self.people_created} people created, {self.people_updated} updated; "
            f"{self.memberships_created} memberships opened, {self.memberships_closed} closed, "
            f"{self.memberships_changed} corrected; {self.identities_created} identities added"
        )


def _check_rows(rows: list[orgcsv.OrgRow], create_teams: bool) -> tuple[dict, list[RowError]]:
    errors: list[RowError] = []
    teams = {t.path: t for t in Team.objects.filter(path__in={r.team_path for r in rows})}
    for r in rows:
        if r.team_path not in teams and not create_teams:
            errors.append(RowError(r.line, f"unknown team {r.team_path!r}"))

    names: dict[str, tuple[str, int]] = {}
    owners: dict[tuple[str, str], tuple[str, int]] = {}
    for r in rows:
        first = names.setdefault(r.email, (r.name, r.line))
        if first[0] != r.name:
            errors.append(RowError(r.line, f"{r.email} is named {first[0]!r} on line {first[1]}"))
        for kind, value in (
            (Identity.Kind.EMAIL, r.email),
            (Identity.Kind.GITLAB, r.gitlab_username),
            (Identity.Kind.GITHUB, r.github_login),
        ):
            if not value:
                continue
            owner = owners.setdefault((kind, value), (r.email, r.line))
            if owner[0] != r.email:
                errors.append(
                    RowError(
                        r.line, f"{kind} {value!r} also belongs to {owner[0]} (line {owner[1]})"
                    )
                )
    known = Identity.objects.filter(person__isnull=False).select_related("person")
    for ident in known.filter(value__in={v for _, v in owners}):
        owner = owners.get((ident.kind, ident.value))
        if owner and ident.person.email != owner[0]:
            errors.append(
                RowError(
                    owner[1],
                    f"{ident.kind} {ident.value!r} already belongs to {ident.person.email}",
                )
            )

    by_key = defaultdict(list)
    for r in rows:
        by_key[(r.email, r.team_path)].append(r)
    for (email, team_path), periods in by_key.items():
        periods.sort(key=lambda r: r.start)
        for a, b in zip(periods, periods[1:], strict=False):
            if periods_overlap(a.start, a.end, b.start, b.end):
                errors.append(
                    RowError(
                        b.line,
                        f"{email} in {team_path!r} from {b.start} overlaps line {a.line} "
                        f"({a.start} to {a.end or 'now'})",
                    )
                )
    return teams, errors


@transaction.atomic
def org_import(*, text: str, create_teams: bool = False, as_of: dt.date | None = None):
    """Import an org CSV. All or nothing: any bad row raises OrgImportError and saves nothing.

    People are matched by email. For each person in the file, the file is the truth about
    their memberships: periods in the file are created or corrected, and an open membership
    the file no longer lists is closed the day before the person's next period starts (or
    on `as_of`, today by default). Closed periods absent from the file are kept as history.
    """
    as_of = as_of or timezone.localdate()
    rows, errors = orgcsv.parse(text)
    if not errors:
        teams, errors = _check_rows(rows, create_teams)
    if errors:
        raise OrgImportError(sorted(errors, key=lambda e: e.line))
    if create_teams:
        teams = {r.team_path: team_ensure_path(path=r.team_path) for r in rows}

    report = ImportReport()
    by_email = defaultdict(list)
    for r in rows:
        by_email[r.email].append(r)
    people = {p.email: p for p in Person.objects.filter(email__in=by_email)}
    for email, person_rows in by_email.items():
        person = people.get(email)
        first = person_rows[0]
        if person is None:
            person = Person.objects.create(email=email, name=first.name)
            report.people_created += 1
        elif person.name != first.name:
            person.name = first.name
            person.save(update_fields=["name"])
            report.people_updated += 1
        report.identities_created += _sync_identities(person, person_rows)
        _sync_memberships(person, person_rows, teams, as_of, report)
    if report.changed_membership_ids:
        ids = list(report.changed_membership_ids)
        transaction.on_commit(
            lambda: memberships_changed.send(
                sender=Membership, membership_ids=ids, reason="HR data changed (org import)"
            )
        )
    return report


def _sync_identities(person: Person, rows) -> int:
    created = 0
    wanted = {(Identity.Kind.EMAIL, person.email)}
    for r in rows:
        if r.gitlab_username:
            wanted.add((Identity.Kind.GITLAB, r.gitlab_username))
        if r.github_login:
            wanted.add((Identity.Kind.GITHUB, r.github_login))
    for kind, value in sorted(wanted):
        ident, made = Identity.objects.get_or_create(
            kind=kind, value=value, defaults={"person": person}
        )
        if not made and ident.person_id is None:
            ident.person = person  # an unresolved identity now has its person
            ident.save(update_fields=["person"])
        created += made
    return created


def _sync_memberships(person, rows, teams, as_of, report: ImportReport):
    existing = {(m.team_id, m.start): m for m in Membership.objects.filter(person=person)}
    in_file = {(teams[r.team_path].id, r.start): r for r in rows}
    starts = sorted(r.start for r in rows)
    for key, m in existing.items():
        if key in in_file:
            end = in_file[key].end
            if m.end != end:
                m.end = end
                m.save(update_fields=["end"])
                report.memberships_changed += 1
                report.changed_membership_ids.append(m.id)
        elif m.end is None:
            later = [s for s in starts if s > m.start]
            m.end = max(m.start, (later[0] - dt.timedelta(days=1)) if later else as_of)
            m.save(update_fields=["end"])
            report.memberships_closed += 1
            report.changed_membership_ids.append(m.id)
    for key, r in in_file.items():
        if key not in existing:
            m = Membership.objects.create(person=person, team_id=key[0], start=r.start, end=r.end)
            report.memberships_created += 1
            report.changed_membership_ids.append(m.id)
    _refuse_overlaps(person)


def _refuse_overlaps(person: Person):
    by_team = defaultdict(list)
    for m in Membership.objects.filter(person=person).select_related("team").order_by("start"):
        by_team[m.team_id].append(m)
    for periods in by_team.values():
        for a, b in zip(periods, periods[1:], strict=False):
            if a.overlaps(b.start, b.end):
                raise OrgImportError(
                    [
                        RowError(
                            0,
                            f"{person.email} would be in {a.team} twice: {a.start} to "
                            f"{a.end or 'now'} and {b.start} to {b.end or 'now'}",
                        )
                    ]
                )


def org_import_queue(*, text: str, filename: str, create_teams: bool, by):
    """Store an uploaded CSV and queue its import once the transaction commits."""
    from people.models import OrgImport
    from people.tasks import org_import_run

    record = OrgImport.objects.create(
        content=text, filename=filename[:200], create_teams=create_teams, created_by=by
    )
    transaction.on_commit(lambda: org_import_run.delay(record.pk))
    return record


def org_import_execute(*, record):
    """Run a queued import and record the outcome; the import itself is all or nothing."""
    from people.models import OrgImport

    if record.state in OrgImport.FINAL_STATES:
        return record
    try:
        report = org_import(text=record.content, create_teams=record.create_teams)
    except OrgImportError as exc:
        record.state = OrgImport.State.FAILED
        record.errors = [{"line": e.line, "message": e.message} for e in exc.errors]
        record.summary = f"{len(exc.errors)} row error(s); nothing was imported"
    else:
        record.state = OrgImport.State.DONE
        record.summary = report.summary()
    record.finished_at = timezone.now()
    record.save(update_fields=["state", "errors", "summary", "finished_at"])
    return record
